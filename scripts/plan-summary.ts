/**
 * Markdown review of a synthesized stack, for a pull request:
 *
 *   npm run plan:summary -- [--stack nats] [--diff OLD_CDK_TF_JSON] [--out FILE]
 *
 * Reads only cdktf.out/stacks/<stack>/cdk.tf.json (synthesizing first when it is missing or stale;
 * CDKTF_OUTDIR moves cdktf.out, as it does for cdktf itself).
 * With --diff, starts with what changes against an older synthesis of the same stack.
 */
import { existsSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { loadPrices } from "../plan/cost";
import { diffPlans } from "../plan/diff";
import { renderDiff, renderSummary } from "../plan/markdown";
import { rollEstimate } from "../plan/roll-estimate";
import { freshStackFile } from "../plan/synth";
import { loadPlan } from "../plan/tf-json";

const USAGE = "usage: npm run plan:summary -- [--stack NAME] [--diff OLD_CDK_TF_JSON] [--out FILE]";

function main(): void {
  const { values } = parseArgs({
    options: {
      stack: { type: "string", default: "nats" },
      diff: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const markdown = review(values.stack, values.diff);
  if (values.out !== undefined) {
    writeFileSync(values.out, markdown);
  } else {
    process.stdout.write(markdown);
  }
}

function review(stack: string, diffAgainst: string | undefined): string {
  const file = freshStackFile(stack);
  const plan = loadPlan(file);
  const summary = renderSummary(plan, loadPrices());
  if (diffAgainst === undefined) {
    return summary;
  }
  if (!existsSync(diffAgainst)) {
    throw new Error(`--diff ${diffAgainst} does not exist: expected an older cdk.tf.json of stack ${stack}`);
  }
  return `${renderDiff(diffPlans(loadPlan(diffAgainst), plan), diffAgainst, { stack, estimate: rollEstimate(plan) })}\n${summary}`;
}

try {
  main();
} catch (error) {
  process.stderr.write(`plan-summary: ${(error as Error).message}\n${USAGE}\n`);
  process.exitCode = 1;
}
