import { spawn } from "node:child_process";
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
afterAll(() => rmSync(fresh, { recursive: true, force: true }));

test("a test run in a fresh TMPDIR leaves it empty", async () => {
  // What the run made in `fresh`, so that an empty directory is not a run that wrote elsewhere.
  const made = new Set<string>();
  const watcher = watch(fresh, (_event, name) => {
    if (name !== null) made.add(name);
  });
  const args = [require.resolve("jest/bin/jest"), "--ci", ...FILES];
  const child = spawn(process.execPath, args, { cwd: PROJECT_ROOT, env: { ...process.env, TMPDIR: fresh }, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const status = await new Promise<number | null>((resolve) => child.on("close", resolve));
  watcher.close();
  expect({ status, stderr: status === 0 ? "" : stderr }).toEqual({ status: 0, stderr: "" });
  expect(stderr).toMatch(/^Tests: +\d+ passed, \d+ total$/m);
  expect(readdirSync(fresh)).toEqual([]);
  expect([...made]).toEqual([expect.stringMatching(/^nats-tests-\w+$/)]);
});
