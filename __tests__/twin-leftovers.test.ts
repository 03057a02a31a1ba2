import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MANIFEST_FILE, RecordedProcess, TwinManifest, findLeftovers, identify, isSameProcess, liveTwins, recordProcess, writeManifest } from "../twin/leftovers";
import { isAlive, poll, stopProcess } from "../twin/process";
import { runScript, stopAllStarted, waitForOutput, type Started } from "./verify-support";

// Integration test: runs `npm run twin` (node and the tsx loader, one process) and kills it.
jest.setTimeout(180_000);

// Loopback block of this file: the load balancer on .10, nodes on .11 and .12 (the tutorial stack).
const BASE = "127.26.2.10";

/**
 * The temporary directory of the twins this file starts. Every twin boot stops the leftovers it finds
 * in its TMPDIR: in the run's shared one, a twin booted by another test file side by side would stop
 * the leftover the SIGKILL test leaves on purpose before this file's second twin can (seen in
 * .ci/run with four workers), and that twin's output, not this one's, would say so.
 */
const twinsRoot = mkdtempSync(join(tmpdir(), "leftovers-twins-"));
afterAll(() => rmSync(twinsRoot, { recursive: true, force: true }));

/** Every process a test saw a twin record, stopped by PID after each test if it still runs as recorded. */
const recorded: RecordedProcess[] = [];

afterEach(async () => {
  await stopAllStarted();
  await Promise.all(recorded.splice(0).filter(isSameProcess).map((process) => stopProcess(process.pid, "SIGKILL")));
});

/** Starts the twin CLI on BASE and waits until it is up; returns it and what it recorded. */
async function startTwin(): Promise<{ run: Started; manifest: TwinManifest }> {
  const run = runScript("twin", ["--stack", "nats-tutorial", "--address-base", BASE], { TMPDIR: twinsRoot });
  await waitForOutput(run, /Ctrl-C stops the twin\./, 90_000);
  const [own] = liveTwins(twinsRoot).filter((twin) => twin.manifest.owner.pid === run.pid);
  recorded.push(...own.manifest.processes);
  return { run, manifest: own.manifest };
}

test("a twin closed with SIGHUP (its terminal closed) stops every process it started", async () => {
  const { run, manifest } = await startTwin();
  expect(manifest.processes.map((process) => process.role).sort()).toEqual(["load balancer nats-lb", "nats-droplet-1", "nats-droplet-2"]);
  process.kill(run.pid, "SIGHUP");
  expect(await run.exited).toBe(0);
  expect(run.output()).toContain("twin: SIGHUP, stopping");
  expect(manifest.processes.filter((process) => isAlive(process.pid))).toEqual([]);
  expect(findLeftovers(twinsRoot)).toEqual([]);
});

test("a twin killed with SIGKILL leaves its processes, and the next start stops them, says so and boots on the same addresses", async () => {
  const first = await startTwin();
  process.kill(first.run.pid, "SIGKILL");
  await first.run.exited;
  // The defect this guards against: nats-server and HAProxy keep running, re-parented, on their ports.
  expect(first.manifest.processes.filter(isSameProcess)).toHaveLength(3);

  const second = await startTwin();
  const pids = first.manifest.processes.map((process) => `${process.role} (pid ${process.pid})`);
  expect(second.run.output()).toContain(`twin: a twin on ${BASE} was left running by process ${first.run.pid}, which has gone: stopped ${pids.join(", ")}`);
  expect(second.run.output()).not.toContain("EADDRINUSE");
  expect(first.manifest.processes.filter((process) => isAlive(process.pid))).toEqual([]);
  process.kill(second.run.pid, "SIGINT");
  expect(await second.run.exited).toBe(0);
});

describe("a leftover is stopped only when it provably is the dead twin's own", () => {
  const root = mkdtempSync(join(tmpdir(), "leftovers-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /** A `sleep` that plays a leftover nats-server, and the record a dead owner left of it. */
  async function leftover(change: (record: RecordedProcess) => RecordedProcess, owner = { pid: 2 ** 22 + 1, startTime: 1 }): Promise<{ pid: number; dir: string }> {
    const child = spawn("sleep", ["60"], { stdio: "ignore" });
    const pid = child.pid as number;
    await poll(() => readFileSync(`/proc/${pid}/cmdline`, "utf8").startsWith("sleep"), 5000, 10, "sleep to run");
    const record = recordProcess("nats-1", pid) as RecordedProcess;
    recorded.push(record);
    const dir = mkdtempSync(join(root, "nats-twin-"));
    writeManifest(dir, { owner, lbAddress: BASE, processes: [change(record)] });
    return { pid, dir };
  }

  test("same PID, start time and command line, owner gone: found", async () => {
    const { pid, dir } = await leftover((record) => record);
    expect(findLeftovers(root).map((found) => [found.dir, found.running.map((process) => process.pid)])).toContainEqual([dir, [pid]]);
    rmSync(dir, { recursive: true });
  });

  test.each([
    ["another start time (the PID was reused)", (record: RecordedProcess) => ({ ...record, startTime: record.startTime - 1 })],
    ["another command line", (record: RecordedProcess) => ({ ...record, cmdline: ["nats-server", "-p", "4222"] })],
  ])("%s: not touched", async (_case, change) => {
    const { pid, dir } = await leftover(change);
    const found = findLeftovers(root).find((candidate) => candidate.dir === dir);
    expect(found?.running).toEqual([]);
    expect(isAlive(pid)).toBe(true);
    rmSync(dir, { recursive: true });
  });

  test("its owner still runs (another twin, booted by another process): not a leftover", async () => {
    const { dir } = await leftover((record) => record, identify(process.pid));
    expect(findLeftovers(root).map((found) => found.dir)).not.toContain(dir);
    expect(liveTwins(root).map((twin) => twin.dir)).toContain(dir);
    expect(readFileSync(join(dir, MANIFEST_FILE), "utf8")).toContain(`"pid": ${process.pid}`);
    rmSync(dir, { recursive: true });
  });
});

test("--check prints nothing that is gone once it exits: no CA path, no hints for a twin that has stopped", async () => {
  const run = runScript("twin", ["--stack", "nats", "--check", "--address-base", "127.26.3.10", "--time-scale", "0.2"]);
  expect(await run.exited).toBe(0);
  expect(run.output()).toMatch(/^ok +jetstream: /m);
  expect(run.output()).not.toContain("NATS_CA=");
  const paths = run.output().match(/\/[\w.-]+(?:\/[\w.-]+)+/g) ?? [];
  expect(paths.filter((path) => !existsSync(path))).toEqual([]);
});

test("a misspelled NATS_TWIN_SECRET_ variable stops the twin before it starts anything, naming the right one", async () => {
  const run = runScript("twin", ["--stack", "nats", "--address-base", "127.26.5.10"], { NATS_TWIN_SECRET_CLUSTER_AUTH_CLIENT_SECRT_E03882C3: "chosen-token" });
  const exited = await Promise.race([run.exited, new Promise((resolve) => setTimeout(() => resolve("still running"), 60_000))]);
  expect(exited).toBe(1);
  expect(run.output()).toContain("twin: NATS_TWIN_SECRET_CLUSTER_AUTH_CLIENT_SECRT_E03882C3 names no random_password of the plan: did you mean NATS_TWIN_SECRET_CLUSTER_AUTH_CLIENT_SECRET_E03882C3?");
  expect(run.output()).not.toContain("chosen-token");
});
