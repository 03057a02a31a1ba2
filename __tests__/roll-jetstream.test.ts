import type { NatsConnection } from "@nats-io/nats-core";
import { roll } from "../roll/driver";
import { LEGACY_NATS_VERSION, bootRollSource, synthesizeRollPlans } from "../roll/twin-roll";
import { childPids, connectNats } from "../twin/probe";
import type { Twin } from "../twin/twin";
import { RecordingTarget, acknowledgedPublisher, lostAndDuplicated } from "./roll-support";

// Integration test: boots twins (nats-server and HAProxy processes).
jest.setTimeout(120_000);

// Loopback block of this file: load balancer on .10, nodes on .11–.13, the seed load balancer on .14.
const BASE = "127.0.23.10";
const TIME_SCALE = 0.2;
const STREAM = "ROLL";
const log = (line: string): void => {
  if (process.env.TWIN_LOG) console.log(line);
};

const plans = synthesizeRollPlans("nats", LEGACY_NATS_VERSION, undefined);
let twin: Twin | undefined;
const connections: NatsConnection[] = [];

afterAll(async () => {
  await Promise.all(connections.map((nc) => nc.close()));
  await twin?.stop();
  expect(childPids()).toEqual([]);
});

test(`a rolling upgrade ${LEGACY_NATS_VERSION} → pinned with jetstream on: 0 acknowledged messages lost, 0 failed publishes after one retry, the stream current on every replica after each step`, async () => {
  twin = await bootRollSource({ planFile: plans.fromPlan, timeScale: TIME_SCALE, addressBase: BASE, log });
  const nc = await connectNats(`${twin.lbAddress}:${twin.clientPort}`, twin.credentials, { maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  connections.push(nc);
  const publisher = await acknowledgedPublisher(nc, STREAM);
  const { jsm, js, result } = publisher;
  const target = new RecordingTarget(twin, plans.fromPlan, plans.toPlan, jsm, STREAM);
  let report;
  try {
    report = await roll(target, { log, resumeHint: "again" });
  } finally {
    await publisher.stop();
  }

  expect(report.replaced).toEqual(["nats-2", "nats-3", "nats-1"]);
  expect(target.afterStep).toEqual([{ node: "nats-2", problem: undefined }, { node: "nats-3", problem: undefined }, { node: "nats-1", problem: undefined }]);
  expect(result.failed).toEqual([]);
  expect(result.acked.size).toBeGreaterThan(500);
  expect(await lostAndDuplicated(jsm, js, STREAM, result)).toEqual({ lost: [], duplicates: 0 });
  console.log(`jetstream roll: ${result.acked.size} acknowledged publishes, ${result.retried} retried once, 0 lost; per node ${report.durationsMs.join(", ")} ms`);
}, 400_000);
