import type { NatsConnection } from "@nats-io/nats-core";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freshStackFile } from "../plan/synth";
import { peerCount } from "../twin/monitor";
import { Inbox, awaitInterest, collect, connectNats } from "../twin/probe";
import { poll } from "../twin/process";
import type { TwinNode } from "../twin/node";
import { bootTwin } from "../twin/twin";
import { useTwin } from "./twin-support";

// Integration test: boots a twin (nats-server and HAProxy processes).
jest.setTimeout(120_000);

// Loopback block of this file: the load balancer on .10, nodes on .11 and up.
const BASE = "127.0.2.10";
// The default stack's plan with asymmetric thresholds, so that swapped rise and fall show:
// a check every 10 s with a 5 s timeout, 2 passes to come UP, 5 failures to go DOWN.
const HEALTH_CHECK = { check_interval_seconds: 10, response_timeout_seconds: 5, healthy_threshold: 2, unhealthy_threshold: 5 };
// Timers × 0.1: a check every 1000 ms with a 500 ms timeout.
const TIME_SCALE = 0.1;
const INTERVAL_MS = 1000;
const TIMEOUT_MS = 500;
// Expected from the plan's values above, never from the twin's own HAProxy settings.
// DOWN: the first failed check comes at most one interval after the kill, the fifth four intervals later.
const DOWN_MS = { min: (5 - 1) * INTERVAL_MS, max: 5 * INTERVAL_MS + TIMEOUT_MS };
// UP: two passing checks, one interval apart.
const UP_MS = { max: 2 * INTERVAL_MS };
// Allowance for polling, scheduling and process start on top of HAProxy's own budget.
const SLACK_MS = 1000;

const work = mkdtempSync(join(tmpdir(), "twin-fault-"));

const under = useTwin(
  async () => {
    const plan = JSON.parse(readFileSync(freshStackFile("nats"), "utf8")) as { resource: { digitalocean_loadbalancer: Record<string, { healthcheck: object }> } };
    for (const lb of Object.values(plan.resource.digitalocean_loadbalancer)) lb.healthcheck = { ...lb.healthcheck, ...HEALTH_CHECK };
    const planFile = join(work, "cdk.tf.json");
    writeFileSync(planFile, JSON.stringify(plan));
    return bootTwin({ planFile, addressBase: BASE, timeScale: TIME_SCALE, log: (line) => process.env.TWIN_LOG && console.log(line) });
  },
  { cleanup: () => rmSync(work, { recursive: true, force: true }) },
);

function monitorUrl(node: TwinNode): string {
  return `http://${node.address}:${node.monitorPort}`;
}

async function meshComplete(): Promise<void> {
  const expected = under.twin.nodes.length - 1;
  await poll(async () => (await Promise.all(under.twin.nodes.map((node) => peerCount(monitorUrl(node))))).every((count) => count === expected), 10_000, 50, `${expected} routes on every node`);
}

/** Milliseconds until HAProxy reports `name` in `state`. */
async function timeUntil(name: string, state: "UP" | "DOWN", from: number, timeoutMs: number): Promise<number> {
  await poll(async () => (await under.twin.serverState())[name] === state, timeoutMs, 20, `${name} to be ${state}`);
  return Date.now() - from;
}

async function connect(server: string, reconnect = false): Promise<NatsConnection> {
  const nc = await connectNats(server, under.twin.credentials, reconnect ? { maxReconnectAttempts: -1, reconnectTimeWait: 100 } : {});
  return under.track(nc);
}

describe("a killed non-seed node", () => {
  const victim = 1;
  const survivor = 2;
  let inbox: Inbox;
  let publisher: NatsConnection;

  test("is marked DOWN after 5 failed checks, not sooner, while messages keep flowing", async () => {
    const subscriber = await connect(`${under.twin.nodes[survivor].address}:${under.twin.nodes[survivor].clientPort}`);
    inbox = await collect(subscriber, "under.twin.fault");
    publisher = await connect(`${under.twin.lbAddress}:${under.twin.clientPort}`, true);
    await awaitInterest(publisher, "under.twin.fault", inbox);

    const killedAt = Date.now();
    await under.twin.kill(victim, "SIGKILL");
    const downMs = await timeUntil(under.twin.nodes[victim].name, "DOWN", killedAt, DOWN_MS.max + 5000);
    console.log(`failover: ${under.twin.nodes[victim].name} DOWN after ${downMs} ms (expected ${DOWN_MS.min} to ${DOWN_MS.max} ms)`);
    expect(downMs).toBeGreaterThanOrEqual(DOWN_MS.min);
    expect(downMs).toBeLessThanOrEqual(DOWN_MS.max + SLACK_MS);

    const before = inbox.messages.length;
    await poll(
      async () => {
        publisher.publish("under.twin.fault", "after-down");
        await publisher.flush();
        return inbox.messages.length > before;
      },
      5000,
      50,
      "the reconnecting publisher to reach the survivor again",
    );
    for (let i = 0; i < 2 * under.twin.nodes.length; i++) {
      const fresh = await connect(`${under.twin.lbAddress}:${under.twin.clientPort}`);
      await awaitInterest(fresh, "under.twin.fault", inbox);
    }
  });

  test("rejoins the mesh after a restart and is UP again after 2 passing checks", async () => {
    await under.twin.restart(victim);
    const restartedAt = Date.now();
    under.remember();
    await meshComplete();
    const upMs = await timeUntil(under.twin.nodes[victim].name, "UP", restartedAt, UP_MS.max + 5000);
    console.log(`recovery: ${under.twin.nodes[victim].name} UP ${upMs} ms after it was healthy (expected at most ${UP_MS.max} ms)`);
    expect(upMs).toBeLessThanOrEqual(UP_MS.max + SLACK_MS);
  });
});

describe("a restarted seed", () => {
  test("is rejoined by the other nodes", async () => {
    await under.twin.kill(0, "SIGKILL");
    await poll(async () => (await peerCount(monitorUrl(under.twin.nodes[1]))) === under.twin.nodes.length - 2, 5000, 50, "the survivors to drop the seed");
    await under.twin.restart(0);
    under.remember();
    const restartedAt = Date.now();
    await meshComplete();
    console.log(`seed restart: mesh whole again ${Date.now() - restartedAt} ms after the seed was healthy`);

    const subscriber = await connect(`${under.twin.nodes[0].address}:${under.twin.nodes[0].clientPort}`);
    const inbox = await collect(subscriber, "under.twin.seed");
    const publisher = await connect(`${under.twin.nodes[2].address}:${under.twin.nodes[2].clientPort}`);
    await awaitInterest(publisher, "under.twin.seed", inbox);
  });
});

describe("stop", () => {
  test("leaves no process the twin started alive", async () => {
    under.remember();
    // Every node, HAProxy for the load balancer and for the seed load balancer, and the two nodes restarted above.
    expect(under.startedPids.size).toBe(under.twin.nodes.length + 2 + 2);
    await under.twin.stop();
    expect(under.stillRunning()).toEqual([]);
    expect(under.twin.nodes.map((node) => node.pid)).toEqual(under.twin.nodes.map(() => undefined));
  });
});
