import { ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, watch } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROJECT_ROOT } from "../plan/synth";

// Integration test: runs jest in a child process, over test files that leave something in the
// temporary directory: cdktf.outdir.* of Testing.app (nats-outputs), roll-plan-* (roll-driver),
// tsx's cache of the app run as a process and the integration project's globalSetup (synth-fresh).
jest.setTimeout(240_000);

const FILES = ["__tests__/nats-outputs.test.ts", "__tests__/roll-driver.test.ts", "__tests__/synth-fresh.test.ts"];

const fresh = mkdtempSync(join(tmpdir(), "run-tmpdir-"));
/** The child jests still running: a test that times out leaves its child to afterAll. */
const running = new Set<ChildProcess>();
afterAll(() => {
  for (const child of running) child.kill("SIGKILL");
  rmSync(fresh, { recursive: true, force: true });
});

/** Runs jest on `files` in a child process with TMPDIR=`dir`; resolves with its exit status, its stderr and what it made in `dir`. */
async function jestIn(dir: string, files: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<{ status: number | null; stderr: string; made: string[] }> {
  // What the run made in `dir`, so that an empty directory is not a run that wrote elsewhere.
  const made = new Set<string>();
  const watcher = watch(dir, (_event, name) => {
    if (name !== null) made.add(name);
  });
  const child = spawn(process.execPath, [require.resolve("jest/bin/jest"), "--ci", ...files], { cwd: PROJECT_ROOT, env: { ...process.env, ...env, TMPDIR: dir }, stdio: ["ignore", "ignore", "pipe"] });
  running.add(child);
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const status = await new Promise<number | null>((resolve) => child.on("close", resolve));
  running.delete(child);
  watcher.close();
  return { status, stderr, made: [...made] };
}

test("a test run in a fresh TMPDIR leaves it empty", async () => {
  const dir = mkdtempSync(join(fresh, "run-"));
  const run = await jestIn(dir, FILES);
  expect({ status: run.status, stderr: run.status === 0 ? "" : run.stderr }).toEqual({ status: 0, stderr: "" });
  expect(run.stderr).toMatch(/^Tests: +\d+ passed, \d+ total$/m);
  expect(readdirSync(dir)).toEqual([]);
  expect(run.made).toEqual([expect.stringMatching(/^nats-tests-\w+$/)]);
});

test("a run whose globalSetup fails (so no globalTeardown runs) leaves it empty too", async () => {
  const dir = mkdtempSync(join(fresh, "failed-setup-"));
  const run = await jestIn(dir, ["__tests__/synth-fresh.test.ts"], { NATS_TWIN_SERVER: join(fresh, "no-such-nats-server") });
  expect(run.status).toBe(1);
  expect(run.stderr).toMatch(/Got error running globalSetup - .*global-setup\.ts, reason: .*no-such-nats-server/);
  expect(readdirSync(dir)).toEqual([]);
  expect(run.made).toEqual([expect.stringMatching(/^nats-tests-\w+$/)]);
});
