import { existsSync, readFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { PROJECT_ROOT } from "../plan/synth";
import { LEGACY_NATS_VERSION } from "../roll/twin-roll";
import { Figure, verdict } from "./figure";
import { ROLL_ADDRESS_BASE, ROLL_TIME_SCALE } from "./roll";
import { CONNECTIONS_PER_RUN, PLAINTEXT_TWIN_ADDRESS_BASE } from "./tls";
import { PUBSUB_MESSAGES } from "./traffic";
import { REQUESTS_PER_RUN, TWIN_ADDRESS_BASE, TWIN_TIME_SCALE } from "./twin";

export const RESULTS_FILE = join(PROJECT_ROOT, "bench", "RESULTS.md");

function machine(): string {
  const model = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? cpus()[0]?.model ?? "unknown CPU";
  const gib = (totalmem() / 2 ** 30).toFixed(1);
  const load = loadavg()[0].toFixed(2);
  return `${cpus().length} CPUs (nproc), ${model}, ${gib} GiB memory, Node ${process.version}, ${process.platform} ${process.arch}; 1-minute load average ${load} when the results were written`;
}

/** The mutation-testing section of RESULTS.md (recorded after `npm run mutation`), kept across bench runs. */
export function mutationSection(): string {
  const previous = existsSync(RESULTS_FILE) ? readFileSync(RESULTS_FILE, "utf8") : "";
  const start = previous.indexOf("\n## Mutation testing");
  return start === -1 ? "" : previous.slice(start + 1);
}

export function renderResults(figures: readonly Figure[], runs: number): string {
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
