import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { STACKS, synthesize } from "../plan/synth";

// Integration test: runs cdktf synth (JSON and HCL) in child processes.
jest.setTimeout(120_000);

/** Runs main.ts into `outdir`, in HCL when `hcl` (the variable `cdktf synth --hcl` sets for the app). */
function synthInto(outdir: string, hcl: boolean): void {
  synthesize({ outdir, env: { SYNTH_HCL_OUTPUT: String(hcl) } });
}

function stackFiles(outdir: string, stack: string): string[] {
  return readdirSync(join(outdir, "stacks", stack)).filter((name) => name.startsWith("cdk.tf")).sort();
}

describe("switching between HCL and JSON synthesis", () => {
  let outdir: string;

  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), "stack-files-"));
  });

  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  test("a JSON synthesis after `synth --hcl` leaves only cdk.tf.json, so Terraform does not read both", () => {
    synthInto(outdir, true);
    for (const stack of STACKS) expect(stackFiles(outdir, stack)).toEqual(["cdk.tf"]);
    synthInto(outdir, false);
    for (const stack of STACKS) expect(stackFiles(outdir, stack)).toEqual(["cdk.tf.json"]);
  });

  test("an HCL synthesis after a JSON one leaves only cdk.tf", () => {
    synthInto(outdir, false);
    synthInto(outdir, true);
    for (const stack of STACKS) expect(stackFiles(outdir, stack)).toEqual(["cdk.tf"]);
  });

  test("the HCL stack is self-contained: the readiness gate runs the verify bundled beside it, not from this checkout", () => {
    synthInto(outdir, true);
    const hcl = readFileSync(join(outdir, "stacks", "nats", "cdk.tf"), "utf8");
    expect(hcl).not.toMatch(/working_dir/);
    // verify starts the command, or follows the opening of its credentials (`... && { node assets/...`).
    const script = /command\s*=\s*"(?:[^"\n]* && \{ )?node (assets\/[\w-]+\/bundle\/verify\.js) --lb /.exec(hcl)?.[1];
    expect(script).toBeDefined();
    expect(existsSync(join(outdir, "stacks", "nats", script!))).toBe(true);
  });
});
