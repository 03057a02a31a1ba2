import { Testing, TerraformStack } from "cdktf";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { GATE_CREDENTIALS_FILE, GATE_FAILURE_HINT, ReadinessGate, type ReadinessGateProps } from "../constructs/readiness-gate";
import { freshStackFile } from "../plan/synth";
import { parseVerifyArgs } from "../verify/cli";
import { gateProps, stepsOf } from "./gate-support";

// Integration test: runs the gate's steps in /bin/sh (Terraform's local-exec interpreter) and bash,
// and synthesizes main.ts.
jest.setTimeout(60_000);

describe("ReadinessGate's steps in /bin/sh", () => {
  test.each([
    ["without credentials", {}],
    ["with credentials", { credentials: { NATS_TOKEN: "${random_password.t.result}" } }],
  ] as [string, Partial<ReadinessGateProps>][])("%s, a failed verify prints where to look on the droplets and keeps verify's exit status", (_name, extra) => {
    const stack = new TerraformStack(Testing.app(), "s");
    const gate = new ReadinessGate(stack, "gate", { ...gateProps, ...extra });
    const step = stepsOf(stack).at(-1)!["local-exec"].command;
    const dir = mkdtempSync(join(tmpdir(), "gate-failure-"));
    try {
      // With credentials, the step first opens the file the step before it wrote.
      const run = (verify: string) => {
        if (extra.credentials !== undefined) writeFileSync(join(dir, GATE_CREDENTIALS_FILE), "NATS_TOKEN=t\n", { mode: 0o600 });
        return spawnSync("/bin/sh", ["-c", step.replace(gate.command, verify)], { cwd: dir, env: { PATH: process.env.PATH }, encoding: "utf8" });
      };
      const failed = run("(exit 3)");
      expect([failed.status, failed.stderr]).toEqual([3, `${GATE_FAILURE_HINT}\n`]);
      expect(failed.stderr).toMatch(/systemctl status nats-server .*journalctl -u nats-server/);
      const passed = run("true");
      expect([passed.status, passed.stderr]).toEqual([0, ""]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the credentials step writes a 0600 file that verify reads, and prints nothing", () => {
    const stack = new TerraformStack(Testing.app(), "s");
    new ReadinessGate(stack, "gate", { ...gateProps, credentials: { NATS_TOKEN: "${random_password.t.result}" } });
    const [write] = stepsOf(stack);
    const dir = mkdtempSync(join(tmpdir(), "gate-credentials-"));
    try {
      const run = spawnSync("/bin/sh", ["-c", write["local-exec"].command], { cwd: dir, env: { PATH: process.env.PATH, NATS_TOKEN: "Zq9x8Wv7" }, encoding: "utf8" });
      expect([run.status, run.stdout, run.stderr]).toEqual([0, "", ""]);
      const file = join(dir, GATE_CREDENTIALS_FILE);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(parseVerifyArgs(["--lb", "x", "--credentials-file", file], {})).toMatchObject({ options: { credentials: { token: "Zq9x8Wv7" } } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

});

// Loopback block of this file (issue 21's range): a stand-in for the load balancer that accepts
// connections and never answers, so that verify keeps running until it is stopped.
const STAND_IN = "127.21.0.30";

interface LocalExec {
  command: string;
  environment?: Record<string, string>;
}

describe("the credentials file on every exit path: the nats stack's gate, as synthesized, against a stand-in on loopback", () => {
  let server: Server;
  const accepted = new Set<Socket>();
  let connections = 0;
  let steps: LocalExec[];
  let stackCopy: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    const file = freshStackFile("nats");
    const plan = JSON.parse(readFileSync(file, "utf8")) as { resource: { null_resource: Record<string, { provisioner: { "local-exec": LocalExec }[] }> } };
    const [gate] = Object.values(plan.resource.null_resource);
    steps = gate.provisioner.map((step) => step["local-exec"]);
    stackCopy = mkdtempSync(join(tmpdir(), "gate-exit-"));
    cpSync(dirname(file), stackCopy, { recursive: true });
    server = createServer((socket) => {
      connections++;
      accepted.add(socket);
      socket.on("error", () => undefined);
      socket.on("close", () => accepted.delete(socket));
    });
    const port = Number(/--client-port (\d+)/.exec(steps[1].command)?.[1]);
    await new Promise<void>((resolve) => server.listen(port, STAND_IN, resolve));
  });

  afterEach(async () => {
    // Every process a test started (the step's shell and the verify it runs), by PID, also when it failed.
    for (const child of children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        for (const pid of childrenOf(child.pid!)) process.kill(pid, "SIGKILL");
        child.kill("SIGKILL");
        await new Promise((resolve) => child.once("close", resolve));
      }
    }
    rmSync(join(stackCopy, GATE_CREDENTIALS_FILE), { force: true });
  });

  afterAll(async () => {
    for (const socket of accepted) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(stackCopy, { recursive: true, force: true });
  });

  const credentials = (): string => join(stackCopy, GATE_CREDENTIALS_FILE);

  /** Runs `argv` in the stack's copy with the plan's environment filled, as Terraform runs a step. */
  function start(argv: string[]): { child: ChildProcess; exited: Promise<number | string> } {
    const child = spawn(argv[0], argv.slice(1), { cwd: stackCopy, env: { PATH: process.env.PATH ?? "", NATS_TOKEN: "Zq9x8Wv7" }, stdio: "ignore" });
    children.push(child);
    return { child, exited: new Promise((resolve) => child.once("close", (code, signal) => resolve(code ?? signal ?? "unknown"))) };
  }

  /** The second step's command with the load balancer's address filled. */
  function verifyStep(): string {
    return steps[1].command.replace(/\$\{digitalocean_loadbalancer\.[\w-]+\.ip\}/g, STAND_IN);
  }

  async function writeCredentials(): Promise<void> {
    expect(await start(["/bin/sh", "-c", steps[0].command]).exited).toBe(0);
    expect(statSync(credentials()).mode & 0o777).toBe(0o600);
  }

  /** Waits until the stand-in has accepted `count` connections in all. */
  async function connectedTo(count: number): Promise<void> {
    for (let waited = 0; connections < count; waited += 50) {
      if (waited > 20_000) throw new Error(`verify made ${connections} connections, expected ${count}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  function childrenOf(pid: number): number[] {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter((p) => p !== "").map(Number);
  }

  test("the plan's steps: the first writes the file, the second deletes it before verify starts", () => {
    expect(steps).toHaveLength(2);
    expect(steps[1].command).toMatch(/^trap 'rm -f \.readiness-gate-credentials' EXIT; .*exec 3< \.readiness-gate-credentials && rm -f \.readiness-gate-credentials && \{ node assets\/\S+\/verify\.js .* --credentials-file \/dev\/fd\/3 /);
  });

  test.each(["/bin/sh", "bash"])("%s: verify runs on the credentials with the file already gone; a SIGKILL of the step leaves nothing", async (shell) => {
    await writeCredentials();
    const before = connections;
    const step = start([shell, "-c", verifyStep()]);
    await connectedTo(before + 1);
    expect(existsSync(credentials())).toBe(false);
    const [verify] = childrenOf(step.child.pid!);
    step.child.kill("SIGKILL");
    expect(await step.exited).toBe("SIGKILL");
    // verify, orphaned, is stopped by its PID.
    process.kill(verify, "SIGKILL");
    expect(existsSync(credentials())).toBe(false);
  });

  test.each(["/bin/sh", "bash"])("%s: stopped by timeout(1), as a gate with a time limit is: status 124 and nothing left", async (shell) => {
    await writeCredentials();
    const step = start(["timeout", "3", shell, "-c", verifyStep()]);
    expect(await step.exited).toBe(124);
    expect(existsSync(credentials())).toBe(false);
  });

  test.each([
    ["/bin/sh", "SIGHUP", 129],
    ["/bin/sh", "SIGINT", 130],
    ["/bin/sh", "SIGTERM", 143],
    ["bash", "SIGHUP", 129],
    ["bash", "SIGINT", 130],
    ["bash", "SIGTERM", 143],
  ] as const)("%s: a %s before the file is opened: the trap deletes it, exit status %d", async (shell, signal, status) => {
    // A FIFO in the file's place holds the step in `exec 3<` (an open blocks until a writer comes):
    // the window between the step's start and its deletion of the file, made long enough to hit.
    spawnSync("mkfifo", [credentials()]);
    const step = start([shell, "-c", verifyStep()]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(existsSync(credentials())).toBe(true);
    step.child.kill(signal);
    expect(await step.exited).toBe(status);
    expect(existsSync(credentials())).toBe(false);
  });
});

test("a synthesis removes a credentials file left in the stack's directory", () => {
  const outdir = mkdtempSync(join(tmpdir(), "gate-synth-"));
  try {
    const leftover = join(outdir, "stacks", "nats", GATE_CREDENTIALS_FILE);
    mkdirSync(dirname(leftover), { recursive: true });
    writeFileSync(leftover, "NATS_TOKEN=left-behind\n", { mode: 0o600 });
    freshStackFile("nats", outdir);
    expect(existsSync(join(outdir, "stacks", "nats", "cdk.tf.json"))).toBe(true);
    expect(existsSync(leftover)).toBe(false);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
});
