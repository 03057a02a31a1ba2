import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ResourceChange } from "../plan/change";
import type { PriceTable } from "../plan/cost";
import { DROPLET } from "../plan/nodes";
import { TerraformPlan, loadTerraformPlan } from "../plan/terraform-plan";
import { Json, Plan, parsePlan } from "../helpers/tf-json";

/** Prices chosen for the plan tests, not the shipped table: every amount they expect follows from them. */
export const TEST_PRICES: PriceTable = {
  asOf: "2024-01-31",
  currency: "USD",
  dropletMonthly: { "s-1vcpu-1gb": 7.5 },
  loadBalancerSizeUnitMonthly: 11.25,
  loadBalancerSizeUnits: { "lb-medium": 3 },
  volumeGibMonthly: 0.15,
};

/** A plan of stack `t` from `resource` (and `output`) blocks, as cdktf would write them. */
export function planOf(resource: Readonly<Record<string, Record<string, Json>>>, output?: Record<string, Json>): Plan {
  return parsePlan({ "//": { metadata: { stackName: "t" } }, resource, ...(output === undefined ? {} : { output }) }, "test");
}

/** A droplet's change in a plan diff, by its label, with the verdict the review gives it when there is one. */
export const dropletChange = (label: string, action: ResourceChange["action"], verdict?: ResourceChange["verdict"]): ResourceChange => ({
  address: `${DROPLET}.${label}`,
  type: DROPLET,
  label,
  action,
  reasons: [],
  arguments: [],
  ...(verdict === undefined ? {} : { verdict }),
});

/** The `terraform show -json` fixtures (see fixtures/terraform-plan/README.md). */
const TERRAFORM_PLANS = join(__dirname, "fixtures", "terraform-plan");

/** A `terraform show -json` fixture, read as `--terraform-plan` reads it. */
export function terraformPlanFixture(name: string): TerraformPlan {
  return loadTerraformPlan(join(TERRAFORM_PLANS, `${name}.json`));
}

/** A `terraform show -json` fixture as JSON.parse gives it, for a test to edit before parseTerraformPlan. */
export function rawTerraformPlanFixture<T = any>(name: string): T {
  return JSON.parse(readFileSync(join(TERRAFORM_PLANS, `${name}.json`), "utf8")) as T;
}
