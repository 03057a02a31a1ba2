import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

/** The project root (where cdktf.json and main.ts live). */
export const PROJECT_ROOT = resolve(__dirname, "..");

/** Stacks that main.ts synthesizes. */
export const STACKS = ["nats", "nats-tutorial"] as const;

/** Where the app writes: cdktf.out in the project root, or CDKTF_OUTDIR as cdktf's App honours it. */
export function defaultOutdir(): string {
  return resolve(PROJECT_ROOT, process.env.CDKTF_OUTDIR ?? "cdktf.out");
}

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

/** A run of the app that may have failed. */
export interface AppRun extends SynthResult {
  readonly status: number | null;
  readonly stderr: string;
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

/** Runs the cdktf app (synthesis without the cdktf CLI), as `cdktf synth` would, and reports how it ended. */
export function runApp(options: SynthOptions = {}): AppRun {
  const outdir = options.outdir === undefined ? defaultOutdir() : resolve(PROJECT_ROOT, options.outdir);
  const [command, ...args] = options.command ?? APP_COMMAND;
  const started = process.hrtime.bigint();
  const run = spawnSync(command, args, {
    cwd: PROJECT_ROOT,
    env: cdktfEnv({ ...options.env, CDKTF_OUTDIR: outdir }),
    encoding: "utf8",
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  return { outdir, ms, status: run.status, stderr: run.stderr || run.error?.message || "" };
}

/** Runs the cdktf app and throws with its stderr when it fails. */
export function synthesize(options: SynthOptions = {}): SynthResult {
  const run = runApp(options);
  if (run.status !== 0) {
    throw new Error(`synthesis with ${(options.command ?? APP_COMMAND).join(" ")} failed (exit ${run.status}): ${run.stderr}`);
  }
  return { outdir: run.outdir, ms: run.ms };
}

/** Path of a stack's Terraform JSON inside a cdktf output directory. */
export function stackFile(outdir: string, stack: string): string {
  return join(outdir, "stacks", stack, "cdk.tf.json");
}

/**
 * The synthesized JSON of `stack` in `outdir`, synthesizing first when it is missing or stale:
 * older than main.ts, constructs/, policy/ or templates/, or written with other NATS_*
 * settings. Concurrent callers (parallel test files) wait on a lock file instead of
 * synthesizing twice.
 */
export function freshStackFile(stack: string, outdir = defaultOutdir()): string {
  const file = stackFile(outdir, stack);
  if (isStale(file, outdir)) synthesizeLocked(file, outdir);
  if (!existsSync(file)) {
    throw new Error(`stack ${JSON.stringify(stack)} was not synthesized: expected ${file}; main.ts writes ${STACKS.join(", ")}`);
  }
  return file;
}

/**
 * True when `stack`'s synthesized JSON in `outdir` is missing or stale (the check
 * {@link freshStackFile} re-synthesizes on), for tools that must not act on an old plan.
 */
export function isStackStale(stack: string, outdir = defaultOutdir()): boolean {
  return isStale(stackFile(outdir, stack), outdir);
}

/**
 * Stack settings also come from NATS_* environment variables (README, Configuration): a
 * synthesis is stale when they differ. Only a hash of them is kept on disk.
 */
function settingsStamp(): string {
  const entries = Object.entries(process.env)
    .filter(([name]) => name.startsWith("NATS_"))
    .sort(([a], [b]) => a.localeCompare(b));
  return createHash("sha256").update(JSON.stringify(entries)).digest("hex");
}

function stampFile(outdir: string): string {
  return join(outdir, ".nats-settings");
}

function isStale(file: string, outdir: string): boolean {
  if (!existsSync(file) || !existsSync(stampFile(outdir))) return true;
  if (readFileSync(stampFile(outdir), "utf8") !== settingsStamp()) return true;
  const built = statSync(file).mtimeMs;
  const sources = [join(PROJECT_ROOT, "main.ts"), ...["constructs", "policy", "templates"].flatMap((dir) => listFiles(join(PROJECT_ROOT, dir)))];
  return sources.some((source) => statSync(source).mtimeMs > built);
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => join(dir, entry.name));
}

function synthesizeLocked(file: string, outdir: string): void {
  const lock = join(outdir, ".synth.lock");
  const fd = tryLock(lock);
  if (fd === undefined) {
    waitForUnlock(lock);
    if (isStale(file, outdir)) synthesizeLocked(file, outdir);
    return;
  }
  try {
    synthesize({ outdir });
    writeFileSync(stampFile(outdir), settingsStamp());
  } finally {
    closeSync(fd);
    unlinkSync(lock);
  }
}

function tryLock(lock: string): number | undefined {
  mkdirSync(resolve(lock, ".."), { recursive: true });
  try {
    return openSync(lock, "wx");
  } catch {
    if (Date.now() - statSync(lock).mtimeMs > 60_000) {
      unlinkSync(lock);
      return tryLock(lock);
    }
    return undefined;
  }
}

function waitForUnlock(lock: string): void {
  const deadline = Date.now() + 60_000;
  while (existsSync(lock) && Date.now() < deadline) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
}
