// Types from nats-core: transport-node re-exports them from a path CommonJS resolution cannot follow.
import type { Msg } from "@nats-io/nats-core";
import { Varz, fetchJson } from "../twin/monitor";
import { minorOf } from "../twin/nats-binary";
import { readPlan } from "../twin/plan";
import { poll } from "../twin/process";
import { bootTwin, Twin } from "../twin/twin";
import { failoverBudget } from "../plan/load-balancer";
import { freshStackFile } from "../plan/synth";
import { Figure, median, ms, percentile, ratio, step } from "./figure";
import { catchUpFigure, jetStreamPublishFigure } from "./jetstream";
import { PLAINTEXT_TWIN_ADDRESS_BASE, tlsTwinFigures } from "./tls";
import { PubSubRun, lbUrl, nodeUrl, open, pubSubRate } from "./traffic";

export const TWIN_ADDRESS_BASE = "127.0.20.10";
/** Shrinks the default stack's health check (3 s interval) so failover runs take about a second. */
export const TWIN_TIME_SCALE = 0.1;
export const REQUESTS_PER_RUN = 1_000;

export async function twinFigures(runs: number, plaintextFile: string): Promise<Figure[]> {
  const twins: Twin[] = [];
  const stopOnSignal = (signal: NodeJS.Signals): void => {
    void Promise.all(twins.map((twin) => twin.stop())).finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
  };
  process.once("SIGINT", stopOnSignal);
  process.once("SIGTERM", stopOnSignal);
  try {
    const twin = await bootTwin({ stack: "nats", addressBase: TWIN_ADDRESS_BASE, timeScale: TWIN_TIME_SCALE });
    twins.push(twin);
    const plaintext = await bootTwin({ planFile: plaintextFile, addressBase: PLAINTEXT_TWIN_ADDRESS_BASE, timeScale: TWIN_TIME_SCALE });
    twins.push(plaintext);
    const tls = await tlsTwinFigures(twin, plaintext, runs);
    await plaintext.stop();
    return [
      await step("version", () => versionFigure(twin)),
      ...(await step("pub→sub throughput", () => throughputFigures(twin, runs))),
      ...(await step("request latency", () => latencyFigures(twin, runs))),
      await step("failover", () => failoverFigure(twin, runs)),
      await step("jetstream publish", () => jetStreamPublishFigure(twin, runs)),
      await step("jetstream catch-up", () => catchUpFigure(twin, runs)),
      ...tls,
    ];
  } finally {
    process.off("SIGINT", stopOnSignal);
    process.off("SIGTERM", stopOnSignal);
    await Promise.all(twins.map((twin) => twin.stop()));
  }
}

/** The nats-server every twin node reports on /varz, against the line the plan installs. */
async function versionFigure(twin: Twin): Promise<Figure> {
  const planned = readPlan(freshStackFile("nats")).droplets[0].natsVersion;
  const versions = await Promise.all(twin.nodes.map(async (node) => (await fetchJson<Varz>(`http://${node.address}:${node.monitorPort}/varz`)).version));
  const distinct = [...new Set(versions)];
  return {
    name: "twin nats-server (/varz version of every node)",
    result: `${distinct.join(", ")} (the plan installs ${planned})`,
    goal: `${minorOf(planned)}.x`,
    pass: versions.every((version) => minorOf(version) === minorOf(planned)),
  };
}

async function throughputFigures(twin: Twin, runs: number): Promise<Figure[]> {
  const viaLb: PubSubRun[] = [];
  const direct: PubSubRun[] = [];
  for (let run = 0; run < runs; run++) {
    viaLb.push(await pubSubRate(twin, lbUrl(twin), lbUrl(twin)));
    direct.push(await pubSubRate(twin, nodeUrl(twin, 0), nodeUrl(twin, 1)));
  }
  const [lb, node] = [median(viaLb.map((r) => r.rate)), median(direct.map((r) => r.rate))];
  const crossNode = viaLb.filter((r) => r.crossNode).length;
  return [
    {
      name: "twin pub→sub msg/s, 16-byte messages: via LB ÷ direct across nodes",
      result: `${ratio(lb, node)} (${Math.round(lb)} / ${Math.round(node)} msg/s; LB put pub and sub on different nodes in ${crossNode} of ${runs} runs)`,
      goal: "≥ 0.9",
      pass: lb / node >= 0.9,
    },
  ];
}

async function latencyFigures(twin: Twin, runs: number): Promise<Figure[]> {
  const viaLb: number[][] = [];
  const direct: number[][] = [];
  for (let run = 0; run < runs; run++) {
    viaLb.push(await requestLatencies(twin, lbUrl(twin), lbUrl(twin)));
    direct.push(await requestLatencies(twin, nodeUrl(twin, 0), nodeUrl(twin, 1)));
  }
  const at = (samples: number[][], p: number): number => median(samples.map((run) => percentile(run, p)));
  return [50, 99].map((p) => ({
    name: `twin request latency p${p} via LB (direct across nodes)`,
    result: `${at(viaLb, p).toFixed(3)} ms (${at(direct, p).toFixed(3)} ms)`,
    goal: "none set: reported",
  }));
}

/** Round-trip times in ms of REQUESTS_PER_RUN sequential requests to a responder on another connection. */
async function requestLatencies(twin: Twin, responderUrl: string, requesterUrl: string): Promise<number[]> {
  const [responder, requester] = [await open(twin, responderUrl), await open(twin, requesterUrl)];
  try {
    const subject = `bench.rpc.${process.pid}.${Date.now()}`;
    responder.subscribe(subject, { callback: (_error: unknown, msg: Msg) => void msg.respond(msg.data) });
    await responder.flush();
    await poll(() => requester.request(subject, "ping", { timeout: 200 }).then(() => true, () => false), 5_000, 10, "a reply across the route");
    const samples: number[] = [];
    for (let i = 0; i < REQUESTS_PER_RUN; i++) {
      const started = performance.now();
      await requester.request(subject, "ping", { timeout: 2_000 });
      samples.push(performance.now() - started);
    }
    return samples;
  } finally {
    await Promise.all([responder.close(), requester.close()]);
  }
}

/** Kills each node in turn and times until HAProxy marks it DOWN, against the health-check budget. */
async function failoverFigure(twin: Twin, runs: number): Promise<Figure> {
  const { intervalMs, timeoutMs, fall } = twin.healthCheck;
  const budget = failoverBudget(intervalMs, timeoutMs, fall);
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const index = run % twin.nodes.length;
    const name = twin.nodes[index].name;
    const started = performance.now();
    await twin.kill(index);
    await poll(async () => (await twin.serverState())[name]?.startsWith("DOWN") === true, 5 * budget, 10, `${name} DOWN`);
    times.push(performance.now() - started);
    await twin.restart(index);
    await poll(async () => (await twin.serverState())[name] === "UP", 5 * budget, 10, `${name} UP`);
  }
  const took = median(times);
  return {
    name: `twin failover: killed node marked DOWN ÷ health-check budget (×${TWIN_TIME_SCALE} timers)`,
    result: `${ratio(took, budget)} (${ms(took)} / ${ms(budget)})`,
    goal: "≤ 1.0",
    pass: took / budget <= 1.0,
  };
}
