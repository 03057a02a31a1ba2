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

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Figure, formatLine } from "./figure";
import { graphFigures } from "./graph";
import { RESULTS_FILE, mutationSection, renderResults } from "./results";
import { rollFigures } from "./roll";
import { synthesisFigures } from "./synthesis";
import { plaintextPlan, tlsGraphFigures } from "./tls";
import { twinFigures } from "./twin";

const MIN_RUNS = 5;

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

main().catch((error: Error) => {
  console.error(`bench: ${error.message}`);
  process.exitCode = 1;
});
