import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { GATE_CREDENTIALS_FILE } from "../constructs/readiness-gate";
import { childPids } from "../twin/probe";
import { isAlive } from "../twin/process";
import { freshStackFile } from "../plan/synth";
import { Twin, bootTwin } from "../twin/twin";

// Integration test: boots twins (nats-server and HAProxy processes).
jest.setTimeout(120_000);

// Loopback block of this file: the load balancer on .10, nodes on .11 and up.
const BASE = "127.0.5.10";

interface LocalExec {
  command: string;
  working_dir?: string;
  environment?: Record<string, string>;
}

/**
 * The readiness gate's local-exec provisioners, exactly as synthesized, and a copy of the
 * stack's directory outside this checkout: the gate must run from the stack alone.
 */
function gateOf(stack: string): { steps: LocalExec[]; stackDir: string } {
  const file = freshStackFile(stack);
  const plan = JSON.parse(readFileSync(file, "utf8")) as { resource: { null_resource: Record<string, { provisioner: { "local-exec": LocalExec }[] }> } };
  const [gate] = Object.values(plan.resource.null_resource);
  const stackDir = mkdtempSync(join(tmpdir(), "gate-stack-"));
  cpSync(dirname(file), stackDir, { recursive: true });
  return { steps: gate.provisioner.map((step) => step["local-exec"]), stackDir };
}

/** Runs one step as Terraform would: in its working directory, through the shell, with its environment. */
function runStep(step: LocalExec, stackDir: string, lbAddress: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const command = step.command.replace(/\$\{digitalocean_loadbalancer\.[\w-]+\.ip\}/g, lbAddress);
  const child = spawn("/bin/sh", ["-c", command], { cwd: join(stackDir, step.working_dir ?? "."), env: { PATH: process.env.PATH ?? "", ...env } });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((done) => child.on("exit", (code) => done({ code, output })));
}

/**
 * The step's environment with its references filled as Terraform would, from the values the
 * twin substituted for the same random_password and tls resources.
 */
function filledEnvironment(step: LocalExec, twin: Twin): Record<string, string> {
  const values: Record<string, string | undefined> = {
    NATS_TOKEN: twin.credentials.token,
    NATS_USER: twin.credentials.user,
    NATS_PASSWORD: twin.credentials.password,
    NATS_CA: twin.credentials.tls?.ca,
  };
  return Object.fromEntries(Object.entries(step.environment ?? {}).map(([name, value]) => [name, value.startsWith("${") ? values[name] ?? "" : value]));
}

/** Runs every step in order, stopping at the first that fails, as Terraform does. */
async function runGate(steps: LocalExec[], stackDir: string, twin: Twin): Promise<{ code: number | null; outputs: string[] }> {
  const outputs: string[] = [];
  for (const step of steps) {
    const result = await runStep(step, stackDir, twin.lbAddress, filledEnvironment(step, twin));
    outputs.push(result.output);
    if (result.code !== 0) return { code: result.code, outputs };
  }
  return { code: 0, outputs };
}

describe.each(["nats", "nats-tutorial"])("readiness gate of %s against the twin", (stack) => {
  let twin: Twin | undefined;
  const started: number[] = [];
  const copies: string[] = [];

  beforeAll(async () => {
    twin = await bootTwin({ stack, addressBase: BASE, timeScale: 0.2 });
    started.push(...childPids());
  });

  afterAll(async () => {
    await twin?.stop();
    for (const dir of copies) rmSync(dir, { recursive: true, force: true });
    expect(started.filter(isAlive)).toEqual([]);
  });

  function gate(): { steps: LocalExec[]; stackDir: string } {
    const found = gateOf(stack);
    copies.push(found.stackDir);
    return found;
  }

  test("the step that runs verify holds no secret (with TLS only the CA certificate and server name), so Terraform shows its output; no step leaves the checkout", () => {
    const { steps } = gate();
    const verifyStep = steps[steps.length - 1];
    // verify runs last (after the credentials are opened and their file deleted, when there are any).
    expect(verifyStep.command).toMatch(/(?:^|&& \{ )node assets\/[\w-]+\/bundle\/verify\.js --lb [^&;|]+ \|\| \{ status=\$\?; echo '[^']+' >&2; \(exit \$status\); \}(?:; \})?$/);
    // The tutorial stack runs without TLS.
    expect(verifyStep.environment).toEqual(
      stack === "nats" ? { NATS_CA: expect.stringMatching(/^\$\{tls_self_signed_cert\.[\w-]+\.cert_pem\}$/), NATS_TLS_SERVER_NAME: "nats.internal" } : undefined,
    );
    for (const step of steps) expect(step.working_dir).toBeUndefined();
    for (const step of steps.slice(0, -1)) {
      for (const value of Object.values(step.environment ?? {})) expect(value).toMatch(/^\$\{random_password\.[\w-]+\.result\}$/);
    }
  });

  test("from a copy of the stack's directory, the gate passes once the cluster answers, prints verify's progress and leaves no credentials behind", async () => {
    const { steps, stackDir } = gate();
    expect(steps[steps.length - 1].command).toContain(`--expect-nodes ${twin!.nodes.length}`);
    const result = await runGate(steps, stackDir, twin!);
    const verifyOutput = result.outputs[steps.length - 1];
    expect(verifyOutput).not.toMatch(/FAIL/);
    expect(verifyOutput).toMatch(/^ok {3}round robin: /m);
    expect(verifyOutput).toMatch(/^ok {3}pub\/sub: /m);
    expect(result.code).toBe(0);
    for (const output of result.outputs.slice(0, -1)) expect(output).toBe("");
    expect(existsSync(join(stackDir, GATE_CREDENTIALS_FILE))).toBe(false);
  });

  test("the same gate fails when the cluster is short of a node, and still removes the credentials", async () => {
    const { steps, stackDir } = gate();
    const last = steps[steps.length - 1];
    const short = { ...last, command: last.command.replace(/--timeout \d+/, "--timeout 5").replace(/--expect-nodes (\d+)/, (_m, n: string) => `--expect-nodes ${Number(n) + 1}`) };
    const result = await runGate([...steps.slice(0, -1), short], stackDir, twin!);
    expect(result.code).toBe(1);
    expect(result.outputs[steps.length - 1]).toMatch(/^FAIL round robin: /m);
    expect(existsSync(join(stackDir, GATE_CREDENTIALS_FILE))).toBe(false);
  });
});
