import type { NatsConnection } from "@nats-io/nats-core";
import type { JetStreamManager } from "@nats-io/jetstream";
import { RollNode, roll } from "../roll/driver";
import { readRollPlan } from "../roll/plan";
import { LEGACY_NATS_VERSION, bootRollSource, synthesizeRollPlans } from "../roll/twin-roll";
import { TwinTarget } from "../roll/twin-target";
import { PublishResult, createStream, publishAcked, readAll, untilReplicasCurrent } from "../twin/jetstream-probe";
import { replicaProblem } from "../verify/checks/jetstream";
import { childPids, connectNats } from "../twin/probe";
import type { Twin } from "../twin/twin";
import { isHealthy } from "../twin/monitor";
import { poll } from "../twin/process";

// Integration test: boots twins (nats-server and HAProxy processes).
jest.setTimeout(120_000);

// Loopback block of this file: load balancer on .10, nodes on .11–.13, the seed load balancer on .14.
const BASE = "127.0.23.10";
const TIME_SCALE = 0.2;
const STREAM = "ROLL";
const SETTLE_MS = 60_000;
const log = (line: string): void => {
  if (process.env.TWIN_LOG) console.log(line);
};

/**
 * The twin as a roll target that, after each node is ready, records whether the stream is
 * current on every replica, then waits for the node's full /healthz (meta leader reached).
 */
class RecordingTarget extends TwinTarget {
  public readonly afterStep: { node: string; problem?: string }[] = [];

  constructor(private readonly twinRef: Twin, from: string, to: string, private readonly jsm: JetStreamManager) {
    super(twinRef, readRollPlan(from), readRollPlan(to));
  }

  public override async ready(node: RollNode): Promise<void> {
    await super.ready(node);
    const info = await untilReplicasCurrent(this.jsm, STREAM, 3, SETTLE_MS).catch(async () => this.jsm.streams.info(STREAM));
    this.afterStep.push({ node: node.name, problem: replicaProblem(info, 3) });
    // Before the next node: the new one has reached the meta leader and its streams are current
    // (the full /healthz), or the driver's pre-step check would see it unhealthy.
    const replaced = this.twinRef.nodes.find((candidate) => candidate.name === node.name);
    if (replaced === undefined) throw new Error(`no twin node ${node.name}`);
    await poll(() => isHealthy(replaced.address, replaced.clientPort, replaced.monitorPort, "/healthz"), SETTLE_MS, 100, `${node.name}'s full /healthz`);
  }
}

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
  const { jsm, js } = await createStream(nc, STREAM, "roll.>", 3);

  // A publisher that waits for every acknowledgement and retries a failed publish once.
  const result: PublishResult = { acked: new Map(), failed: [], retried: 0 };
  let stop = false;
  let sent = 0;
  const publisher = (async (): Promise<void> => {
    while (!stop) {
      await publishAcked(js, "roll.m", sent, sent + 50, "roll", { attempts: 2, window: 8, timeoutMs: 5000, retryDelayMs: 200 }, result);
      sent += 50;
    }
  })();
  const target = new RecordingTarget(twin, plans.fromPlan, plans.toPlan, jsm);
  let report;
  try {
    report = await roll(target, { log, resumeHint: "again" });
  } finally {
    stop = true;
    await publisher;
  }

  expect(report.replaced).toEqual(["nats-2", "nats-3", "nats-1"]);
  expect(target.afterStep).toEqual([{ node: "nats-2", problem: undefined }, { node: "nats-3", problem: undefined }, { node: "nats-1", problem: undefined }]);
  expect(result.failed).toEqual([]);
  expect(result.acked.size).toBeGreaterThan(500);
  const info = await untilReplicasCurrent(jsm, STREAM, 3, SETTLE_MS);
  const read = new Set((await readAll(js, STREAM, info.state.messages, SETTLE_MS)).map(Number));
  const lost = [...result.acked.keys()].filter((index) => !read.has(index));
  expect({ lost, duplicates: info.state.messages - read.size }).toEqual({ lost: [], duplicates: 0 });
  console.log(`jetstream roll: ${result.acked.size} acknowledged publishes, ${result.retried} retried once, 0 lost; per node ${report.durationsMs.join(", ")} ms`);
}, 400_000);
