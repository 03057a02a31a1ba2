// The test run's own temporary directory (globalSetup of both projects; globalTeardown removes it).
//
// cdktf's Testing.app() makes a cdktf.outdir.* directory for every app and never removes it (hundreds
// a run); twins kept after a failed boot, roll plans, tsx's cache of the apps the tests run and
// whatever a test not yet written forgets land in the temporary directory too. os.tmpdir() reads
// TMPDIR on every call, and jest's workers and every process a test starts inherit it: pointed at a
// directory of the run's own, all of that goes there and leaves with it. jest's cache would be placed
// in TMPDIR before any globalSetup runs: jest.config.js puts it in node_modules/.cache.
import { chmodSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Set while a run is under way: its directory, TMPDIR as the run found it and the jest process that owns both (no NATS_ name: the app refuses those it does not know). */
const RUN_TMPDIR = "JEST_RUN_TMPDIR";

interface RunTmpdir {
  readonly pid: number;
  readonly dir: string;
  readonly system: string | null;
}

/** The run this process owns; a jest that a test starts inherits the variable, not the ownership. */
function ownRun(): RunTmpdir | undefined {
  const value = process.env[RUN_TMPDIR];
  if (value === undefined) return undefined;
  const run = JSON.parse(value) as RunTmpdir;
  return run.pid === process.pid ? run : undefined;
}

/**
 * Points TMPDIR at a new directory in the system's temporary directory, once a run (each project's
 * globalSetup calls it). A run that ends without globalTeardown (a globalSetup failed) removes it
 * as jest exits.
 */
export default function useRunTmpdir(): void {
  if (ownRun() !== undefined) return;
  const system = tmpdir();
  const run: RunTmpdir = { pid: process.pid, dir: mkdtempSync(join(system, "nats-tests-")), system: process.env.TMPDIR ?? null };
  // The permissions of the directory it stands for (/tmp: 1777): a test that runs a server as
  // another user (PostgreSQL as nobody) reaches the directories it made for it.
  chmodSync(run.dir, statSync(system).mode & 0o7777);
  process.env[RUN_TMPDIR] = JSON.stringify(run);
  process.env.TMPDIR = run.dir;
  process.once("exit", removeRunTmpdir);
}

/** Removes the run's directory with all it holds and puts TMPDIR back. */
export function removeRunTmpdir(): void {
  process.off("exit", removeRunTmpdir);
  const run = ownRun();
  if (run === undefined) return;
  rmSync(run.dir, { recursive: true, force: true });
  if (run.system === null) delete process.env.TMPDIR;
  else process.env.TMPDIR = run.system;
  delete process.env[RUN_TMPDIR];
}
