import { ChildProcess, spawn } from "node:child_process";
import { accessSync, closeSync, constants, mkdirSync, openSync, readFileSync, symlinkSync } from "node:fs";
import { createServer } from "node:net";
import { delimiter, join, resolve } from "node:path";
import { sleep } from "../helpers/retry";

/** The PATH systemd gives services, followed by the caller's own PATH. */
export const SERVICE_PATH = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin", process.env.PATH ?? ""]
  .filter((dir) => dir !== "")
  .join(delimiter);

/**
 * A PATH that finds `binary` under the name `name` first: `<dir>/bin/<name>` links to it,
 * followed by SERVICE_PATH. How the twin gives a unit's bare `nats-server` a chosen binary.
 */
export function pathWith(dir: string, name: string, binary: string): string {
  mkdirSync(join(dir, "bin"), { recursive: true });
  symlinkSync(resolve(binary), join(dir, "bin", name));
  return [join(dir, "bin"), SERVICE_PATH].join(delimiter);
}

/** Every child the twin has started and not yet seen exit, by PID. */
const running = new Map<number, ChildProcess>();

process.on("exit", () => {
  for (const pid of running.keys()) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
});

/** What to run and where its output goes. */
export interface SpawnSpec {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** File that receives stdout and stderr. */
  readonly logFile: string;
}

/** A started child process, tracked until it exits. */
export interface Started {
  readonly pid: number;
  readonly exited: Promise<void>;
}

/** Starts a process with its output appended to `spec.logFile`; fails when it cannot be spawned. */
export async function startProcess(spec: SpawnSpec): Promise<Started> {
  const log = openSync(spec.logFile, "a");
  try {
    const child = spawn(spec.command, [...spec.args], { cwd: spec.cwd, env: spec.env, stdio: ["ignore", log, log] });
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", resolve);
      child.once("error", reject);
    });
    const pid = child.pid as number;
    running.set(pid, child);
    void exited.then(() => running.delete(pid));
    return { pid, exited };
  } finally {
    closeSync(log);
  }
}

/** True while `pid` names a live process that has not been reaped. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Sends `signal` to `pid` and waits for it to exit; escalates to SIGKILL after
 * `graceMs`. Does nothing when the process is already gone.
 */
export async function stopProcess(pid: number, signal: NodeJS.Signals = "SIGTERM", graceMs = 5000): Promise<void> {
  if (!signalIfAlive(pid, signal)) return;
  if (await waitForExit(pid, graceMs)) return;
  signalIfAlive(pid, "SIGKILL");
  if (!(await waitForExit(pid, 5000))) {
    throw new Error(`process ${pid} did not exit after SIGKILL`);
  }
}

function signalIfAlive(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const child = running.get(pid);
  if (child === undefined) return poll(() => !isAlive(pid), timeoutMs, 20).then(() => true, () => false);
  if (child.exitCode !== null || child.signalCode !== null) return true;
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * Calls `check` every `intervalMs` until it returns a truthy value (which is returned) or
 * `timeoutMs` passes; a throwing check counts as not yet. On timeout the error names
 * `what` and the last failure.
 */
export async function poll<T>(check: () => T | Promise<T>, timeoutMs: number, intervalMs = 100, what = "condition", signal?: AbortSignal): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    if (signal?.aborted) throw new Error(`stopped waiting for ${what}`);
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = `: ${(error as Error).message}`;
    }
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last}`);
    await sleep(intervalMs);
  }
}

/**
 * Polls `check` like {@link poll} but fails at once when `child` exits first; either failure
 * quotes the end of `logFile`.
 */
export async function pollWhileRunning<T>(child: Started, logFile: string, check: () => T | Promise<T>, timeoutMs: number, what: string): Promise<NonNullable<T>> {
  const exit = new AbortController();
  void child.exited.then(() => exit.abort());
  try {
    return await poll(check, timeoutMs, 50, what, exit.signal);
  } catch (error) {
    const reason = exit.signal.aborted ? `process ${child.pid} exited while waiting for ${what}` : (error as Error).message;
    throw new Error(`${reason}\nlast lines of ${logFile}:\n${tail(logFile)}`);
  }
}

/** The last lines of a log file, for error messages. */
function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no output)";
  }
}

/** Fails with an error naming the address when `host:port` cannot be listened on. */
export async function assertPortFree(host: string, port: number, owner: string): Promise<void> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      reject(new Error(`port ${port} on ${host} (${owner}) is not free: ${error.code ?? error.message}; stop whatever listens there or choose another address base (--address-base)`));
    });
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve()));
  });
}

/** Returns the absolute path of `name` on the service PATH, or fails with `installHint`. */
export function findExecutable(name: string, installHint: string): string {
  for (const dir of SERVICE_PATH.split(delimiter)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  throw new Error(`${name} not found: ${installHint}`);
}
