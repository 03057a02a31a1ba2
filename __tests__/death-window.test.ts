import { measureDeathWindow } from "../roll/death-window";
import { isHealthy } from "../twin/monitor";
import { childPids, connectNats } from "../twin/probe";
import { poll } from "../twin/process";
import { Twin, bootTwin } from "../twin/twin";
import { httpGet } from "../helpers/http";

// Integration test: boots twins (nats-server and HAProxy processes).
jest.setTimeout(120_000);

// Loopback block of this file. Time scale 1: the default stack's real health check (3 s, 3 s, 2 down).
const BASE = "127.0.8.10";
/** The goal: new connections through the load balancer fail for at most 10 s after a node dies. */
const GOAL_MS = 10_000;

let twin: Twin;

beforeAll(async () => {
  twin = await bootTwin({ stack: "nats", addressBase: BASE, timeScale: 1 });
}, 120_000);

afterAll(async () => {
  await twin?.stop();
  expect(childPids()).toEqual([]);
});

test("a dead node gets new connections through the load balancer for at most 10 s at the default health check", async () => {
  const window = await measureDeathWindow(twin, 2);
  console.log(`death window: ${window.windowMs} ms (${window.failures}/${window.attempts} new connections failed), goal ${GOAL_MS} ms`);
  expect(window.failures).toBeGreaterThan(0);
  expect(window.windowMs).toBeLessThanOrEqual(GOAL_MS);
}, 60_000);

test("a node in lame duck mode fails its health check at once: its client port closes", async () => {
  const node = twin.nodes[1];
  // A connected client keeps the server in lame duck mode (without one it exits at once).
  const client = await connectNats(`${node.address}:${node.clientPort}`, twin.credentials);
  try {
    expect(await isHealthy(node.address, node.clientPort, node.monitorPort)).toBe(true);
    process.kill(node.pid as number, "SIGUSR2");
    const signalled = Date.now();
    const answer = await poll(async () => {
      const health = await httpGet(`http://${node.address}:${node.monitorPort}/healthz`, 1000);
      return health.status !== 200 ? health : undefined;
    }, 1000, 20, `${node.name}'s /healthz to fail`);
    expect(answer.status).toBeGreaterThanOrEqual(500);
    expect(await isHealthy(node.address, node.clientPort)).toBe(false);
    console.log(`lame duck: /healthz answers ${answer.status} and the client port is closed ${Date.now() - signalled} ms after SIGUSR2`);
  } finally {
    await client.close();
  }
});
