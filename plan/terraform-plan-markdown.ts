import { CostEstimate } from "./cost";
import { WORLD_OPEN_MARKER, code, renderDiff, table } from "./markdown";
import { renderDiagram } from "./mermaid";
import type { RollEstimate } from "./roll-estimate";
import { TerraformPlan, TerraformPlanReview } from "./terraform-plan";

/**
 * The review of Terraform's own plan: renderDiff's Markdown for what it creates, updates,
 * replaces and destroys (and the volumes whose data it loses), a diagram of the stack after it
 * with the droplets that change coloured, then the droplets it powers
 * off, what the plan cannot show (the changes left to npm run roll), and the monthly cost
 * before and after.
 */
export function renderTerraformPlanReview(plan: TerraformPlan, review: TerraformPlanReview, stack: string, estimate?: RollEstimate): string {
  const label = `state of ${stack} (Terraform ${plan.terraformVersion}, plan format ${plan.formatVersion})`;
  const droplets: string[] = [];
  // How many deploy stops at once is said by renderDiff's warning; here, which are only powered off.
  if (review.poweredOff.length > 0) {
    droplets.push(`Droplets powered off for a resize in place, then started again: ${review.poweredOff.map(code).join(", ")}.`);
  }
  droplets.push(
    `Changes the droplets' \`lifecycle.ignore_changes\` leave to the roll (every argument that stops or replaces a droplet) are not in Terraform's plan: \`npm run roll -- --stack ${stack} --dry-run\` lists the nodes it would replace.`,
  );
  return [
    renderDiff(review.diff, label, estimate === undefined ? undefined : { stack, estimate }).trimEnd(),
    `### Diagram after the plan\n\n${renderDiagram(plan.after, review.diff).trimEnd()}\n\nNo routes are drawn: Terraform's plan holds each droplet's \`user_data\` as a hash.`,
    `### Droplets\n\n${droplets.join("\n\n")}`,
    ...openingsSection(review.openings),
    costSection(review.costBefore, review.costAfter),
  ].join("\n\n") + "\n";
}

/** The inbound openings the plan adds and removes, those open to the world marked. */
function openingsSection({ added, removed }: TerraformPlanReview["openings"]): string[] {
  if (added.length + removed.length === 0) return [];
  const rows = [...added.map((o) => ["added", o] as const), ...removed.map((o) => ["removed", o] as const)].map(([change, o]) => [
    change, o.firewall, o.port, o.protocol, o.sources.join(", ") || "none", o.worldOpen ? WORLD_OPEN_MARKER : "",
  ]);
  return [`### Firewall inbound changes\n\n${table(["change", "firewall", "port", "protocol", "sources", ""], rows)}`];
}

function costSection(before: CostEstimate, after: CostEstimate): string {
  const money = (value: number | undefined): string => (value === undefined ? "unknown" : `$${value.toFixed(2)}`);
  const items = [...new Set([...before.lines, ...after.lines].map((line) => line.item))];
  const of = (estimate: CostEstimate, item: string): string => {
    const line = estimate.lines.find((l) => l.item === item);
    return line === undefined ? "-" : `${line.quantity} × ${money(line.unitPrice)} = ${money(line.monthly)}`;
  };
  const rows = items.map((item) => [item, of(before, item), of(after, item)]);
  rows.push(["**total**", `**${money(before.total)}**`, `**${money(after.total)}**`]);
  const delta = before.total !== undefined && after.total !== undefined ? after.total - before.total : undefined;
  const change = delta === undefined ? "unknown (some sizes have no price)" : delta === 0 ? "none" : `${delta > 0 ? "+" : "−"}${money(Math.abs(delta))} a month`;
  return [
    `### Monthly cost estimate (${after.currency}): before and after`,
    table(["item", "before", "after"], rows),
    `Change: ${change}. List prices as of ${after.asOf}, check digitalocean.com/pricing. Bandwidth, backups and taxes are not included.`,
  ].join("\n\n");
}
