import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cdktfEnv, runApp, stackFile } from "../plan/synth";

/** How one terraform command ended. */
export interface TerraformRun {
  readonly args: readonly string[];
  readonly status: number | null;
  readonly output: string;
  /** When it started and ended, in milliseconds since `since`. */
  readonly startMs: number;
  readonly endMs: number;
}

/** The `terraform.backend` block of `stack` as the app synthesizes it with `env`, from its cdk.tf.json. */
export function synthesizedBackend(outdir: string, stack: string, env: Readonly<Record<string, string>>): Record<string, unknown> {
  const run = runApp({ outdir, env });
  if (run.status !== 0) throw new Error(`synthesis failed: ${run.stderr}`);
  const json = JSON.parse(readFileSync(stackFile(outdir, stack), "utf8")) as { terraform: { backend: Record<string, unknown> } };
  return json.terraform.backend;
}

/**
 * A Terraform configuration in `dir` with `backend` and one terraform_data resource (Terraform's
 * own, no provider to install) whose input is the variable `writer`; creating it runs a
 * local-exec `sleep holdSeconds`, so an apply holds the state lock that long.
 */
export function writeLockConfig(dir: string, backend: Record<string, unknown>, holdSeconds: number): void {
  mkdirSync(dir, { recursive: true });
  const config = {
    terraform: { backend },
    variable: { writer: { type: "string" } },
    resource: {
      terraform_data: {
        writer: {
          input: "${var.writer}",
          triggers_replace: ["${var.writer}"],
          provisioner: [{ "local-exec": { command: `sleep ${holdSeconds}` } }],
        },
      },
    },
    output: { writer: { value: "${terraform_data.writer.output}" } },
  };
  writeFileSync(join(dir, "main.tf.json"), JSON.stringify(config, null, 2));
}

/** Runs `terraform args` in `dir` (with `env` on top of cdktfEnv's), timed from `since`. */
export function terraform(dir: string, args: readonly string[], env: Readonly<Record<string, string>>, since: number): Promise<TerraformRun> {
  return new Promise((resolve, reject) => {
    const startMs = Date.now() - since;
    const child = spawn("terraform", ["-chdir=" + dir, ...args], { env: cdktfEnv({ TF_IN_AUTOMATION: "1", ...env }), stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", reject);
    child.on("close", (status) => resolve({ args, status, output, startMs, endMs: Date.now() - since }));
  });
}

/** Runs a terraform command and throws with its output unless it exits 0. */
export async function terraformOk(dir: string, args: readonly string[], env: Readonly<Record<string, string>>): Promise<string> {
  const run = await terraform(dir, args, env, Date.now());
  if (run.status !== 0) throw new Error(`terraform ${args.join(" ")} in ${dir} exited ${run.status}:\n${run.output}`);
  return run.output;
}

/** `terraform apply` of the lock configuration as `writer`. */
export function applyAs(dir: string, writer: string, env: Readonly<Record<string, string>>, since: number, lockTimeout = "0s"): Promise<TerraformRun> {
  return terraform(dir, ["apply", "-auto-approve", "-input=false", "-no-color", `-lock-timeout=${lockTimeout}`, `-var=writer=${writer}`], env, since);
}
