import type { NatsConnection } from "@nats-io/nats-core";
import { peerCount } from "../twin/monitor";
import { Inbox, awaitInterest, childPids, collect, connectNats } from "../twin/probe";
import { isAlive, poll } from "../twin/process";
import { Twin, TwinNode, bootTwin } from "../twin/twin";

// Loopback block of this file: the load balancer on .10, nodes on .11 and up.
const BASE = "127.0.2.10";
// The default stack checks every 3 s with a 3 s timeout: 300 ms and 300 ms here.
const TIME_SCALE = 0.1;
// Allowance for polling, scheduling and process start on top of HAProxy's own budget.
const SLACK_MS = 1000;

let twin: Twin;
const started = new Set<number>();
const connections: NatsConnection[] = [];

function remember(): void {
  twin.nodes.forEach((node) => node.pid !== undefined && started.add(node.pid));
  childPids().forEach((pid) => started.add(pid));
}

function monitorUrl(node: TwinNode): string {
  return `http://${node.address}:${node.monitorPort}`;
}

async function meshComplete(): Promise<void> {
  const expected = twin.nodes.length - 1;
  await poll(async () => (await Promise.all(twin.nodes.map((node) => peerCount(monitorUrl(node))))).every((count) => count === expected), 10_000, 50, `${expected} routes on every node`);
}

/** Milliseconds until HAProxy reports `name` in `state`. */
async function timeUntil(name: string, state: "UP" | "DOWN", from: number, timeoutMs: number): Promise<number> {
  await poll(async () => (await twin.serverState())[name] === state, timeoutMs, 20, `${name} to be ${state}`);
  return Date.now() - from;
}

async function connect(server: string, reconnect = false): Promise<NatsConnection> {
  const nc = await connectNats(server, twin.credentials, reconnect ? { maxReconnectAttempts: -1, reconnectTimeWait: 100 } : {});
  connections.push(nc);
  return nc;
}

beforeAll(async () => {
  twin = await bootTwin({ stack: "nats", addressBase: BASE, timeScale: TIME_SCALE, log: (line) => process.env.TWIN_LOG && console.log(line) });
  remember();
});

afterEach(async () => {
  await Promise.all(connections.splice(0).map((nc) => nc.close()));
});

afterAll(async () => {
  await Promise.all(connections.splice(0).map((nc) => nc.close()));
  remember();
  await twin?.stop();
  expect([...started].filter(isAlive)).toEqual([]);
  expect(childPids()).toEqual([]);
});

describe("a killed non-seed node", () => {
  const victim = 1;
  const survivor = 2;
  const budget = (): { down: number; up: number } => ({
    down: twin.healthCheck.fall * twin.healthCheck.intervalMs + twin.healthCheck.timeoutMs,
    up: twin.healthCheck.rise * twin.healthCheck.intervalMs,
  });
  let inbox: Inbox;
  let publisher: NatsConnection;

  test("is marked DOWN within fall × interval + timeout while messages keep flowing", async () => {
    const subscriber = await connect(`${twin.nodes[survivor].address}:${twin.nodes[survivor].clientPort}`);
    inbox = await collect(subscriber, "twin.fault");
    publisher = await connect(`${twin.lbAddress}:${twin.clientPort}`, true);
    await awaitInterest(publisher, "twin.fault", inbox);

    const killedAt = Date.now();
    await twin.kill(victim, "SIGKILL");
    const downMs = await timeUntil(twin.nodes[victim].name, "DOWN", killedAt, budget().down + 5000);
    console.log(`failover: ${twin.nodes[victim].name} DOWN after ${downMs} ms (budget ${budget().down} ms)`);
    expect(downMs).toBeLessThanOrEqual(budget().down + SLACK_MS);

    const before = inbox.messages.length;
    await poll(
      async () => {
        publisher.publish("twin.fault", "after-down");
        await publisher.flush();
        return inbox.messages.length > before;
      },
      5000,
      50,
      "the reconnecting publisher to reach the survivor again",
    );
    for (let i = 0; i < 2 * twin.nodes.length; i++) {
      const fresh = await connect(`${twin.lbAddress}:${twin.clientPort}`);
      await awaitInterest(fresh, "twin.fault", inbox);
    }
  });

  test("rejoins the mesh after a restart and is UP again after rise × interval", async () => {
    await twin.restart(victim);
    const restartedAt = Date.now();
    remember();
    await meshComplete();
    const upMs = await timeUntil(twin.nodes[victim].name, "UP", restartedAt, budget().up + 5000);
    console.log(`recovery: ${twin.nodes[victim].name} UP ${upMs} ms after it was healthy (budget ${budget().up} ms)`);
    expect(upMs).toBeLessThanOrEqual(budget().up + SLACK_MS);
  });
});

describe("a restarted seed", () => {
  test("is rejoined by the other nodes", async () => {
    await twin.kill(0, "SIGKILL");
    await poll(async () => (await peerCount(monitorUrl(twin.nodes[1]))) === twin.nodes.length - 2, 5000, 50, "the survivors to drop the seed");
    await twin.restart(0);
    remember();
    const restartedAt = Date.now();
    await meshComplete();
    console.log(`seed restart: mesh whole again ${Date.now() - restartedAt} ms after the seed was healthy`);

    const subscriber = await connect(`${twin.nodes[0].address}:${twin.nodes[0].clientPort}`);
    const inbox = await collect(subscriber, "twin.seed");
    const publisher = await connect(`${twin.nodes[2].address}:${twin.nodes[2].clientPort}`);
    await awaitInterest(publisher, "twin.seed", inbox);
  });
});

describe("stop", () => {
  test("leaves no process the twin started alive", async () => {
    remember();
    // Every node, HAProxy for the load balancer and for the seed load balancer, and the two nodes restarted above.
    expect(started.size).toBe(twin.nodes.length + 2 + 2);
    await twin.stop();
    expect([...started].filter(isAlive)).toEqual([]);
    expect(twin.nodes.map((node) => node.pid)).toEqual(twin.nodes.map(() => undefined));
  });
});
