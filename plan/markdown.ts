import { CostEstimate, PriceTable, estimateCost } from "./cost";
import { ResourceChange } from "./change";
import { PlanDiff } from "./diff";
import { FirewallReport, firewallReport } from "./firewall";
import { deployFacts } from "./graph";
import { HealthCheck, LoadBalancerInfo, describeLoadBalancers, failoverBudget } from "./load-balancer";
import { DROPLET, NodeInfo, describeNodes } from "./nodes";
import type { RecordedSetting } from "./settings-record";
import type { ReviewedPlan } from "./synth";
import { renderDiagram } from "./mermaid";
import { VolumeInfo, describeVolumes } from "./volumes";
import type { RollEstimate } from "./roll-estimate";
import { Plan } from "../helpers/tf-json";

/** Marker on every inbound opening reachable from the whole internet. */
export const WORLD_OPEN_MARKER = "🌍 **open to the world**";

/** Sentence shown when a stack has no firewall. */
export const NO_FIREWALL = "**No firewall: every port is open** on every droplet, to the whole internet.";

/** When and why a review synthesized the plan again, and what the plan was made with. */
export interface Provenance {
  readonly plan: Pick<ReviewedPlan, "record" | "synthesized">;
  /** When the review ran. */
  readonly at: Date;
  /** Setting variables this environment sets otherwise than the plan was made with (see differingVariables). */
  readonly differs?: readonly string[];
}

/** What a review knows besides the plan. */
export interface SummaryOptions {
  /** What the plan was made from, and whether the review synthesized it again. */
  readonly provenance?: Provenance;
  /** The changes of a `--diff` review: the diagram colours the droplets that change. */
  readonly diff?: PlanDiff;
}

/** Renders the review summary of one synthesized stack: what it was made from, a diagram, then each part. */
export function renderSummary(plan: Plan, prices: PriceTable, options: SummaryOptions = {}): string {
  return [
    `## Plan: \`${plan.stackName}\``,
    ...(options.provenance === undefined ? [] : [provenanceSection(options.provenance)]),
    `### Diagram\n\n${renderDiagram(plan, options.diff).trimEnd()}`,
    resourcesSection(plan),
    nodesSection(describeNodes(plan)),
    ...describeLoadBalancers(plan).map(loadBalancerSection),
    ...volumesSection(describeVolumes(plan)),
    firewallSection(firewallReport(plan)),
    outputsSection(plan),
    costSection(estimateCost(plan, prices)),
    deploySection(plan),
  ].join("\n\n") + "\n";
}

/** Renders what changes between two syntheses, refusals and outages first. */
export function renderDiff(diff: PlanDiff, oldLabel: string, roll?: { stack: string; estimate: RollEstimate }): string {
  const count = (action: ResourceChange["action"]): number => diff.changes.filter((c) => c.action === action).length;
  const lines = [
    `## Changes against \`${oldLabel}\``,
    `**${count("add")} to add, ${count("update")} to change in place, ${count("replace")} to replace, ${count("roll")} to roll, ${count("refuse")} refused, ${count("remove")} to destroy.**`,
  ];
  if (diff.refusedDroplets.length > 0) {
    lines.push(`> ⛔ **Refused: every plan fails** (\`cdktf deploy\` and \`npm run roll\` alike) for ${diff.refusedDroplets.map(code).join(", ")}; see the table below.`);
  }
  if (diff.stoppedByDeploy.length === 1) {
    lines.push(`> ⚠️ **\`cdktf deploy\` stops ${code(diff.stoppedByDeploy[0])} itself.**`);
  } else if (diff.stoppedByDeploy.length > 1) {
    lines.push(
      `> ⚠️ **\`cdktf deploy\` stops ${diff.stoppedByDeploy.length} droplets itself**, all at once (Terraform applies them in parallel): ${diff.stoppedByDeploy.map(code).join(", ")}. **An outage.**`,
    );
  }
  if (diff.rolledDroplets.length > 0) {
    const command = roll === undefined ? "npm run roll" : `npm run roll -- --stack ${roll.stack}`;
    const time = roll === undefined ? "" : ` About ${minutes(roll.estimate.perNodeSeconds * diff.rolledDroplets.length)}: ${rollTimeText(roll.estimate)} per node.`;
    if (diff.directRoutes.length > 0) {
      lines.push(
        `> ⚠️ Left to \`${command}\`, **which refuses this stack**: ${diff.directRoutes.map(code).join(", ")} route to another node's own address, so no change reaches one node at a time: ` +
          `${diff.rolledDroplets.map(code).join(", ")}. Deploy with the seed load balancer first, or replace them all at once with \`terraform apply -replace=…\`, **an outage**.`,
      );
    } else {
      const outage = diff.stoppedByDeploy.length === 0 && diff.refusedDroplets.length === 0 ? ", without an outage (`cdktf deploy` stops none of them)" : "";
      lines.push(`Left to \`${command}\`, one droplet at a time${outage}: ${diff.rolledDroplets.map(code).join(", ")}.${time}`);
    }
  }
  for (const warning of diff.volumeWarnings) lines.push(`> ⚠️ ${warning.message}.`);
  if (diff.seedReplaced !== undefined) {
    const { name, followers } = diff.seedReplaced;
    lines.push(
      `> ⚠️ **The seed \`${name}\` is replaced. Every node routes to its address** (${followers.map(code).join(", ")}): each is replaced with it, or, where deploy leaves it to the roll, cut off from it.`,
    );
  }
  lines.push(
    diff.replacedDroplets.length > 0
      ? `Droplets replaced (destroyed and re-created, new IP addresses): ${diff.replacedDroplets.map(code).join(", ")}.`
      : "No droplet is replaced.",
  );
  const droplets = diff.changes.filter((change) => change.type === DROPLET);
  if (droplets.length > 0) {
    lines.push(table(["droplet", "what Terraform does"], droplets.map((change) => [change.label, dropletText(change)])));
  }
  if (diff.changes.length > 0) {
    lines.push(table(["action", "resource", "name", "why"], diff.changes.map(changeRow)));
  }
  return lines.join("\n\n") + "\n";
}

/** One droplet's line: its verdict, or what deploy does to a droplet it adds or removes. */
function dropletText(change: ResourceChange): string {
  if (change.verdict !== undefined) return change.verdict.text;
  return change.action === "add" ? "created by `cdktf deploy`" : "destroyed by `cdktf deploy` (shut down first)";
}

function minutes(seconds: number): string {
  return seconds < 120 ? `${seconds} s` : `${Math.round(seconds / 60)} min`;
}

function rollTimeText(estimate: RollEstimate): string {
  return `${estimate.perNodeSeconds} s (lame duck up to ${estimate.lameDuckSeconds} s, droplet create and boot about ${estimate.bootSeconds} s, healthy behind the load balancer after ${estimate.healthySeconds} s)`;
}

function changeRow(change: ResourceChange): string[] {
  return [change.action, code(change.address), change.label, change.reasons.join("<br>") || "-"];
}

/** The settings the plan was made with, and a notice when the review synthesized it again. */
export function provenanceSection({ plan, at, differs = [] }: Provenance): string {
  const lines = [`Made with ${settingsText(plan.record.settings)}.`];
  if (differs.length > 0) {
    lines.push(`> ⚠️ **Not made with this environment's settings**: ${differs.map(code).join(", ")}. \`npx cdktf synth\` makes the plan they describe.`);
  }
  if (plan.synthesized !== undefined) {
    const { reason, before } = plan.synthesized;
    const replaced = before === undefined ? "" : ` The plan it replaced was made with ${settingsText(before.settings)}.`;
    lines.push(`> 🔄 **Synthesized again** by plan:summary at ${at.toISOString()}, with this environment's settings: ${reason}.${replaced}`);
  }
  return lines.join("\n\n");
}

function settingsText(settings: readonly RecordedSetting[]): string {
  if (settings.length === 0) return "the stack's defaults (no setting was set)";
  return `these settings (others at the stack's defaults): ${settings.map((s) => `${code(s.source)} = ${code(JSON.stringify(s.value))}`).join(", ")}`;
}

function resourcesSection(plan: Plan): string {
  const counts = new Map<string, number>();
  for (const resource of plan.resources) {
    counts.set(resource.type, (counts.get(resource.type) ?? 0) + 1);
  }
  const rows = [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([type, n]) => [code(type), String(n)]);
  return `### Resources (${plan.resources.length})\n\n${table(["type", "count"], rows)}`;
}

function nodesSection(nodes: readonly NodeInfo[]): string {
  const names = new Map(nodes.map((node) => [node.address, node.name]));
  const role = (node: NodeInfo): string =>
    node.isSeed ? "seed" : node.routesTo.length > 0 ? `routes to ${node.routesTo.map((a) => names.get(a)).join(", ")}` : "-";
  const rows = nodes.map((node) => [
    node.name,
    node.size ?? "?",
    node.region ?? "?",
    node.image ?? "?",
    node.natsVersion ?? "unknown",
    role(node),
  ]);
  const tls = nodes.map((node) => [node.name, node.tls.client, node.tls.routes, node.tls.monitor === "off" ? "off (http)" : "-"]);
  return [
    `### Nodes (${nodes.length})`,
    table(["name", "size", "region", "image", "nats-server", "role"], rows),
    "TLS per listener (`mutual`: both sides present and verify certificates; `-`: no such listener):",
    table(["name", "client", "routes", "monitor"], tls),
  ].join("\n\n");
}

/** The volumes, when the plan has any; what happens to their data on destroy. */
function volumesSection(volumes: readonly VolumeInfo[]): string[] {
  if (volumes.length === 0) return [];
  const rows = volumes.map((volume) => [
    volume.name,
    volume.sizeGib === undefined ? "?" : `${volume.sizeGib} GiB`,
    volume.filesystem ?? "none",
    volume.region ?? "?",
    volume.attachedTo.join(", ") || "none",
    volume.protected ? "yes (prevent_destroy)" : "no",
  ]);
  const unprotected = volumes.filter((volume) => !volume.protected).length;
  const destroy =
    unprotected === 0
      ? "Every volume is protected: `cdktf destroy` fails instead of deleting JetStream's data."
      : `${unprotected === volumes.length ? "No volume is" : `${unprotected} volume(s) are not`} protected: \`cdktf destroy\` deletes them with their JetStream data (\`protectVolumes\` prevents it).`;
  return [`### Volumes (${volumes.length})\n\n${table(["name", "size", "filesystem", "region", "attached to", "protected"], rows)}\n\n${destroy}`];
}

function loadBalancerSection(lb: LoadBalancerInfo): string {
  const rules = lb.rules.map((rule) => [rule.entry, rule.target, rule.tlsPassthrough ? "yes" : "no"]);
  return [
    `### Load balancer \`${lb.name}\` (${lb.region ?? "no region"})`,
    `Targets: ${lb.targets.join(", ") || "none"}. Sticky sessions: ${lb.stickySessions ?? "provider default"}.`,
    table(["entry", "target", "TLS passthrough"], rules),
    `Health check: ${healthCheckText(lb.healthCheck)}`,
  ].join("\n\n");
}

function healthCheckText(check: HealthCheck | undefined): string {
  if (check === undefined) {
    return "provider default (tcp on the first target port).";
  }
  const { protocol, port, path, intervalSeconds: every, timeoutSeconds: timeout } = check;
  const { healthyThreshold: rise, unhealthyThreshold: fall } = check;
  const target = `${protocol} :${port ?? "?"}${path ?? ""}`;
  const budget = every !== undefined && timeout !== undefined && fall !== undefined ? failoverBudget(every, timeout, fall) : undefined;
  return (
    `${target} every ${every ?? "?"} s, timeout ${timeout ?? "?"} s, healthy after ${rise ?? "?"}, unhealthy after ${fall ?? "?"}` +
    (budget === undefined ? "." : `: a dead node leaves rotation within ${budget} s.`)
  );
}

function firewallSection(report: FirewallReport): string {
  if (report.firewalls === 0) {
    return `### Firewall\n\n${NO_FIREWALL}`;
  }
  const rows = report.inbound.map((opening) => [
    opening.firewall,
    opening.port,
    opening.protocol,
    opening.sources.join(", ") || "none",
    opening.worldOpen ? WORLD_OPEN_MARKER : "",
  ]);
  const open = report.inbound.filter((opening) => opening.worldOpen).length;
  const verdict = open === 0 ? "Nothing is open to the world." : `${open} inbound rule(s) open to the world.`;
  return `### Firewall inbound\n\n${verdict}\n\n${table(["firewall", "port", "protocol", "sources", ""], rows)}`;
}

function outputsSection(plan: Plan): string {
  const rows = plan.outputs.map((output) => [code(output.name), output.sensitive ? "🔒 sensitive" : "", output.description ?? ""]);
  return `### Outputs (${plan.outputs.length})\n\n${table(["name", "sensitive", "description"], rows)}`;
}

function costSection(cost: CostEstimate): string {
  const money = (value: number | undefined): string => (value === undefined ? "unknown" : `$${value.toFixed(2)}`);
  const rows = cost.lines.map((line) => [line.item, String(line.quantity), money(line.unitPrice), money(line.monthly)]);
  const total =
    cost.total !== undefined
      ? `**${money(cost.total)}**`
      : `**unknown** (at least ${money(cost.knownTotal)}: some sizes have no price)`;
  rows.push(["**total**", "", "", total]);
  return [
    `### Monthly cost estimate (${cost.currency})`,
    table(["item", "quantity", "unit price / month", "month"], rows),
    `List prices as of ${cost.asOf}, check digitalocean.com/pricing. Bandwidth, backups and taxes are not included.`,
  ].join("\n\n");
}

function deploySection(plan: Plan): string {
  const facts = deployFacts(plan);
  const waiting =
    facts.waitingForDroplets.length === 0
      ? "The load balancer and firewall do not wait for any droplet."
      : `Waiting for droplets: ${facts.waitingForDroplets.map(code).join(", ")}.`;
  return [
    "### Deploy order",
    `Critical path: ${facts.depth} resources one after another (${facts.criticalPath.map(code).join(" → ")}).`,
    `Droplets are created in ${facts.dropletWaves} wave(s). ${waiting}`,
  ].join("\n\n");
}

/** A Markdown table; `|` and line breaks in cells are escaped. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.map(escapeCell).join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

function escapeCell(cell: string): string {
  return cell.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** `value` as inline code. */
export function code(value: string): string {
  return `\`${value}\``;
}
