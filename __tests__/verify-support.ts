import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import type { Twin } from "../twin/twin";
import type { VerifyOptions } from "../verify/verify";

/** The project root: scripts run from here, as `npm run` does. */
export const ROOT = join(__dirname, "..");

/** A process started by a test, with everything it printed so far. */
export interface Started {
  readonly child: ChildProcess;
  readonly pid: number;
  output(): string;
  /** Resolves with the exit code (or the signal's name) once the process has ended. */
  readonly exited: Promise<number | string>;
}

const started = new Set<Started>();

/**
 * Runs `scripts/<name>.ts` with node and the tsx loader (one process, so its PID is the
 * script's own) and an environment of `env` over a PATH-only base: no NATS_* variable leaks
 * in from the test runner. A `launcher` (e.g. `nsenter --net=…`) must exec the command it is given,
 * so that the PID stays the script's.
 */
export function runScript(name: string, args: readonly string[] = [], env: Record<string, string> = {}, launcher: readonly string[] = []): Started {
  const command = [...launcher, process.execPath, "--import", "tsx", join("scripts", `${name}.ts`), ...args];
  return track(spawn(command[0], command.slice(1), {
    cwd: ROOT,
    env: { ...passedOn(), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  }));
}

/** Runs `npm run --silent <script> -- args` in its own process group, as the readiness gate does. */
export function runNpmScript(script: string, args: readonly string[]): Started {
  return track(spawn("npm", ["run", "--silent", script, "--", ...args], {
    cwd: ROOT,
    env: { ...passedOn(), HOME: process.env.HOME ?? "" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  }));
}

/**
 * The environment every script gets: PATH, and the test run's own temporary directory
 * (__tests__/run-tmpdir.ts), so what a script leaves there is the run's to remove and a twin it
 * starts is found where the test looks for it.
 */
function passedOn(): Record<string, string> {
  return { PATH: process.env.PATH ?? "", ...(process.env.TMPDIR === undefined ? {} : { TMPDIR: process.env.TMPDIR }) };
}

/** Keeps `child` among the processes {@link stopAllStarted} stops, and collects its output. */
export function track(child: ChildProcess): Started {
  if (child.pid === undefined) throw new Error("process did not start");
  let text = "";
  child.stdout?.on("data", (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.once("close", (code, signal) => resolve(code ?? signal ?? "unknown")));
  const entry: Started = { child, pid: child.pid, output: () => text, exited };
  started.add(entry);
  void exited.then(() => started.delete(entry));
  return entry;
}

/** Waits until the process has printed something matching `pattern`; fails with its output otherwise. */
export async function waitForOutput(process: Started, pattern: RegExp, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!pattern.test(process.output())) {
    if (Date.now() > until) throw new Error(`no output matching ${pattern} within ${timeoutMs} ms; got:\n${process.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Sends SIGTERM to every process still running (to the group for detached ones), then SIGKILL
 * to any still running after 3 s. Call from afterEach/afterAll so failures leave nothing behind.
 */
export async function stopAllStarted(): Promise<void> {
  await Promise.all([...started].map(async (entry) => {
    const target = entry.child.spawnargs[0] === "npm" ? -entry.pid : entry.pid;
    signal(target, "SIGTERM");
    const timer = setTimeout(() => signal(target, "SIGKILL"), 3000);
    await entry.exited;
    clearTimeout(timer);
  }));
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

/** Verify options that point at `twin`, as an operator would pass them for its plan. */
export function optionsFor(twin: Twin, extra: Partial<VerifyOptions> = {}): VerifyOptions {
  return {
    lb: twin.lbAddress,
    expectNodes: twin.nodes.length,
    clientPort: twin.clientPort,
    monitorPort: twin.publishedMonitorPort,
    credentials: twin.credentials,
    timeoutSeconds: 20,
    ...extra,
  };
}

/** Each node's monitor base URL, as `nodeMonitors` takes them. */
export function nodeMonitorsOf(twin: Twin): string[] {
  return twin.nodes.map((node) => `http://${node.address}:${node.monitorPort ?? 8222}`);
}

/** The environment variables the CLIs read the twin's client credentials from. */
export function credentialEnv(twin: Twin): Record<string, string> {
  const { token, user, password, tls } = twin.credentials;
  const trust: Record<string, string> = twin.caFile === undefined ? {} : { NATS_CA: twin.caFile };
  if (tls?.serverName !== undefined) trust.NATS_TLS_SERVER_NAME = tls.serverName;
  if (token !== undefined) return { NATS_TOKEN: token, ...trust };
  if (user !== undefined && password !== undefined) return { NATS_USER: user, NATS_PASSWORD: password, ...trust };
  return trust;
}
