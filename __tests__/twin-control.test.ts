import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { queryServerStates } from "../twin/haproxy";
import { liveTwins, TwinManifest } from "../twin/leftovers";
import { runScript, stopAllStarted, waitForOutput, type Started } from "./verify-support";

// Integration test: runs `npm run twin` and, from other processes, `npm run twin -- node …`.
jest.setTimeout(180_000);

// Loopback block of this file: the load balancer on .10, nodes on .11 and .12 (the tutorial stack).
const BASE = "127.26.1.10";
const VICTIM = "nats-droplet-2";
// The tutorial's health check (5 s, timeout 5 s, rise 5, fall 3) × 0.1.
const TIME_SCALE = "0.1";

let twin: Started;
let dir: string;

beforeAll(async () => {
  twin = runScript("twin", ["--stack", "nats-tutorial", "--address-base", BASE, "--time-scale", TIME_SCALE]);
  await waitForOutput(twin, /Ctrl-C stops the twin\./, 90_000);
  dir = liveTwins().find((found) => found.manifest.owner.pid === twin.pid)?.dir as string;
});

afterAll(stopAllStarted);

/** Runs `npm run twin -- <args> --address-base BASE` and returns its exit status and output. */
async function control(...args: string[]): Promise<{ code: number | string; output: string }> {
  const run = runScript("twin", [...args, "--address-base", BASE]);
  const code = await run.exited;
  return { code, output: run.output() };
}

/** What HAProxy itself says of the victim, from its stats socket: not the control command's report. */
async function haproxyState(): Promise<string> {
  const socket = readdirSync(dir).find((name) => name.startsWith("haproxy-") && name.endsWith(".sock")) as string;
  return (await queryServerStates(join(dir, socket)))[VICTIM];
}

function victimPid(): number | undefined {
  const manifest = JSON.parse(readFileSync(join(dir, "twin.json"), "utf8")) as TwinManifest;
  return manifest.processes.find((process) => process.role === VICTIM)?.pid;
}

/** The process state letter of /proc/<pid>/stat: "T" while stopped by SIGSTOP. */
function processState(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
}

test("nodes prints every node with the load balancer's view and its routes", async () => {
  const { code, output } = await control("nodes");
  expect(code).toBe(0);
  expect(output).toMatch(/^node +address +nats-server +nats-lb \(haproxy\) +routes$/m);
  expect(output).toMatch(new RegExp(`^nats-droplet-1 +127\\.26\\.1\\.11 +running \\(pid \\d+\\) +UP +1 of 1$`, "m"));
  expect(output).toMatch(new RegExp(`^${VICTIM} +127\\.26\\.1\\.12 +running \\(pid ${victimPid()}\\) +UP +1 of 1$`, "m"));
});

test("kill: the node dies, HAProxy marks it DOWN and the mesh loses it, with timings", async () => {
  const pid = victimPid() as number;
  const { code, output } = await control("node", "kill", VICTIM);
  expect(code).toBe(0);
  expect(output).toContain(`${VICTIM}: SIGKILL to nats-server (pid ${pid}), a dead droplet`);
  expect(output).toMatch(/^mesh: nats-droplet-1 routes to 0 of 1 after \d+\.\d s$/m);
  // 3 failed checks 500 ms apart: well under the 90 s the report waits at most.
  expect(output).toMatch(new RegExp(`^nats-lb: haproxy marked ${VICTIM} DOWN after [0-4]\\.\\d s$`, "m"));
  expect(await haproxyState()).toBe("DOWN");
  expect(victimPid()).toBeUndefined();
  expect((await control("nodes")).output).toMatch(new RegExp(`^${VICTIM} +127\\.26\\.1\\.12 +stopped +DOWN +-$`, "m"));
});

test("start: the node boots again with its volume, joins the mesh and comes UP", async () => {
  const { code, output } = await control("node", "start", VICTIM);
  expect(code).toBe(0);
  expect(output).toMatch(new RegExp(`^${VICTIM}: nats-server pid \\d+ healthy after \\d+\\.\\d s$`, "m"));
  expect(output).toMatch(/^mesh: nats-droplet-1 routes to 1 of 1, nats-droplet-2 routes to 1 of 1 after \d+\.\d s$/m);
  expect(output).toMatch(new RegExp(`^nats-lb: haproxy marked ${VICTIM} UP after \\d+\\.\\d s$`, "m"));
  expect(await haproxyState()).toBe("UP");
});

test("freeze: the process hangs (SIGSTOP), HAProxy marks it DOWN, the mesh keeps its routes; start resumes it", async () => {
  const pid = victimPid() as number;
  const frozen = await control("node", "freeze", VICTIM);
  expect(frozen.code).toBe(0);
  expect(processState(pid)).toBe("T");
  expect(frozen.output).toMatch(new RegExp(`^nats-lb: haproxy marked ${VICTIM} DOWN after \\d+\\.\\d s$`, "m"));
  expect(frozen.output).toContain("its peers keep their routes until nats-server's ping timeout");
  expect(await haproxyState()).toBe("DOWN");
  expect((await control("nodes")).output).toMatch(new RegExp(`^${VICTIM} +127\\.26\\.1\\.12 +frozen \\(pid ${pid}\\) +DOWN +-$`, "m"));

  const resumed = await control("node", "start", VICTIM);
  expect(resumed.code).toBe(0);
  expect(resumed.output).toContain(`${VICTIM}: SIGCONT, the frozen nats-server (pid ${pid}) resumes`);
  expect(resumed.output).toMatch(new RegExp(`^nats-lb: haproxy marked ${VICTIM} UP after \\d+\\.\\d s$`, "m"));
  expect(processState(pid)).not.toBe("T");
  expect(await haproxyState()).toBe("UP");
});

test("stop: lame duck mode, the node exits, HAProxy marks it DOWN; start brings it back", async () => {
  const stopped = await control("node", "stop", VICTIM);
  expect(stopped.code).toBe(0);
  expect(stopped.output).toContain(`${VICTIM}: systemctl stop, lame duck mode (SIGUSR2 to pid`);
  expect(stopped.output).toMatch(new RegExp(`^${VICTIM}: nats-server exited after \\d+\\.\\d s$`, "m"));
  expect(stopped.output).toMatch(new RegExp(`^nats-lb: haproxy marked ${VICTIM} DOWN after \\d+\\.\\d s$`, "m"));
  expect(await haproxyState()).toBe("DOWN");
  expect(readFileSync(join(dir, readdirSync(dir).find((name) => name.startsWith(`${VICTIM}-`)) as string, "nats-server.log"), "utf8")).toContain("Entering lame duck mode");

  expect((await control("node", "start", VICTIM)).code).toBe(0);
  expect(await haproxyState()).toBe("UP");
});

test.each([
  [["node", "kill", "nats-droplet-9"], 1, 'error: no node "nats-droplet-9": the twin runs nats-droplet-1, nats-droplet-2'],
  [["node", "start", VICTIM], 1, `error: ${VICTIM} is running (pid`],
  [["node", "explode", VICTIM], 2, 'twin: node "explode" is not an action: expected node <stop|kill|freeze|start> <node>'],
  [["node", "kill", "$(reboot)"], 2, 'twin: "$(reboot)" is not a node name'],
])("%j exits %d: %s", async (args, status, message) => {
  const { code, output } = await control(...args);
  expect(code).toBe(status);
  expect(output).toContain(message);
});

test("the twin printed every report too", () => {
  expect(twin.output()).toMatch(new RegExp(`^twin: nats-lb: haproxy marked ${VICTIM} DOWN after`, "m"));
});
