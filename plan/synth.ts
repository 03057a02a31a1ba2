import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";

/** The project root (where cdktf.json and main.ts live). */
export const PROJECT_ROOT = resolve(__dirname, "..");

/** The app command of cdktf.json, split for spawn: `node --import tsx main.ts`. */
export const APP_COMMAND: readonly string[] = [process.execPath, "--import", "tsx", "main.ts"];

/** Options for one run of the cdktf app. */
export interface SynthOptions {
  /** Output directory (CDKTF_OUTDIR); the parent must exist. @default "cdktf.out" in the project root */
  readonly outdir?: string;
  /** Extra environment, e.g. `{ NATS_NODE_COUNT: "5" }`. */
  readonly env?: Readonly<Record<string, string>>;
  /** Command to run instead of {@link APP_COMMAND}. */
  readonly command?: readonly string[];
}

/** What a run of the app produced. */
export interface SynthResult {
  readonly outdir: string;
  /** Wall-clock time of the app process, in milliseconds. */
  readonly ms: number;
}

/**
 * The environment cdktf commands get here: the caller's, with checkpoint calls disabled and
 * without TF_CLI_CONFIG_FILE (it points at a missing file on these machines), plus `extra`.
 */
export function cdktfEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: "1", ...extra };
  delete env.TF_CLI_CONFIG_FILE;
  return env;
}

/** Runs the cdktf app (synthesis without the cdktf CLI) and throws with its stderr when it fails. */
export function synthesize(options: SynthOptions = {}): SynthResult {
  const outdir = resolve(PROJECT_ROOT, options.outdir ?? "cdktf.out");
  const [command, ...args] = options.command ?? APP_COMMAND;
  const started = process.hrtime.bigint();
  const run = spawnSync(command, args, {
    cwd: PROJECT_ROOT,
    env: cdktfEnv({ ...options.env, CDKTF_OUTDIR: outdir }),
    encoding: "utf8",
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.status !== 0) {
    throw new Error(`synthesis with ${[command, ...args].join(" ")} failed (exit ${run.status}): ${run.stderr || run.error?.message}`);
  }
  return { outdir, ms };
}

/** Path of a stack's Terraform JSON inside a cdktf output directory. */
export function stackFile(outdir: string, stack: string): string {
  return join(outdir, "stacks", stack, "cdk.tf.json");
}
