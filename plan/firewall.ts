import { worldOpenSources } from "../helpers/cidr";
import { labelOf } from "./references";
import { Plan, Resource, blocks, resourcesOfType, strings, text } from "../helpers/tf-json";

/** The attributes of an inbound rule that name its sources. */
const SOURCE_KEYS = [
  "source_addresses",
  "source_tags",
  "source_droplet_ids",
  "source_load_balancer_uids",
  "source_kubernetes_ids",
] as const;

/** One inbound opening of a firewall. */
export interface InboundOpening {
  /** Firewall name. */
  readonly firewall: string;
  /** Port or range, e.g. `4222`, `1-65535`, `all`. */
  readonly port: string;
  readonly protocol: string;
  /** Readable sources: CIDRs as written, references as `tag nats`, `load balancer nats-lb`. */
  readonly sources: readonly string[];
  /** True when the sources cover the whole internet of a family, in any spelling (`0.0.0.0/0`, `::0/0`, `2000::/3`, …): see worldOpenSources. */
  readonly worldOpen: boolean;
}

/** What the firewalls of a plan let in. */
export interface FirewallReport {
  /** Number of `digitalocean_firewall` resources: 0 means every port of every droplet is open. */
  readonly firewalls: number;
  readonly inbound: readonly InboundOpening[];
}

/** Lists every inbound rule of every firewall, marking those open to the world. */
export function firewallReport(plan: Plan): FirewallReport {
  const firewalls = resourcesOfType(plan, "digitalocean_firewall");
  // A state (Terraform's plan) holds the IDs and names the references resolved to.
  const byId = new Map(plan.resources.filter((r) => r.type.startsWith("digitalocean_") && typeof r.body.id === "string").map((r) => [r.body.id as string, r]));
  const inbound = firewalls.flatMap((firewall) =>
    blocks(firewall.body, "inbound_rule").map((rule) => {
      const sources = SOURCE_KEYS.flatMap((key) => strings(rule, key).map((source) => sourceLabel(key, source, plan, byId)));
      return {
        firewall: text(firewall.body, "name") ?? firewall.name,
        port: text(rule, "port_range") ?? (text(rule, "protocol") === "icmp" ? "-" : "all"),
        protocol: text(rule, "protocol") ?? "?",
        sources,
        worldOpen: worldOpenSources(strings(rule, "source_addresses")).length > 0,
      };
    }),
  );
  return { firewalls: firewalls.length, inbound };
}

/**
 * A source as the review names it: a reference or a resource ID of the plan as its resource
 * (`load balancer nats-cluster-lb`), a tag written as a name as `tag nats-cluster`, an address as written.
 */
function sourceLabel(key: (typeof SOURCE_KEYS)[number], source: string, plan: Plan, byId: ReadonlyMap<string, Resource>): string {
  const resource = byId.get(source);
  if (resource !== undefined) return labelOf(`\${${resource.address}.id}`, plan);
  const label = labelOf(source, plan);
  return key === "source_tags" && label === source ? `tag ${source}` : label;
}
