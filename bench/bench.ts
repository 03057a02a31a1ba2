/**
 * `npm run bench [-- --runs N] [-- --skip-twin]`: the project's performance goals, measured.
 * Each figure is the median of N runs (at least 5) and is printed with its goal and PASS/MISS;
 * bench/RESULTS.md is rewritten with the machine and the latest table.
 *
 * - Synthesis: our app command (cdktf.json "app": `node --import tsx main.ts`) against the
 *   toolchain `cdktf init` sets up (ts-node, type-checking) running a generated entry file that
 *   first `require`s the provider barrels (`@cdktf/provider-digitalocean`, `-null`, `-random`)
 *   and then our main.ts: the same stacks, built the way the init template imports providers.
 * - Scale: our app at NATS_NODE_COUNT=25 against 3.
 * - Deploy critical path: plan/graph.ts on the synthesized default stack at 3, 10 and 25 nodes.
 * - Twin: the default stack booted by twin/twin.ts on 127.0.20.x (loopback only), measured
 *   with the official NATS client.
 * - TLS: the default stack (TLS) against the same stack synthesized with `tls: false`, booted on
 *   127.0.23.x: pub→sub msg/s and connection setup through the load balancer; the deploy's
 *   critical path with TLS, and with the alternative design (the load balancer's IP in the
 *   node certificates) applied to the same plan.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
// Types from nats-core: transport-node re-exports them from a path CommonJS resolution cannot follow.
import type { Msg, NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { createStream, publishAcked, untilReplicasCurrent } from "../twin/jetstream-probe";
import { Varz, fetchJson, isHealthy } from "../twin/monitor";
import { minorOf } from "../twin/nats-binary";
import { readPlan } from "../twin/plan";
import { poll } from "../twin/process";
import { bootTwin, Twin } from "../twin/twin";
import { deployFacts } from "../plan/graph";
import { failoverBudget } from "../plan/load-balancer";
import { PROJECT_ROOT, SynthOptions, freshStackFile, stackFile, synthesize } from "../plan/synth";
import { loadPlan } from "../helpers/tf-json";
import { credentialOptions } from "../verify/connection";
import { App } from "cdktf";
import { NatsStack } from "../constructs/nats-stack";
import { DEFAULT_STACK } from "../constructs/stacks";
import { DeathWindow, measureDeathWindow } from "../roll/death-window";
import { p99 } from "../roll/traffic";
import { LEGACY_NATS_VERSION, TwinRollReport, rollTwin, synthesizeRollPlans } from "../roll/twin-roll";
import { clientTls } from "../policy/rules/client-tls";

/** One line of the results table. */
interface Figure {
  readonly name: string;
  readonly result: string;
  readonly goal: string;
  /** undefined for figures reported without a goal. */
  readonly pass?: boolean;
}

const MIN_RUNS = 5;
const TWIN_ADDRESS_BASE = "127.0.20.10";
const PLAINTEXT_TWIN_ADDRESS_BASE = "127.0.23.10";
const CONNECTIONS_PER_RUN = 50;
/** Shrinks the default stack's health check (3 s interval) so failover runs take about a second. */
const TWIN_TIME_SCALE = 0.1;
const PUBSUB_MESSAGES = 200_000;
const REQUESTS_PER_RUN = 1_000;
const JETSTREAM_MESSAGES = 5_000;
const CATCH_UP_MESSAGES = 20_000;
const RESULTS_FILE = join(PROJECT_ROOT, "bench", "RESULTS.md");

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { runs: { type: "string", default: String(MIN_RUNS) }, "skip-twin": { type: "boolean", default: false } },
    strict: true,
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < MIN_RUNS) {
    throw new Error(`--runs ${JSON.stringify(values.runs)} is not allowed: expected an integer of at least ${MIN_RUNS}`);
  }
  const work = mkdtempSync(join(tmpdir(), "nats-bench-"));
  const figures: Figure[] = [];
  const report = (figure: Figure): void => {
    figures.push(figure);
    console.log(formatLine(figure));
  };
  try {
    synthesisFigures(work, runs).forEach(report);
    graphFigures(work).forEach(report);
    const plaintext = plaintextPlan(work);
    tlsGraphFigures(work, plaintext).forEach(report);
    if (values["skip-twin"]) {
      report({ name: "twin figures", result: "skipped (--skip-twin)", goal: "-" });
    } else {
      (await twinFigures(runs, plaintext)).forEach(report);
      (await rollFigures()).forEach(report);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  writeFileSync(RESULTS_FILE, renderResults(figures, runs) + mutationSection());
  console.log(`\nwrote ${RESULTS_FILE}`);
}

// ---------------------------------------------------------------- roll

/** The roll's twin runs on its own addresses, its health check ×0.2 (the lame duck keeps its real 10 s grace). */
const ROLL_ADDRESS_BASE = "127.0.21.10";
const ROLL_TIME_SCALE = 0.2;
const DEATH_WINDOW_ADDRESS_BASE = "127.0.22.10";
/** Goal: new connections through the load balancer fail for at most 10 s after a node dies. */
const DEATH_WINDOW_GOAL_MS = 10_000;

/**
 * One rolling upgrade of the default stack from 2.10 to the pin under request/reply and pub/sub
 * load (roll/twin-roll.ts), and the death window at time scale 1 (one node killed).
 */
async function rollFigures(): Promise<Figure[]> {
  const plans = synthesizeRollPlans("nats", LEGACY_NATS_VERSION, undefined);
  let report: TwinRollReport;
  try {
    report = await rollTwin({ ...plans, timeScale: ROLL_TIME_SCALE, addressBase: ROLL_ADDRESS_BASE, log: () => undefined, resumeHint: "npm run bench" });
  } finally {
    rmSync(plans.dir, { recursive: true, force: true });
  }
  const twin = await bootTwin({ stack: "nats", addressBase: DEATH_WINDOW_ADDRESS_BASE, timeScale: 1 });
  let death: DeathWindow;
  try {
    death = await measureDeathWindow(twin, 2);
  } finally {
    await twin.stop();
  }
  const { during, atRest } = report;
  const versions = report.versions.join(" → ");
  return [
    {
      name: `roll time per node (twin, ${versions}, health check ×${ROLL_TIME_SCALE})`,
      result: `${ms(median(report.durationsMs))} median of ${report.durationsMs.length} nodes (${report.durationsMs.map(ms).join(", ")})`,
      goal: "-",
    },
    {
      name: "failed requests during the roll",
      result: `${during.failed} of ${during.requests} without a retry, ${during.failedAfterRetry} after one retry; longest gap ${ms(during.longestGapMs)}`,
      goal: "0 after one retry",
      pass: during.failedAfterRetry === 0,
    },
    { name: "request p99 during the roll ÷ at rest", result: `${ratio(p99(during), p99(atRest))} (${ms(p99(during))} / ${ms(p99(atRest))})`, goal: "-" },
    {
      name: "death window ÷ goal (time scale 1)",
      result: `${ratio(death.windowMs, DEATH_WINDOW_GOAL_MS)} (${ms(death.windowMs)} / ${ms(DEATH_WINDOW_GOAL_MS)}; ${death.failures} of ${death.attempts} new connections failed)`,
      goal: "≤ 1.00",
      pass: death.windowMs <= DEATH_WINDOW_GOAL_MS,
    },
  ];
}

// ---------------------------------------------------------------- synthesis

/** Our app at 3 nodes, the cdktf-init baseline at 3 nodes, our app at 25 nodes. */
type SynthVariant = "ours" | "init" | "large";

function synthesisFigures(work: string, runs: number): Figure[] {
  const baseline = writeBaselineEntry(work);
  const variants: Record<SynthVariant, SynthOptions> = {
    ours: { env: { NATS_NODE_COUNT: "3" } },
    init: { env: { NATS_NODE_COUNT: "3" }, command: baseline },
    large: { env: { NATS_NODE_COUNT: "25" } },
  };
  const times: Record<SynthVariant, number[]> = { ours: [], init: [], large: [] };
  // A warm-up round first (file cache), then rounds of all variants, so load changes hit all
  // alike. The order alternates forward and reversed: a process started right after the heavy
  // ts-node one can run slower, and alternating puts each of ours after it about as often.
  const labels = Object.keys(variants) as SynthVariant[];
  for (let run = -1; run < runs; run++) {
    for (const label of run % 2 === 0 ? labels : [...labels].reverse()) {
      const took = synthesize({ outdir: join(work, label), ...variants[label] }).ms;
      if (run >= 0) times[label].push(took);
    }
  }
  const [ours, init, large] = [median(times.ours), median(times.init), median(times.large)];
  return [
    {
      name: "synthesis: our app ÷ cdktf-init toolchain (ts-node + barrels)",
      result: `${ratio(ours, init)} (${ms(ours)} / ${ms(init)})`,
      goal: "≤ 0.35",
      pass: ours / init <= 0.35,
    },
    {
      name: "synthesis: 25 nodes ÷ 3 nodes",
      result: `${ratio(large, ours)} (${ms(large)} / ${ms(ours)})`,
      goal: "≤ 1.3",
      pass: large / ours <= 1.3,
    },
  ];
}

/** Writes the baseline entry file and returns the command that runs it like `cdktf init`'s app. */
function writeBaselineEntry(work: string): string[] {
  const barrels = ["@cdktf/provider-digitalocean", "@cdktf/provider-null", "@cdktf/provider-random"];
  const lines = [
    "// Generated by bench/bench.ts: load every provider through its barrel, as cdktf init's",
    "// template imports them, then synthesize this project's stacks with its own main.ts.",
    ...barrels.map((barrel) => `require(${JSON.stringify(require.resolve(barrel, { paths: [PROJECT_ROOT] }))});`),
    `require(${JSON.stringify(join(PROJECT_ROOT, "main.ts"))});`,
  ];
  const entry = join(work, "baseline-main.ts");
  writeFileSync(entry, `${lines.join("\n")}\n`);
  return [join(PROJECT_ROOT, "node_modules", ".bin", "ts-node"), "--project", join(PROJECT_ROOT, "tsconfig.json"), entry];
}

// ---------------------------------------------------------------- dependency graph

function graphFigures(work: string): Figure[] {
  const sizes = [3, 10, 25];
  const facts = sizes.map((nodes) => {
    const outdir = synthesize({ outdir: join(work, `graph-${nodes}`), env: { NATS_NODE_COUNT: String(nodes) } }).outdir;
    return deployFacts(loadPlan(stackFile(outdir, "nats")));
  });
  const depths = facts.map((f) => f.depth);
  const waves = facts.map((f) => f.dropletWaves);
  const waiting = [...new Set(facts.flatMap((f) => f.waitingForDroplets))];
  return [
    {
      name: `deploy critical path depth at ${sizes.join(" / ")} nodes`,
      result: depths.join(" / "),
      goal: "same at every size",
      pass: new Set(depths).size === 1,
    },
    { name: "droplet creation waves", result: waves.join(" / "), goal: "≤ 2", pass: waves.every((w) => w <= 2) },
    {
      name: "load balancer / firewall waiting for a droplet",
      result: waiting.length === 0 ? "none" : waiting.join(", "),
      goal: "none",
      pass: waiting.length === 0,
    },
  ];
}

// ---------------------------------------------------------------- TLS

/**
 * The default stack synthesized with `tls: false` (the client TLS rule acknowledged): the plaintext
 * baseline, a plan of its own that the twin runs as it stands.
 */
function plaintextPlan(work: string): string {
  const outdir = join(work, "plaintext");
  const app = new App({ outdir });
  new NatsStack(app, "nats", { ...DEFAULT_STACK, tls: false, acknowledge: { [clientTls.id]: "benchmark baseline: the same stack without TLS" } });
  app.synth();
  return stackFile(outdir, "nats");
}

/**
 * The critical path with TLS on, with TLS off, and with the rejected design applied to the TLS
 * plan: every certificate request also carries the public load balancer's IP, so certificates,
 * and therefore droplets, wait for the load balancer.
 */
function tlsGraphFigures(work: string, plaintextFile: string): Figure[] {
  const tlsFile = stackFile(synthesize({ outdir: join(work, "tls-graph") }).outdir, "nats");
  const withTls = deployFacts(loadPlan(tlsFile));
  const without = deployFacts(loadPlan(plaintextFile));
  const json = JSON.parse(readFileSync(tlsFile, "utf8")) as { resource: Record<string, Record<string, Record<string, unknown>>> };
  const publicLb = Object.entries(json.resource.digitalocean_loadbalancer).find(([, body]) => body.network !== "INTERNAL")?.[0];
  for (const request of Object.values(json.resource.tls_cert_request)) request.ip_addresses = [`\${digitalocean_loadbalancer.${publicLb}.ip}`];
  const sanFile = join(work, "tls-lb-san.json");
  writeFileSync(sanFile, JSON.stringify(json));
  const withSan = deployFacts(loadPlan(sanFile));
  const dropletsWaitForLb = (facts: typeof withSan): boolean => {
    const seed = facts.criticalPath.findIndex((address) => address.startsWith("digitalocean_droplet."));
    return facts.criticalPath.slice(0, Math.max(seed, 0)).some((address) => address === `digitalocean_loadbalancer.${publicLb}`);
  };
  return [
    {
      name: "deploy critical path depth: TLS (fixed server name) / plaintext / TLS with the LB's IP in the certificates",
      result: `${withTls.depth} / ${without.depth} / ${withSan.depth}`,
      goal: "TLS adds only local tls resources",
      pass: withTls.depth - without.depth <= 3 && !dropletsWaitForLb(withTls),
    },
    {
      name: "critical path with TLS",
      result: withTls.criticalPath.map((address) => address.split(".")[0]).join(" → "),
      goal: "none set: reported",
    },
    {
      name: "droplets wait for the public load balancer: fixed server name / LB IP as SAN",
      result: `${dropletsWaitForLb(withTls) ? "yes" : "no"} / ${dropletsWaitForLb(withSan) ? "yes" : "no"}`,
      goal: "no with the chosen design",
      pass: !dropletsWaitForLb(withTls),
    },
  ];
}

/** pub→sub msg/s and connection setup through the load balancer, TLS twin against the plaintext one. */
async function tlsTwinFigures(tls: Twin, plaintext: Twin, runs: number): Promise<Figure[]> {
  const rates = { tls: [] as number[], plaintext: [] as number[] };
  const setups = { tls: [] as number[], plaintext: [] as number[] };
  for (let run = 0; run < runs; run++) {
    rates.tls.push((await pubSubRate(tls, lbUrl(tls), lbUrl(tls))).rate);
    rates.plaintext.push((await pubSubRate(plaintext, lbUrl(plaintext), lbUrl(plaintext))).rate);
    setups.tls.push(await connectionSetupMs(tls));
    setups.plaintext.push(await connectionSetupMs(plaintext));
  }
  const [tlsRate, plainRate] = [median(rates.tls), median(rates.plaintext)];
  const [tlsSetup, plainSetup] = [median(setups.tls), median(setups.plaintext)];
  return [
    {
      name: "twin pub→sub msg/s via LB, 16-byte messages: TLS ÷ plaintext",
      result: `${ratio(tlsRate, plainRate)} (${Math.round(tlsRate)} / ${Math.round(plainRate)} msg/s)`,
      goal: "≥ 0.7",
      pass: tlsRate / plainRate >= 0.7,
    },
    {
      name: `twin connection setup via LB (connect, INFO, TLS upgrade, CONNECT/PING), median of ${CONNECTIONS_PER_RUN}: TLS (plaintext)`,
      result: `${tlsSetup.toFixed(2)} ms (${plainSetup.toFixed(2)} ms), ratio ${ratio(tlsSetup, plainSetup)}`,
      goal: "none set: reported",
    },
  ];
}

/** Median time to open a connection through the load balancer until the server has answered its PING. */
async function connectionSetupMs(twin: Twin): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < CONNECTIONS_PER_RUN; i++) {
    const started = performance.now();
    const nc = await open(twin, lbUrl(twin));
    samples.push(performance.now() - started);
    await nc.close();
  }
  return median(samples);
}

// ---------------------------------------------------------------- twin

async function twinFigures(runs: number, plaintextFile: string): Promise<Figure[]> {
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

function lbUrl(twin: Twin): string {
  return `nats://${twin.lbAddress}:${twin.clientPort}`;
}

function nodeUrl(twin: Twin, index: number): string {
  const node = twin.nodes[index];
  return `nats://${node.address}:${node.clientPort}`;
}

async function open(twin: Twin, url: string): Promise<NatsConnection> {
  return connect({ servers: url, ...credentialOptions(twin.credentials), reconnect: false });
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

/** One pub→sub run: messages per second, and whether the two connections reached different servers. */
interface PubSubRun {
  readonly rate: number;
  readonly crossNode: boolean;
}

/** Publishes PUBSUB_MESSAGES from one connection to a subscriber on another. */
async function pubSubRate(twin: Twin, subUrl: string, pubUrl: string): Promise<PubSubRun> {
  const [sub, pub] = [await open(twin, subUrl), await open(twin, pubUrl)];
  try {
    const subject = `bench.${process.pid}.${Date.now()}`;
    let received = 0;
    let interest = false;
    let finish: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    sub.subscribe(`${subject}.>`, {
      callback: (_error: unknown, msg: Msg) => {
        if (msg.subject.endsWith(".probe")) interest = true;
        else if (++received === PUBSUB_MESSAGES) finish();
      },
    });
    await sub.flush();
    await poll(() => {
      pub.publish(`${subject}.probe`);
      return interest;
    }, 5_000, 10, "subscription interest");
    const payload = new Uint8Array(16);
    const started = performance.now();
    for (let i = 1; i <= PUBSUB_MESSAGES; i++) {
      pub.publish(`${subject}.data`, payload);
      if (i % 10_000 === 0) await pub.flush();
    }
    await withTimeout(finished, 30_000, `only ${received} of ${PUBSUB_MESSAGES} messages arrived`);
    const rate = PUBSUB_MESSAGES / ((performance.now() - started) / 1000);
    return { rate, crossNode: sub.info?.server_name !== pub.info?.server_name };
  } finally {
    await Promise.all([sub.close(), pub.close()]);
  }
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

// ---------------------------------------------------------------- jetstream

/** Acknowledged publishes to an R3 stream per second: via the load balancer against straight to node 1. */
/**
 * Waits until every node answers the full /healthz: JetStream current with a meta leader. The
 * failover figure before restarts nodes, and a stream created during a leader election times out.
 */
async function jetStreamSettled(twin: Twin): Promise<void> {
  const healthy = async (): Promise<boolean> => (await Promise.all(twin.nodes.map((node) => isHealthy(node.address, node.clientPort, node.monitorPort)))).every(Boolean);
  await poll(healthy, 60_000, 100, "every node to answer /healthz with jetstream current");
}

async function jetStreamPublishFigure(twin: Twin, runs: number): Promise<Figure> {
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
async function catchUpFigure(twin: Twin, runs: number): Promise<Figure> {
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

// ---------------------------------------------------------------- helpers

/** Runs one measurement; a failure names it (a nats.js error alone says only "timeout"). */
async function step<T>(name: string, measure: () => Promise<T>): Promise<T> {
  try {
    return await measure();
  } catch (error) {
    throw new Error(`${name}: ${(error as Error).message}`);
  }
}

async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Nearest-rank percentile. */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

function ratio(a: number, b: number): string {
  return (a / b).toFixed(2);
}

function ms(value: number): string {
  return `${Math.round(value)} ms`;
}

function verdict(figure: Figure): string {
  return figure.pass === undefined ? "-" : figure.pass ? "PASS" : "MISS";
}

function formatLine(figure: Figure): string {
  return `${verdict(figure).padEnd(5)} ${figure.name}: ${figure.result}   [goal ${figure.goal}]`;
}

// ---------------------------------------------------------------- RESULTS.md

function machine(): string {
  const model = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? cpus()[0]?.model ?? "unknown CPU";
  const gib = (totalmem() / 2 ** 30).toFixed(1);
  const load = loadavg()[0].toFixed(2);
  return `${cpus().length} CPUs (nproc), ${model}, ${gib} GiB memory, Node ${process.version}, ${process.platform} ${process.arch}; 1-minute load average ${load} when the results were written`;
}

/** The mutation-testing section of RESULTS.md (recorded after `npm run mutation`), kept across bench runs. */
function mutationSection(): string {
  const previous = existsSync(RESULTS_FILE) ? readFileSync(RESULTS_FILE, "utf8") : "";
  const start = previous.indexOf("\n## Mutation testing");
  return start === -1 ? "" : previous.slice(start + 1);
}

function renderResults(figures: readonly Figure[], runs: number): string {
  const rows = figures.map((f) => `| ${f.name} | ${f.result} | ${f.goal} | ${verdict(f)} |`);
  return [
    "# Benchmark results",
    "",
    `Written by \`npm run bench\` (bench/bench.ts) on ${new Date().toISOString()}; each figure is the median of ${runs} runs.`,
    "",
    `Machine: ${machine()}.`,
    "",
    "| figure | result | goal | verdict |",
    "| --- | --- | --- | --- |",
    ...rows,
    "",
    "## What is measured",
    "",
    "- **Synthesis** is the wall time of one app process writing both stacks to a temporary `CDKTF_OUTDIR`",
    "  (no cdktf CLI, which adds its own start-up). Ours is cdktf.json's app command, `node --import tsx main.ts`,",
    "  with deep provider imports. The baseline is what `cdktf init` sets up: `ts-node` (type-checking,",
    "  `node_modules/.bin/ts-node --project tsconfig.json`) running a generated entry file that `require`s the",
    "  `@cdktf/provider-digitalocean`, `@cdktf/provider-null` and `@cdktf/provider-random` barrels and then this",
    "  project's `main.ts`: the same stacks, with every provider resource loaded. One warm-up round is not counted;",
    "  the variants are interleaved round by round, the order alternating forward and reversed.",
    "- **25 ÷ 3 nodes**: our app with `NATS_NODE_COUNT=25` against `NATS_NODE_COUNT=3`.",
    "- **Deploy critical path**: plan/graph.ts on the synthesized `nats` stack; edges are `${type.name...}`",
    "  references and `depends_on`; depth counts resources created one after another.",
    `- **Twin**: the \`nats\` stack booted by twin/twin.ts on ${TWIN_ADDRESS_BASE} and up (loopback), health-check`,
    `  timers ×${TWIN_TIME_SCALE}. pub→sub: ${PUBSUB_MESSAGES} 16-byte messages from one connection to a subscriber on`,
    "  another, via the load balancer (HAProxy round-robin puts them on different nodes) and directly node 1 → node 2.",
    `  Latency: ${REQUESTS_PER_RUN} sequential requests per run, the same two paths. Failover: SIGKILL one node (each in`,
    "  turn) until HAProxy reports it DOWN, against interval × fall + timeout; the node is restarted between runs.",
    `- **TLS**: the same twin against the \`nats\` stack synthesized with \`tls: false\` (on ${PLAINTEXT_TWIN_ADDRESS_BASE}),`,
    "  both through their load balancer, runs interleaved; pub→sub as above with pub and sub both through the LB.",
    `  Connection setup: ${CONNECTIONS_PER_RUN} sequential connects per run (TCP through HAProxy, INFO, TLS upgrade, CONNECT and`,
    "  the first PING answered), median. The LB-IP-in-the-certificate variant is the TLS plan with every",
    "  `tls_cert_request` given `ip_addresses = [<public load balancer>.ip]`, the only change.",
    `- **Roll** (one run): \`nats\` booted with nats-server ${LEGACY_NATS_VERSION} on ${ROLL_ADDRESS_BASE} and up, health check ×${ROLL_TIME_SCALE},`,
    "  rolled node by node to the pinned version (roll/twin-roll.ts) while a responder, a requester (one request at a",
    "  time, 2 s timeout, a failed one retried once after 250 ms) and a publisher/subscriber pair, each on its own",
    "  connection, run through the load balancer. Per",
    "  node: from the lame duck signal until the new node is UP behind the load balancer with the mesh whole. p99 at",
    "  rest: the 3 s before the roll. Death window: SIGKILL one node of a twin at time scale 1 (the default health check:",
    "  3 s interval, 3 s timeout, 2 failures) and open a new connection through the load balancer every 100 ms.",
    "",
  ].join("\n");
}

main().catch((error: Error) => {
  console.error(`bench: ${error.message}`);
  process.exitCode = 1;
});
