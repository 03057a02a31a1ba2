import type { ResourceChange } from "./change";
import type { PlanDiff } from "./diff";
import { firewallReport } from "./firewall";
import { describeLoadBalancers, tagLabel } from "./load-balancer";
import { DROPLET, describeNodes } from "./nodes";
import { labelOf } from "./references";
import { describeVolumes } from "./volumes";
import { Plan, resourcesOfType, strings, text } from "../helpers/tf-json";

/** How a droplet of a `--diff` review changes, each with its colour in the diagram. */
const CHANGE_STYLES = {
  replaced: { text: "replaced by cdktf deploy", style: "fill:#f8d7da,stroke:#b02a37,stroke-width:3px,color:#58151c" },
  rolled: { text: "replaced by npm run roll, one at a time", style: "fill:#fff3cd,stroke:#b58105,stroke-width:3px,color:#523b00" },
  "in place": { text: "changed in place by cdktf deploy", style: "fill:#cfe2ff,stroke:#0a58ca,stroke-width:3px,color:#052c65" },
  refused: { text: "refused: every plan fails", style: "fill:#58151c,stroke:#58151c,stroke-width:3px,color:#ffffff" },
  added: { text: "created by cdktf deploy", style: "fill:#d1e7dd,stroke:#146c43,stroke-width:3px,color:#0a3622" },
  destroyed: { text: "destroyed by cdktf deploy", style: "fill:#e9ecef,stroke:#6c757d,stroke-width:3px,stroke-dasharray:5 5,color:#495057" },
} as const;

type ChangeKind = keyof typeof CHANGE_STYLES;

/** The diagram's word for a droplet's change, from its action (and so its verdict, see dropletVerdict). */
function changeKind(change: ResourceChange): ChangeKind {
  const kinds: Record<ResourceChange["action"], ChangeKind> = { replace: "replaced", roll: "rolled", update: "in place", refuse: "refused", add: "added", remove: "destroyed" };
  return kinds[change.action];
}

/**
 * A Mermaid flowchart of a plan, in a fenced block GitHub renders: clients → the load balancer →
 * the droplets (with their volumes), the seed load balancer the nodes route through, and the
 * firewall's inbound openings. With `diff`, each droplet that changes is coloured by what happens
 * to it (replaced, rolled, changed in place, refused, created, destroyed), with a legend.
 */
export function renderDiagram(plan: Plan, diff?: PlanDiff): string {
  // Mermaid wraps labels at 200 px by default, which breaks a load balancer's name in two.
  const lines = ["---", "config:", "  flowchart:", "    wrappingWidth: 400", "---", "flowchart LR"];
  const nodes = describeNodes(plan);
  const nodeId = new Map(nodes.map((node, i) => [node.address, `n${i + 1}`]));
  const byName = new Map(nodes.map((node) => [node.name, node]));
  const changes = new Map((diff?.changes ?? []).filter((change) => change.type === DROPLET).map((change) => [change.label, change]));
  const volumes = describeVolumes(plan);

  const resources = resourcesOfType(plan, "digitalocean_loadbalancer");
  const seeds = new Set(nodes.flatMap((node) => node.routesThrough));
  // The seed load balancer is internal (VPC only): clients never reach it. Terraform's plan holds
  // user_data as a hash, so its nodes show no routes, but the network still tells it apart.
  const balancers = describeLoadBalancers(plan).map((lb, i) => {
    const { address, body } = resources[i];
    const internal = text(body, "network") === "INTERNAL";
    const role = seeds.has(address) ? "seed load balancer" : internal ? "internal load balancer" : "load balancer";
    return { ...lb, id: `lb${i + 1}`, address, internal, role };
  });
  lines.push('  clients(["clients"])');
  for (const lb of balancers) lines.push(`  ${lb.id}[${quote([`${lb.role} ${lb.name}`, ...lb.rules.map((rule) => `${rule.entry} → ${rule.target}`)])}]`);

  lines.push(...firewallLines(plan));
  for (const node of nodes) {
    const change = changes.get(node.name);
    const poweredOff = change?.verdict?.effect === "powers off" && change.verdict.verdict === "deploy" ? " (powers it off)" : "";
    const what = change === undefined ? [] : [`${CHANGE_STYLES[changeKind(change)].text}${poweredOff}`];
    const id = nodeId.get(node.address) as string;
    lines.push(`    ${id}[${quote([node.isSeed ? `${node.name} (seed)` : node.name, [node.size, node.region].filter(Boolean).join(" · "), `nats-server ${node.natsVersion ?? "unknown"}`, ...what])}]`);
    volumes.filter((volume) => volume.attachedTo.includes(node.name)).forEach((volume, j) => {
      lines.push(`    ${id}v${j + 1}[(${quote([volume.name, volume.sizeGib === undefined ? "size unknown" : `${volume.sizeGib} GiB`])})]`, `    ${id} --- ${id}v${j + 1}`);
    });
  }
  const destroyed = [...changes.values()].filter((change) => change.action === "remove" && !byName.has(change.label));
  destroyed.forEach((change, i) => lines.push(`    gone${i + 1}[${quote([change.label, CHANGE_STYLES.destroyed.text])}]`));
  lines.push("  end");

  for (const lb of balancers) {
    if (!seeds.has(lb.address) && !lb.internal) lines.push(`  clients -->${lb.rules.length === 0 ? "" : `|${quote(lb.rules.map((rule) => rule.entry))}|`} ${lb.id}`);
    for (const target of targetsOf(plan, lb.targets)) lines.push(`  ${lb.id} --> ${nodeId.get(target)}`);
  }
  const idOf = (address: string): string => balancers.find((lb) => lb.address === address)?.id ?? (nodeId.get(address) as string);
  for (const node of nodes) {
    const via = node.routesThrough.length > 0 ? node.routesThrough : node.routesTo;
    for (const target of via) lines.push(`  ${nodeId.get(node.address)} -.->|routes| ${idOf(target)}`);
  }

  const used = [...new Set([...changes.values()].map(changeKind))];
  if (used.length > 0) {
    lines.push('  subgraph legend["legend"]', ...used.map((kind) => `    key_${className(kind)}[${quote([kind])}]`), "  end");
    for (const kind of used) {
      lines.push(`  classDef ${className(kind)} ${CHANGE_STYLES[kind].style}`);
      const members = [
        ...[...changes.values()].filter((change) => changeKind(change) === kind && byName.has(change.label)).map((change) => nodeId.get(byName.get(change.label)?.address as string) as string),
        ...(kind === "destroyed" ? destroyed.map((_change, i) => `gone${i + 1}`) : []),
        `key_${className(kind)}`,
      ];
      lines.push(`  class ${members.join(",")} ${className(kind)}`);
    }
  }
  return ["```mermaid", ...lines, "```"].join("\n") + "\n";
}

/**
 * The droplets' box, named after their firewall, opened with a note of its inbound openings, one
 * source a line, the world-open marked; without a firewall, the box says every port is open.
 */
function firewallLines(plan: Plan): string[] {
  const report = firewallReport(plan);
  if (report.firewalls === 0) {
    return ['  subgraph droplets["droplets: no firewall, every port open to the world"]', "    style droplets fill:#f8d7da,stroke:#b02a37,color:#58151c"];
  }
  const names = [...new Set(report.inbound.map((opening) => opening.firewall))];
  const openings = report.inbound.flatMap((opening) =>
    (opening.sources.length === 0 ? ["none"] : opening.sources).map((source) => `${opening.worldOpen ? "🌍 " : ""}${opening.protocol} ${opening.port} ← ${source}`),
  );
  return [
    `  subgraph droplets[${quote([`droplets behind firewall ${names.join(", ")}`])}]`,
    `    fw[${quote(["inbound:", ...openings])}]`,
    "    style fw fill:#ffffff,stroke:#999999,stroke-dasharray:3 3,text-align:left",
  ];
}

/** The droplets a load balancer's targets (`tag nats`, `droplet nats-1`) name. */
function targetsOf(plan: Plan, targets: readonly string[]): string[] {
  return resourcesOfType(plan, DROPLET)
    .filter((droplet) => {
      const labels = [...strings(droplet.body, "tags").map((tag) => tagLabel(tag, plan)), labelOf(`\${${droplet.address}.id}`, plan)];
      return labels.some((label) => targets.includes(label));
    })
    .map((droplet) => droplet.address);
}

function className(kind: ChangeKind): string {
  return kind.replace(/ /g, "_");
}

/** Lines as one quoted Mermaid label: quotes and angle brackets as entities, empty lines left out, the others joined with <br/>. */
function quote(lines: readonly string[]): string {
  const escape = (line: string): string => line.replace(/&/g, "#amp;").replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;");
  return `"${lines.filter((line) => line !== "").map(escape).join("<br/>")}"`;
}
