import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createStream, publishAcked, untilReplicasCurrent } from "../twin/jetstream-probe";
import { isHealthy } from "../twin/monitor";
import { poll } from "../twin/process";
import type { Twin } from "../twin/twin";
import { Figure, median, ms, ratio } from "./figure";
import { lbUrl, nodeUrl, open } from "./traffic";

const JETSTREAM_MESSAGES = 5_000;
const CATCH_UP_MESSAGES = 20_000;

/**
 * Waits until every node answers the full /healthz: JetStream current with a meta leader. The
 * failover figure before restarts nodes, and a stream created during a leader election times out.
 */
async function jetStreamSettled(twin: Twin): Promise<void> {
  const healthy = async (): Promise<boolean> => (await Promise.all(twin.nodes.map((node) => isHealthy(node.address, node.clientPort, node.monitorPort)))).every(Boolean);
  await poll(healthy, 60_000, 100, "every node to answer /healthz with jetstream current");
}

/** Acknowledged publishes to an R3 stream per second: via the load balancer against straight to node 1. */
export async function jetStreamPublishFigure(twin: Twin, runs: number): Promise<Figure> {
  await jetStreamSettled(twin);
  const rate = async (url: string, run: number): Promise<number> => {
    const nc = await open(twin, url);
    try {
      const name = `BENCH_PUB_${run}`;
      const { jsm, js } = await createStream(nc, name, `bench.pub.${run}`, 3);
      const started = performance.now();
      const result = await publishAcked(js, `bench.pub.${run}`, 0, JETSTREAM_MESSAGES, name, { attempts: 1, window: 64 });
      const elapsed = performance.now() - started;
      await jsm.streams.delete(name);
      if (result.failed.length > 0) throw new Error(`${result.failed.length} publishes failed`);
      return (JETSTREAM_MESSAGES / elapsed) * 1000;
    } finally {
      await nc.close();
    }
  };
  const viaLb: number[] = [];
  const direct: number[] = [];
  for (let run = 0; run < runs; run++) {
    viaLb.push(await rate(lbUrl(twin), 2 * run));
    direct.push(await rate(nodeUrl(twin, 0), 2 * run + 1));
  }
  const [lb, node] = [median(viaLb), median(direct)];
  return {
    name: `twin jetstream acknowledged publish msg/s, R3 file stream, ${JETSTREAM_MESSAGES} messages, 64 in flight: via LB ÷ direct`,
    result: `${ratio(lb, node)} (${Math.round(lb)} / ${Math.round(node)} msg/s)`,
    goal: "≥ 0.8",
    pass: lb / node >= 0.8,
  };
}

/**
 * A replica node misses CATCH_UP_MESSAGES while down; time from its restart until the stream is
 * current on every replica, with its volume against with an emptied volume (a new, blank disk).
 */
export async function catchUpFigure(twin: Twin, runs: number): Promise<Figure> {
  await jetStreamSettled(twin);
  const nc = await open(twin, nodeUrl(twin, 0));
  const withVolume: number[] = [];
  const empty: number[] = [];
  try {
    const { jsm, js } = await createStream(nc, "BENCH_CATCHUP", "bench.catchup", 3);
    let published = 0;
    const publish = async (count: number): Promise<void> => {
      const result = await publishAcked(js, "bench.catchup", published, published + count, "catchup", { attempts: 5, window: 64 });
      if (result.failed.length > 0) throw new Error(`${result.failed.length} publishes failed`);
      published += count;
    };
    await publish(CATCH_UP_MESSAGES);
    const once = async (wipe: boolean): Promise<number> => {
      await untilReplicasCurrent(jsm, "BENCH_CATCHUP", 3, 60_000);
      const leader = (await jsm.streams.info("BENCH_CATCHUP")).cluster?.leader;
      // A replica that is not node 1 (the bench's connection) and not the stream leader.
      const index = twin.nodes.findIndex((node, i) => i > 0 && node.name !== leader);
      await twin.kill(index);
      await publish(CATCH_UP_MESSAGES);
      if (wipe) for (const dir of twin.nodes[index].volumes.values()) for (const entry of readdirSync(dir)) rmSync(join(dir, entry), { recursive: true, force: true });
      const started = performance.now();
      await twin.restart(index);
      await untilReplicasCurrent(jsm, "BENCH_CATCHUP", 3, 120_000);
      return performance.now() - started;
    };
    for (let run = 0; run < runs; run++) {
      withVolume.push(await once(false));
      empty.push(await once(true));
    }
    await jsm.streams.delete("BENCH_CATCHUP");
  } finally {
    await nc.close();
  }
  const [kept, blank] = [median(withVolume), median(empty)];
  return {
    name: `twin jetstream catch-up after missing ${CATCH_UP_MESSAGES} messages: restart with its volume ÷ with an empty volume`,
    result: `${ratio(kept, blank)} (${ms(kept)} / ${ms(blank)}, from restart to every replica current)`,
    goal: "none set: reported",
  };
}
