import { existsSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stopProcess } from "./process";

/** The prefix of every twin's working directory under the system's temporary directory. */
export const WORK_DIR_PREFIX = "nats-twin-";

/** The file in a twin's working directory that lists what it runs; removed once it has stopped them. */
export const MANIFEST_FILE = "twin.json";

/**
 * A process as Linux identifies it for good: a PID is reused once the process has exited, the
 * pair (PID, start time) is not.
 */
export interface ProcessIdentity {
  readonly pid: number;
  /** Clock ticks after boot at which it started (field 22 of /proc/<pid>/stat). */
  readonly startTime: number;
}

/** One process the twin started: which part it plays, and how to tell it from a stranger. */
export interface RecordedProcess extends ProcessIdentity {
  /** "nats-2", "load balancer nats-lb". */
  readonly role: string;
  /** Its command line as /proc/<pid>/cmdline showed it once it ran. */
  readonly cmdline: readonly string[];
}

/** What a running twin records in its working directory. */
export interface TwinManifest {
  /** The process that booted the twin: while it lives, its processes are not leftovers. */
  readonly owner: ProcessIdentity;
  /** The load balancer's address: which twin this is. */
  readonly lbAddress: string;
  readonly processes: readonly RecordedProcess[];
}

/** A twin whose owner is gone, and the processes of it that still run. */
export interface Leftover {
  readonly dir: string;
  readonly manifest: TwinManifest;
  readonly running: readonly RecordedProcess[];
}

/** The identity of a live process, or undefined when there is none (or /proc cannot tell). */
export function identify(pid: number): ProcessIdentity | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which may itself hold spaces and parentheses: state is field 3.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields[0] === "Z") return undefined;
    return { pid, startTime: Number(fields[22 - 3]) };
  } catch {
    return undefined;
  }
}

/** `pid`'s command line, or undefined when it has gone. */
export function commandLine(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").slice(0, -1);
  } catch {
    return undefined;
  }
}

/** The record of a process the twin started, taken while it runs. */
export function recordProcess(role: string, pid: number): RecordedProcess | undefined {
  const identity = identify(pid);
  const cmdline = commandLine(pid);
  return identity === undefined || cmdline === undefined ? undefined : { ...identity, role, cmdline };
}

/** True when `recorded` still runs as the very process recorded: same PID, start time and command line. */
export function isSameProcess(recorded: RecordedProcess): boolean {
  const now = identify(recorded.pid);
  const cmdline = commandLine(recorded.pid);
  return now !== undefined && now.startTime === recorded.startTime && cmdline !== undefined && cmdline.join("\0") === recorded.cmdline.join("\0");
}

function ownerAlive(owner: ProcessIdentity): boolean {
  return identify(owner.pid)?.startTime === owner.startTime;
}

/** Writes the manifest atomically, so that a twin killed mid-write leaves the previous one. */
export function writeManifest(dir: string, manifest: TwinManifest): void {
  const file = join(dir, MANIFEST_FILE);
  writeFileSync(`${file}.new`, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${file}.new`, file);
}

/** Removes the manifest: the twin has stopped every process it listed. */
export function clearManifest(dir: string): void {
  rmSync(join(dir, MANIFEST_FILE), { force: true });
}

function readManifest(dir: string): TwinManifest | undefined {
  try {
    const manifest = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), "utf8")) as TwinManifest;
    return Number.isInteger(manifest.owner?.pid) && Array.isArray(manifest.processes) ? manifest : undefined;
  } catch {
    return undefined;
  }
}

/** The working directories of twins that may still run: those with a manifest, under `root`. */
function twinDirs(root: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(root).filter((name) => name.startsWith(WORK_DIR_PREFIX));
  } catch {
    return [];
  }
  return entries.map((name) => join(root, name)).filter((dir) => existsSync(join(dir, MANIFEST_FILE)));
}

/** Twins whose owner still runs, with their working directory: the twins a control command can reach. */
export function liveTwins(root: string = tmpdir()): { dir: string; manifest: TwinManifest }[] {
  return twinDirs(root).flatMap((dir) => {
    const manifest = readManifest(dir);
    return manifest !== undefined && ownerAlive(manifest.owner) ? [{ dir, manifest }] : [];
  });
}

/**
 * Twins whose owner has gone (killed, or its terminal closed) while their manifest says they
 * still run, with the recorded processes that provably are still theirs.
 */
export function findLeftovers(root: string = tmpdir()): Leftover[] {
  return twinDirs(root).flatMap((dir) => {
    const manifest = readManifest(dir);
    if (manifest === undefined || ownerAlive(manifest.owner)) return [];
    return [{ dir, manifest, running: manifest.processes.filter(isSameProcess) }];
  });
}

/**
 * Stops every leftover process (SIGCONT first, for a frozen one, then SIGTERM, SIGKILL after
 * 5 s) and removes the leftover twin's working directory. Returns one line per leftover twin,
 * naming what was stopped.
 */
export async function stopLeftovers(root: string = tmpdir()): Promise<string[]> {
  const lines: string[] = [];
  for (const leftover of findLeftovers(root)) {
    await Promise.all(leftover.running.map((recorded) => {
      wake(recorded.pid);
      return stopProcess(recorded.pid, "SIGTERM");
    }));
    rmSync(leftover.dir, { recursive: true, force: true });
    const what = leftover.running.map((recorded) => `${recorded.role} (pid ${recorded.pid})`).join(", ");
    lines.push(`a twin on ${leftover.manifest.lbAddress} was left running by process ${leftover.manifest.owner.pid}, which has gone: stopped ${what || "nothing (none of its processes still ran)"}, removed ${leftover.dir}`);
  }
  return lines;
}

/** Sends SIGCONT to `pid` if it still runs: a stopped (frozen) process acts on no other signal but SIGKILL. */
export function wake(pid: number): void {
  try {
    process.kill(pid, "SIGCONT");
  } catch {
    // already gone
  }
}
