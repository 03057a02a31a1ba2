import type { NatsConnection } from "@nats-io/nats-core";
import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import { RollNode } from "../roll/driver";
import { readRollPlan } from "../roll/plan";
import { TwinTarget } from "../roll/twin-target";
import { PublishResult, createStream, publishAcked, readAll, untilReplicasCurrent } from "../twin/jetstream-probe";
import { replicaProblem } from "../verify/checks/jetstream";
import type { Twin } from "../twin/twin";
import { isHealthy } from "../twin/monitor";
import { poll } from "../twin/process";

// Helpers of the twin roll tests that publish to JetStream during the roll.

/** How long a replaced node may take to have every stream current and reach the meta leader. */
export const SETTLE_MS = 60_000;

/**
 * The twin as a roll target that, after each node is ready, records whether `stream` is current
 * on every replica, then waits for the node's full /healthz (meta leader reached).
 */
export class RecordingTarget extends TwinTarget {
  public readonly afterStep: { node: string; problem?: string }[] = [];

  constructor(
    private readonly twinRef: Twin,
    from: string,
    to: string,
    private readonly jsm: JetStreamManager,
    private readonly stream: string,
  ) {
    super(twinRef, readRollPlan(from), readRollPlan(to));
  }

  public override async ready(node: RollNode): Promise<void> {
    await super.ready(node);
    const info = await untilReplicasCurrent(this.jsm, this.stream, 3, SETTLE_MS).catch(async () => this.jsm.streams.info(this.stream));
    this.afterStep.push({ node: node.name, problem: replicaProblem(info, 3) });
    // Before the next node: the new one has reached the meta leader and its streams are current
    // (the full /healthz), or the driver's pre-step check would see it unhealthy.
    const replaced = this.twinRef.nodes.find((candidate) => candidate.name === node.name);
    if (replaced === undefined) throw new Error(`no twin node ${node.name}`);
    await poll(() => isHealthy(replaced.address, replaced.clientPort, replaced.monitorPort, "/healthz"), SETTLE_MS, 100, `${node.name}'s full /healthz`);
  }
}

/**
 * A stream of 3 replicas on `<stream, lower case>.>`, and a publisher that waits for every
 * acknowledgement and retries a failed publish once.
 */
export async function acknowledgedPublisher(nc: NatsConnection, stream: string): Promise<{ jsm: JetStreamManager; js: JetStreamClient; result: PublishResult; stop: () => Promise<void> }> {
  const prefix = stream.toLowerCase();
  const { jsm, js } = await createStream(nc, stream, `${prefix}.>`, 3);
  const result: PublishResult = { acked: new Map(), failed: [], retried: 0 };
  let stopped = false;
  let sent = 0;
  const publisher = (async (): Promise<void> => {
    while (!stopped) {
      await publishAcked(js, `${prefix}.m`, sent, sent + 50, prefix, { attempts: 2, window: 8, timeoutMs: 5000, retryDelayMs: 200 }, result);
      sent += 50;
    }
  })();
  return {
    jsm,
    js,
    result,
    stop: async () => {
      stopped = true;
      await publisher;
    },
  };
}

/** Acknowledged messages the stream no longer has, and messages it holds twice. */
export async function lostAndDuplicated(jsm: JetStreamManager, js: JetStreamClient, stream: string, result: PublishResult): Promise<{ lost: number[]; duplicates: number }> {
  const info = await untilReplicasCurrent(jsm, stream, 3, SETTLE_MS);
  const read = new Set((await readAll(js, stream, info.state.messages, SETTLE_MS)).map(Number));
  return { lost: [...result.acked.keys()].filter((index) => !read.has(index)), duplicates: info.state.messages - read.size };
}
