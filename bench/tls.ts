import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { App } from "cdktf";
import { NatsStack } from "../constructs/nats-stack";
import { DEFAULT_STACK } from "../constructs/stacks";
import { deployFacts } from "../plan/graph";
import { stackFile, synthesize } from "../plan/synth";
import { loadPlan } from "../helpers/tf-json";
import { clientTls } from "../policy/rules/client-tls";
import type { Twin } from "../twin/twin";
import { Figure, median, ratio } from "./figure";
import { lbUrl, open, pubSubRate } from "./traffic";

export const PLAINTEXT_TWIN_ADDRESS_BASE = "127.0.23.10";
export const CONNECTIONS_PER_RUN = 50;

/**
 * The default stack synthesized with `tls: false` (the client TLS rule acknowledged): the plaintext
 * baseline, a plan of its own that the twin runs as it stands.
 */
export function plaintextPlan(work: string): string {
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
export function tlsGraphFigures(work: string, plaintextFile: string): Figure[] {
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
export async function tlsTwinFigures(tls: Twin, plaintext: Twin, runs: number): Promise<Figure[]> {
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
