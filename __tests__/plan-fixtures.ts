import type { PriceTable } from "../plan/cost";
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
