/**
 * Markdown review of a synthesized stack, for a pull request:
 *
 *   npm run plan:summary -- [--stack nats] [--diff OLD_CDK_TF_JSON] [--out FILE]
 *   npm run plan:summary -- --terraform-plan PLAN_JSON [--stack nats] [--out FILE]
 *
 * Reads only cdktf.out/stacks/<stack>/cdk.tf.json and the settings it was made with beside it, as
 * whichever synthesis wrote them; synthesizes first, saying why, only when the plan is missing, has no
 * record of its settings or was made from other sources (CDKTF_OUTDIR moves cdktf.out, as it does for cdktf).
 * With --diff, starts with what changes against an older synthesis of the same stack.
 * With --terraform-plan, reviews Terraform's own plan instead (`terraform show -json PLANFILE`
 * against the deployed state): what it creates, changes, replaces and destroys, and the cost.
 */
import { existsSync, writeFileSync } from "node:fs";
import { loadPrices } from "../plan/cost";
import { diffPlans } from "../plan/diff";
import { renderDiff, renderSummary } from "../plan/markdown";
import { rollEstimate } from "../plan/roll-estimate";
import { differingVariables } from "../plan/settings-record";
import { STACKS, planToReview } from "../plan/synth";
import { loadTerraformPlan, reviewTerraformPlan } from "../plan/terraform-plan";
import { renderTerraformPlanReview } from "../plan/terraform-plan-markdown";
import { MAX_STACK_BYTES, loadPlan, parseJsonText, parsePlan, type Plan } from "../helpers/tf-json";
import { HELP_OPTION, UsageError, parseCli, readOptionFile, runCli, usageText } from "../verify/args";

const USAGE = usageText("npm run plan:summary -- [--stack NAME] [--diff OLD_CDK_TF_JSON | --terraform-plan PLAN_JSON] [--out FILE]", [
  ["--stack", `stack to review: ${STACKS.join(" or ")} (default nats)`],
  ["--diff", "an older cdk.tf.json of the same stack: start with what changes"],
  ["--terraform-plan", "review Terraform's plan of the stack instead: the output of terraform show -json PLANFILE"],
  ["--out", "write the Markdown to this file (default: standard output)"],
]);

void runCli("plan-summary", USAGE, async () => {
  const values = parseCli(process.argv.slice(2), {
    stack: { type: "string", default: "nats" },
    diff: { type: "string" },
    "terraform-plan": { type: "string" },
    out: { type: "string" },
    ...HELP_OPTION,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const terraformPlan = values["terraform-plan"];
  const markdown = terraformPlan === undefined ? review(values.stack, values.diff) : terraformPlanReview(values.stack, terraformPlan, values.diff);
  if (values.out !== undefined) {
    writeFileSync(values.out, markdown);
  } else {
    process.stdout.write(markdown);
  }
  return 0;
});

function checkStack(stack: string): void {
  if (!(STACKS as readonly string[]).includes(stack)) {
    throw new UsageError(`--stack ${JSON.stringify(stack)} is not a stack: expected ${STACKS.join(" or ")}`);
  }
}

function review(stack: string, diffAgainst: string | undefined): string {
  checkStack(stack);
  if (diffAgainst !== undefined && !existsSync(diffAgainst)) {
    throw new UsageError(`--diff ${diffAgainst} does not exist: expected an older cdk.tf.json of stack ${stack}`);
  }
  const reviewed = planToReview(stack);
  if (reviewed.synthesized !== undefined) process.stderr.write(`plan-summary: synthesized stack ${stack} again, with this environment's settings: ${reviewed.synthesized.reason}\n`);
  const differs = differingVariables(reviewed.record, process.env);
  if (differs.length > 0) process.stderr.write(`plan-summary: the plan of stack ${stack} was not made with this environment's settings: ${differs.join(", ")}; npx cdktf synth makes the plan they describe\n`);
  const plan = loadPlan(reviewed.file);
  const provenance = { plan: reviewed, at: new Date(), differs };
  if (diffAgainst === undefined) {
    return renderSummary(plan, loadPrices(), { provenance });
  }
  const diff = diffPlans(olderPlan(diffAgainst), plan);
  return `${renderDiff(diff, diffAgainst, { stack, estimate: rollEstimate(plan) })}\n${renderSummary(plan, loadPrices(), { provenance, diff })}`;
}

/** The plan of --diff, read up to {@link MAX_STACK_BYTES}: a file that is too large or not JSON is a usage error. */
function olderPlan(file: string): Plan {
  const text = readOptionFile("--diff", file, MAX_STACK_BYTES);
  let raw: unknown;
  try {
    raw = parseJsonText(text, `--diff ${file}`, "an older cdk.tf.json of the stack");
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return parsePlan(raw, file);
}

function terraformPlanReview(stack: string, file: string, diffAgainst: string | undefined): string {
  checkStack(stack);
  if (diffAgainst !== undefined) throw new UsageError("--diff and --terraform-plan exclude each other: Terraform's plan already compares against the deployed state");
  if (!existsSync(file)) throw new UsageError(`--terraform-plan ${file} does not exist: expected the output of terraform show -json PLANFILE`);
  const plan = loadTerraformPlan(file);
  return renderTerraformPlanReview(plan, reviewTerraformPlan(plan, loadPrices()), stack);
}
