import { execFileSync } from "node:child_process";
import { readdirSync, readlinkSync } from "node:fs";
import { freshStackFile } from "../plan/synth";
import { childPids } from "../twin/probe";
import { readPlan } from "../twin/plan";
import { sleep } from "../helpers/retry";
import { runScript, stopAllStarted, waitForOutput, type Started } from "./verify-support";

// Integration test: a real partition, not a model of one. The twin (`npm run twin`: nats-server and
// HAProxy processes) runs in a network namespace of its own (`unshare --net`, in a user namespace of
// its own too, so that it runs without root; its 127.24.0.x addresses live on that namespace's lo),
// and iptables in that namespace drops every packet to and from node 1's route listener, so the
// route connections stay ESTABLISHED and /routez keeps listing them while no message crosses. verify
// runs in the same namespaces (`nsenter`). The tools are required: a missing unshare, nsenter, ip or
// iptables fails the test (.ci/run installs iptables and iproute2).
jest.setTimeout(300_000);

const BASE = "127.24.0.10";
const NODES = ["127.24.0.11", "127.24.0.12", "127.24.0.13"];
/** verify's --timeout while the route is cut: the mesh check must fail within it. */
const CUT_TIMEOUT_SECONDS = 15;
/** verify's --timeout once the cut is healed. */
const HEALED_TIMEOUT_SECONDS = 90;

const plan = readPlan(freshStackFile("nats"));
/** The seed load balancer forwards the cluster port to node 1: the port every route listener uses. */
const CLUSTER_PORT = plan.internalLoadBalancers[0].forwardingRules[0].targetPort;

let twin: Started | undefined;
let namespaceInode: string | undefined;

afterAll(async () => {
  await stopAllStarted();
  // Still running only when the twin was killed before its own stop ran: ours to end, by PID, while
  // the PID is still in the twin's namespace. A PID that has ended may already be another file's
  // process (files run side by side, and PIDs wrap at 32768): this once killed a twin-leftovers node.
  const ours = (): number[] => (namespaceInode === undefined ? [] : processesIn(namespaceInode));
  const left = await settled(ours);
  left.forEach((pid) => process.kill(pid, "SIGKILL"));
  expect(left).toEqual([]);
  // No process holds the namespace any more: the kernel has deleted it.
  if (namespaceInode !== undefined) expect(await settled(() => processesIn(namespaceInode as string))).toEqual([]);
  expect(childPids()).toEqual([]);
});

/**
 * What `list` still returns after up to 5 s: a process that ends on its own once its parent has
 * (tsx's esbuild service, a child of the twin's node process) gets the time to.
 */
async function settled(list: () => number[]): Promise<number[]> {
  for (let i = 0; i < 50 && list().length > 0; i++) await sleep(100);
  return list();
}

/** The PIDs whose network namespace is `inode` (as /proc/<pid>/ns/net names it). */
function processesIn(inode: string): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readlinkSync(`/proc/${pid}/ns/net`) === inode;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** nsenter's arguments that enter the twin's namespaces. */
function enter(): string[] {
  return ["nsenter", `--user=/proc/${twin?.pid}/ns/user`, `--net=/proc/${twin?.pid}/ns/net`];
}

/** Runs `command` in the twin's network namespace and returns its output. */
function inNamespace(command: string, ...args: string[]): string {
  const [nsenter, ...options] = enter();
  return execFileSync(nsenter, [...options, command, ...args], { encoding: "utf8" });
}

/** The iptables rules that cut node 1's route listener off, both directions. */
const CUT = [
  ["INPUT", "-p", "tcp", "-d", NODES[0], "--dport", String(CLUSTER_PORT), "-j", "DROP"],
  ["INPUT", "-p", "tcp", "-s", NODES[0], "--sport", String(CLUSTER_PORT), "-j", "DROP"],
];

/** The environment a user's shell gives the CLIs: where the nats-server cache is, and the twin's client credentials. */
function environment(credentials: Record<string, string> = {}): Record<string, string> {
  const passed = Object.entries(process.env).filter((entry): entry is [string, string] => ["HOME", "XDG_CACHE_HOME", "NATS_TWIN_SERVER"].includes(entry[0]) && entry[1] !== undefined);
  return { ...Object.fromEntries(passed), ...credentials };
}

/** verify in the namespace, with every node's monitor, as an operator checks a cluster whose nodes they can reach. */
async function verifyInNamespace(credentials: Record<string, string>, timeoutSeconds: number): Promise<{ code: number | string; output: string; ms: number; firstMeshFailureMs?: number }> {
  const started = Date.now();
  const run = runScript("verify", ["--lb", BASE, "--expect-nodes", "3", "--nodes", NODES.join(","), "--timeout", String(timeoutSeconds)], environment(credentials), enter());
  let firstMeshFailureMs: number | undefined;
  const watch = waitForOutput(run, /^waiting for mesh: /m, 1000 * timeoutSeconds).then(
    () => (firstMeshFailureMs = Date.now() - started),
    () => undefined,
  );
  const code = await run.exited;
  await watch;
  return { code, output: run.output(), ms: Date.now() - started, firstMeshFailureMs };
}

test("the tools for a real partition are installed", () => {
  for (const tool of [["unshare", "--version"], ["nsenter", "--version"], ["ip", "-V"], ["iptables", "-V"]]) {
    expect(() => execFileSync(tool[0], tool.slice(1), { stdio: "ignore" })).not.toThrow();
  }
});

test("verify fails the mesh within its timeout while node 1's route listener is cut, though /routez lists every route, and passes once it is healed", async () => {
  twin = runScript("twin", ["--stack", "nats", "--address-base", BASE, "--time-scale", "0.2"], environment(), ["unshare", "--user", "--map-root-user", "--net", "--", "sh", "-c", 'ip link set lo up && exec "$@"', "sh"]);
  await waitForOutput(twin, /^Ctrl-C stops the twin\.$/m, 120_000);
  namespaceInode = readlinkSync(`/proc/${twin.pid}/ns/net`);
  expect(namespaceInode).not.toBe(readlinkSync("/proc/self/ns/net"));
  // The twin and its children (nats-server, HAProxy) in the namespace.
  expect(processesIn(namespaceInode)).toEqual(expect.arrayContaining([twin.pid, ...childPids(twin.pid)]));
  expect(childPids(twin.pid).length).toBeGreaterThanOrEqual(NODES.length);
  const hint = /NATS_TOKEN=(\S+) NATS_CA=(\S+) NATS_TLS_SERVER_NAME=(\S+) NATS_SERVER=/.exec(twin.output());
  if (hint === null) throw new Error(`the twin printed no client settings:\n${twin.output()}`);
  const credentials = { NATS_TOKEN: hint[1], NATS_CA: hint[2], NATS_TLS_SERVER_NAME: hint[3] };

  const whole = await verifyInNamespace(credentials, 30);
  expect(whole.output).toContain("ok   mesh: each node's /routez: 3/3 nodes report 2 routes; messages between one connection per server: 6/6 server pairs carried messages");
  expect(whole.code).toBe(0);

  for (const rule of CUT) inNamespace("iptables", "-A", ...rule);
  try {
    const cut = await verifyInNamespace(credentials, CUT_TIMEOUT_SECONDS);
    console.log(`partition: verify saw the mesh fail after ${cut.firstMeshFailureMs} ms, exited ${cut.code} after ${cut.ms} ms (--timeout ${CUT_TIMEOUT_SECONDS})\n${cut.output}`);
    // The routes are still listed: only the messages show the cut, between node 1 and each other node.
    expect(cut.output).toMatch(/^FAIL mesh: each node's \/routez: 3\/3 nodes report 2 routes; messages between one connection per server: 2\/6 server pairs carried messages; missing .*\(still failing after \d+ attempts\)$/m);
    const missing = /missing (.*) \(still/.exec(cut.output)?.[1].split(", ").sort();
    expect(missing).toEqual(["nats-1 → nats-2", "nats-1 → nats-3", "nats-2 → nats-1", "nats-3 → nats-1"]);
    expect(cut.code).toBe(1);
    expect(cut.firstMeshFailureMs).toBeLessThan(1000 * CUT_TIMEOUT_SECONDS);
    // After the deadline the checks left get one attempt each, of at most a 5 s step or two.
    expect(cut.ms).toBeLessThan(1000 * (CUT_TIMEOUT_SECONDS + 20));
  } finally {
    for (const rule of CUT) inNamespace("iptables", "-D", ...rule);
  }
  expect(inNamespace("iptables", "-S", "INPUT")).not.toContain("DROP");

  const healed = await verifyInNamespace(credentials, HEALED_TIMEOUT_SECONDS);
  console.log(`healed: verify passed after ${healed.ms} ms\n${healed.output}`);
  expect(healed.output).toContain("ok   mesh: each node's /routez: 3/3 nodes report 2 routes; messages between one connection per server: 6/6 server pairs carried messages");
  expect(healed.code).toBe(0);

  twin.child.kill("SIGTERM");
  expect(await twin.exited).toBe(0);
  expect(twin.output()).toContain("twin: stopped every process it started");
});
