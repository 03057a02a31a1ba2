import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
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
  working_dir: string;
  environment?: Record<string, string>;
}

/** The readiness gate's local-exec provisioner, exactly as synthesized. */
function gateOf(stack: string): { exec: LocalExec; stackDir: string } {
  const file = freshStackFile(stack);
  const plan = JSON.parse(readFileSync(file, "utf8")) as { resource: { null_resource: Record<string, { provisioner: { "local-exec": LocalExec }[] }> } };
  const [gate] = Object.values(plan.resource.null_resource);
  return { exec: gate.provisioner[0]["local-exec"], stackDir: dirname(file) };
}

/** Runs the gate's command as Terraform would: in its working_dir, through the shell, with its environment. */
function runGate(exec: LocalExec, stackDir: string, lbAddress: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const command = exec.command.replace(/\$\{digitalocean_loadbalancer\.[\w-]+\.ip\}/g, lbAddress);
  const child = spawn("/bin/sh", ["-c", command], { cwd: resolve(stackDir, exec.working_dir), env: { ...process.env, ...env } });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((done) => child.on("exit", (code) => done({ code, output })));
}

/**
 * The gate's environment with its secret references filled as Terraform would, from the
 * values the twin substituted for the same random_password resources.
 */
function gateEnvironment(exec: LocalExec, twin: Twin): Record<string, string> {
  const values: Record<string, string | undefined> = {
    NATS_TOKEN: twin.credentials.token,
    NATS_USER: twin.credentials.user,
    NATS_PASSWORD: twin.credentials.password,
  };
  return Object.fromEntries(Object.keys(exec.environment ?? {}).map((name) => [name, values[name] ?? ""]));
}

describe.each(["nats", "nats-tutorial"])("readiness gate of %s against the twin", (stack) => {
  let twin: Twin | undefined;
  const started: number[] = [];

  beforeAll(async () => {
    twin = await bootTwin({ stack, addressBase: BASE, timeScale: 0.2 });
    started.push(...childPids());
  });

  afterAll(async () => {
    await twin?.stop();
    expect(started.filter(isAlive)).toEqual([]);
  });

  test("the synthesized command passes once the cluster answers", async () => {
    const { exec, stackDir } = gateOf(stack);
    expect(exec.command).toContain(`--expect-nodes ${twin!.nodes.length}`);
    for (const value of Object.values(exec.environment ?? {})) expect(value).toMatch(/^\$\{random_password\.[\w-]+\.result\}$/);
    const result = await runGate(exec, stackDir, twin!.lbAddress, gateEnvironment(exec, twin!));
    expect(result.output).not.toMatch(/FAIL/);
    expect(result.code).toBe(0);
  });

  test("the same command fails when the cluster is short of a node", async () => {
    const { exec, stackDir } = gateOf(stack);
    const short = { ...exec, command: exec.command.replace(/--timeout \d+/, "--timeout 5").replace(/--expect-nodes (\d+)/, (_m, n: string) => `--expect-nodes ${Number(n) + 1}`) };
    const result = await runGate(short, stackDir, twin!.lbAddress, gateEnvironment(exec, twin!));
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/FAIL/);
  });
});
