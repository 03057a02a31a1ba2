import type { NatsConnection } from "@nats-io/nats-core";
import { rmSync } from "node:fs";
import { roll } from "../roll/driver";
import type { Resource } from "../helpers/tf-json";
import { readRollPlan, rolledDifferences } from "../roll/plan";
import { startTraffic } from "../roll/traffic";
import { bootRollSource, synthesizeRollPlans } from "../roll/twin-roll";
import { childPids, connectNats } from "../twin/probe";
import type { Twin } from "../twin/twin";
import { RecordingTarget, acknowledgedPublisher, lostAndDuplicated } from "./roll-support";

// Integration test: boots a twin (nats-server and HAProxy processes) and rolls a new droplet size.
jest.setTimeout(120_000);

// Loopback block of this file: load balancer on 127.23.0.10, nodes on .11–.13, the seed load balancer on .14.
const BASE = "127.23.0.10";
const TIME_SCALE = 0.2;
const STREAM = "RESIZE";
const NEW_SIZE = "s-2vcpu-4gb";
const log = (line: string): void => {
  if (process.env.TWIN_LOG) console.log(line);
};

// The roll replaces a droplet for a new size (roll/terraform-target.ts); the twin models that as the
// same node stopped in lame duck mode (systemd's SIGUSR2) and started again on its address with its
// volume directory and the new plan's user_data, whose max_memory_store follows the new size. What
// the twin cannot show: DigitalOcean's create and boot time, and the new droplet's new addresses.
const plans = synthesizeRollPlans("nats", undefined, undefined, NEW_SIZE);
let twin: Twin | undefined;
const connections: NatsConnection[] = [];

afterAll(async () => {
  await Promise.all(connections.map((nc) => nc.close()));
  await twin?.stop();
  rmSync(plans.dir, { recursive: true, force: true });
  expect(childPids()).toEqual([]);
});

test(`a new size (${NEW_SIZE}) rolled node by node under request/reply and JetStream load: 0 acknowledged messages lost, at most one failed request after one retry`, async () => {
  const from = readRollPlan(plans.fromPlan);
  const to = readRollPlan(plans.toPlan);
  for (const node of to.nodes) {
    expect(rolledDifferences(from.droplets.get(node.address)?.body ?? {}, to.droplets.get(node.address) as Resource)).toEqual(["size", "user_data"]);
  }
  twin = await bootRollSource({ planFile: plans.fromPlan, timeScale: TIME_SCALE, addressBase: BASE, log });
  const nc = await connectNats(`${twin.lbAddress}:${twin.clientPort}`, twin.credentials, { maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  connections.push(nc);
  const publisher = await acknowledgedPublisher(nc, STREAM);
  const lameDuckMoveMs = twin.healthCheck.fall * twin.healthCheck.intervalMs + twin.healthCheck.timeoutMs;
  const traffic = await startTraffic({ server: `nats://${twin.lbAddress}:${twin.clientPort}`, credentials: twin.credentials, lameDuckMoveMs });
  const target = new RecordingTarget(twin, plans.fromPlan, plans.toPlan, publisher.jsm, STREAM);
  let report;
  let requests;
  try {
    report = await roll(target, { log, resumeHint: "again" });
  } finally {
    await publisher.stop();
    requests = await traffic.stop();
  }

  expect(report.replaced).toEqual(["nats-2", "nats-3", "nats-1"]);
  expect(target.afterStep.map((step) => step.problem)).toEqual([undefined, undefined, undefined]);
  expect(twin.nodes.map((node) => node.pid !== undefined)).toEqual([true, true, true]);
  expect(publisher.result.failed).toEqual([]);
  expect(publisher.result.acked.size).toBeGreaterThan(500);
  expect(await lostAndDuplicated(publisher.jsm, publisher.js, STREAM, publisher.result)).toEqual({ lost: [], duplicates: 0 });
  expect(requests.requests).toBeGreaterThan(100);
  expect(requests.failedAfterRetry).toBeLessThanOrEqual(1);
  expect(await twin.meshWhole()).toBe(true);
  console.log(
    `resize roll: ${publisher.result.acked.size} acknowledged publishes, ${publisher.result.retried} retried once, 0 lost; ` +
      `${requests.requests} requests, ${requests.failed} failed (${requests.failedAfterRetry} after one retry), longest gap ${requests.longestGapMs} ms; per node ${report.durationsMs.join(", ")} ms`,
  );
}, 400_000);
