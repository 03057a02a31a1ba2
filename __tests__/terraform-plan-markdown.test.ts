import type { PriceTable } from "../plan/cost";
import { renderDiagram } from "../plan/mermaid";
import { TerraformPlan, parseTerraformPlan, reviewTerraformPlan } from "../plan/terraform-plan";
import { renderTerraformPlanReview } from "../plan/terraform-plan-markdown";
import { TEST_PRICES, rawTerraformPlanFixture, terraformPlanFixture } from "./plan-fixtures";

// Unit test: the review's Markdown, from the `terraform show -json` fixtures (see
// fixtures/terraform-plan/README.md) and the test prices, where only s-1vcpu-1gb has a price.

function review(plan: TerraformPlan, prices: PriceTable = TEST_PRICES): string {
  return renderTerraformPlanReview(plan, reviewTerraformPlan(plan, prices), "nats");
}

const lines = (...text: readonly string[]): string => text.join("\n");

/** The headings of a review's sections, in order. */
const headings = (markdown: string): string[] => markdown.match(/^#{2,3} .*$/gm) ?? [];

/** The text of the section under `### heading`, up to the next section. */
function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n### ${heading}\n\n`);
  if (start < 0) throw new Error(`the review has no section ${heading}`);
  const body = markdown.slice(start + heading.length + 7);
  const end = body.indexOf("\n\n### ");
  return end < 0 ? body : body.slice(0, end);
}

const ROLL_NOTE =
  "Changes the droplets' `lifecycle.ignore_changes` leave to the roll (every argument that stops or replaces a droplet) are not in Terraform's plan: `npm run roll -- --stack nats --dry-run` lists the nodes it would replace.";
const PRICES_NOTE = "List prices as of 2024-01-31, check digitalocean.com/pricing. Bandwidth, backups and taxes are not included.";
const DIFF_HEADING = "## Changes against `state of nats (Terraform 1.11.4, plan format 1.2)`";

describe("renderTerraformPlanReview", () => {
  test("a firewall change, whole: the changes, the diagram after the plan, the droplets note, the openings added and removed, the cost unchanged", () => {
    const plan = terraformPlanFixture("firewall-change");
    const { diff } = reviewTerraformPlan(plan, TEST_PRICES);
    expect(review(plan)).toBe(
      lines(
        DIFF_HEADING,
        "",
        "**0 to add, 1 to change in place, 0 to replace, 0 to roll, 0 refused, 0 to destroy.**",
        "",
        "No droplet is replaced.",
        "",
        "| action | resource | name | why |",
        "| --- | --- | --- | --- |",
        "| update | `digitalocean_firewall.cluster_firewall_AD562BF1` | nats-cluster-fw | inbound_rule: 2 blocks added, 1 block removed (updated in place) |",
        "",
        "### Diagram after the plan",
        "",
        // The diagram itself is renderDiagram's, tested in mermaid.test.ts.
        `${renderDiagram(plan.after, diff)}`,
        "No routes are drawn: Terraform's plan holds each droplet's `user_data` as a hash.",
        "",
        "### Droplets",
        "",
        ROLL_NOTE,
        "",
        "### Firewall inbound changes",
        "",
        "| change | firewall | port | protocol | sources |  |",
        "| --- | --- | --- | --- | --- | --- |",
        "| added | nats-cluster-fw | 8222 | tcp | 203.0.113.0/24, load balancer nats-cluster-lb, load balancer nats-cluster-seed |  |",
        "| added | nats-cluster-fw | 22 | tcp | 203.0.113.0/24 |  |",
        "| removed | nats-cluster-fw | 8222 | tcp | load balancer nats-cluster-lb, load balancer nats-cluster-seed |  |",
        "",
        "### Monthly cost estimate (USD): before and after",
        "",
        "| item | before | after |",
        "| --- | --- | --- |",
        "| droplet s-1vcpu-1gb | 3 × $7.50 = $22.50 | 3 × $7.50 = $22.50 |",
        "| load balancer nats-cluster-lb (size units) | 1 × $11.25 = $11.25 | 1 × $11.25 = $11.25 |",
        "| load balancer nats-cluster-seed (size units) | 1 × $11.25 = $11.25 | 1 × $11.25 = $11.25 |",
        "| volume 10 GiB | 3 × $1.50 = $4.50 | 3 × $1.50 = $4.50 |",
        "| **total** | **$49.50** | **$49.50** |",
        "",
        `Change: none. ${PRICES_NOTE}`,
        "",
      ),
    );
  });

  test("a resize to a size without a price: the droplets powered off named before the roll note, no firewall section, the cost after unknown", () => {
    const text = review(terraformPlanFixture("size-change"));
    expect(headings(text)).toEqual([DIFF_HEADING, "### Diagram after the plan", "### Droplets", "### Monthly cost estimate (USD): before and after"]);
    expect(section(text, "Droplets")).toBe(lines("Droplets powered off for a resize in place, then started again: `nats-1`, `nats-2`, `nats-3`.", "", ROLL_NOTE));
    expect(section(text, "Monthly cost estimate (USD): before and after")).toBe(
      lines(
        "| item | before | after |",
        "| --- | --- | --- |",
        "| droplet s-1vcpu-1gb | 3 × $7.50 = $22.50 | - |",
        "| load balancer nats-cluster-lb (size units) | 1 × $11.25 = $11.25 | 1 × $11.25 = $11.25 |",
        "| load balancer nats-cluster-seed (size units) | 1 × $11.25 = $11.25 | 1 × $11.25 = $11.25 |",
        "| volume 10 GiB | 3 × $1.50 = $4.50 | 3 × $1.50 = $4.50 |",
        "| droplet s-2vcpu-4gb | - | 3 × unknown = unknown |",
        "| **total** | **$49.50** | **unknown** |",
        "",
        `Change: unknown (some sizes have no price). ${PRICES_NOTE}\n`,
      ),
    );
  });

  test("a plan that lowers the monthly cost says by how much, with a minus sign", () => {
    // Prices made up so that the new size is the cheaper one: a review of a downsize reads the same.
    const prices: PriceTable = { ...TEST_PRICES, dropletMonthly: { "s-1vcpu-1gb": 7.5, "s-2vcpu-4gb": 5 } };
    const text = review(terraformPlanFixture("size-change"), prices);
    expect(text).toContain("| droplet s-2vcpu-4gb | - | 3 × $5.00 = $15.00 |\n| **total** | **$49.50** | **$42.00** |\n");
    expect(text).toContain(`\n\nChange: −$7.50 a month. ${PRICES_NOTE}\n`);
  });

  test("an inbound rule left with no source reads none, next to the rule it replaces", () => {
    // One opening added, one removed: the 8222 rule keeps no source, and no SSH rule is added.
    const raw = rawTerraformPlanFixture("firewall-change");
    const firewall = raw.resource_changes.find((c: { type: string }) => c.type === "digitalocean_firewall");
    const planned = raw.planned_values.root_module.resources.find((r: { type: string }) => r.type === "digitalocean_firewall");
    for (const rules of [firewall.change.after.inbound_rule, planned.values.inbound_rule]) {
      rules.pop();
      Object.assign(rules[1], { source_addresses: [], source_load_balancer_uids: [] });
    }
    expect(section(review(parseTerraformPlan(raw, "p.json")), "Firewall inbound changes")).toBe(
      lines(
        "| change | firewall | port | protocol | sources |  |",
        "| --- | --- | --- | --- | --- | --- |",
        "| added | nats-cluster-fw | 8222 | tcp | none |  |",
        "| removed | nats-cluster-fw | 8222 | tcp | load balancer nats-cluster-lb, load balancer nats-cluster-seed |  |",
      ),
    );
  });
});
