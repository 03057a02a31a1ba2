import { TerraformResource, TerraformStack } from "cdktf";
import { Droplet } from "@cdktf/provider-digitalocean/lib/droplet";
import { Firewall } from "@cdktf/provider-digitalocean/lib/firewall";
import { Loadbalancer } from "@cdktf/provider-digitalocean/lib/loadbalancer";
import { Tag } from "@cdktf/provider-digitalocean/lib/tag";
import { IConstruct } from "constructs";
import { commandLineOf, serverSettings } from "../plan/nodes";
import { resolveTagName } from "../helpers/tf-json";

/** nats-server's own default client port, used when a command line has no `-p`. */
const NATS_DEFAULT_CLIENT_PORT = 4222;

/**
 * One resource as the policy sees it: its Terraform JSON exactly as synthesized (snake_case
 * keys, escape-hatch overrides applied, references as `${...}` strings) and the construct
 * that annotations are attached to.
 */
export interface PolicyResource<C> {
  readonly construct: IConstruct;
  /** `<type>.<logical id>`, as in a Terraform plan. */
  readonly address: string;
  readonly config: C;
}

/** A port or port range value: a number, or a string that may be a `${...}` reference. */
export type PortValue = number | string;

export interface DropletJson {
  readonly name?: string;
  readonly tags?: readonly string[];
  readonly user_data?: string;
}

export interface FirewallRuleJson {
  readonly protocol?: string;
  /** "22", "8000-9000" or "all"; absent means every port. */
  readonly port_range?: string;
  readonly source_addresses?: readonly string[];
}

export interface FirewallJson {
  readonly tags?: readonly string[];
  /** Droplet ids, usually `${digitalocean_droplet.<id>.id}` references. */
  readonly droplet_ids?: readonly (number | string)[];
  readonly inbound_rule?: readonly FirewallRuleJson[];
}

export interface ForwardingRuleJson {
  readonly entry_port?: PortValue;
  readonly target_port?: PortValue;
}

export interface HealthCheckJson {
  readonly protocol?: string;
  readonly port?: PortValue;
  readonly path?: string;
}

export interface LoadBalancerJson {
  /** EXTERNAL (the provider's default) or INTERNAL. */
  readonly network?: string;
  readonly forwarding_rule?: readonly ForwardingRuleJson[];
  readonly healthcheck?: HealthCheckJson;
}

export interface TagJson {
  readonly name?: string;
}

/** The ports one nats-server listens on, read from the command line in a droplet's user_data. */
export interface NatsServerPorts {
  readonly clusterName?: string;
  readonly client: number;
  /** @default - no monitoring endpoint (no `-m`) */
  readonly monitor?: number;
  /** @default - not clustered (no `--cluster` or `--cluster_advertise`) */
  readonly cluster?: number;
  /** Clients must use TLS: a top-level `tls {}` block in nats-server.conf, or `--tls` flags. */
  readonly clientTls: boolean;
  /** It runs JetStream (`-js`, or JetStream on in nats-server.conf). */
  readonly jetstream: boolean;
}

export interface DropletResource extends PolicyResource<DropletJson> {
  /** @default - the droplet does not run nats-server */
  readonly nats?: NatsServerPorts;
}

/** Everything the rules look at in one stack. */
export interface StackResources {
  readonly droplets: readonly DropletResource[];
  readonly firewalls: readonly PolicyResource<FirewallJson>[];
  readonly loadBalancers: readonly PolicyResource<LoadBalancerJson>[];
  readonly tags: readonly PolicyResource<TagJson>[];
}

/**
 * Collects a stack's droplets, firewalls, load balancers and tags from its synthesized
 * Terraform JSON, each paired with its construct. The one walk every rule shares.
 */
export function stackResources(stack: TerraformStack): StackResources {
  const json = stack.toTerraform() as { resource?: Record<string, Record<string, unknown>> };
  const resources = stack.node.findAll().filter(TerraformResource.isTerraformResource);
  const ofType = <C>(type: string): PolicyResource<C>[] =>
    resources
      .filter((r) => r.terraformResourceType === type)
      .map((r) => ({
        construct: r,
        address: `${type}.${r.friendlyUniqueId}`,
        config: (json.resource?.[type]?.[r.friendlyUniqueId] ?? {}) as C,
      }));
  return {
    droplets: ofType<DropletJson>(Droplet.tfResourceType).map((d) => ({ ...d, nats: natsServerPorts(d.config.user_data) })),
    firewalls: ofType<FirewallJson>(Firewall.tfResourceType),
    loadBalancers: ofType<LoadBalancerJson>(Loadbalancer.tfResourceType),
    tags: ofType<TagJson>(Tag.tfResourceType),
  };
}

/**
 * Reads the ports from the `nats-server -flag value …` command line in a droplet's user_data, and
 * TLS and JetStream from it and nats-server.conf; undefined when there is no command line.
 */
export function natsServerPorts(userData: string | undefined): NatsServerPorts | undefined {
  const commandLine = commandLineOf(userData ?? "");
  if (commandLine === undefined) return undefined;
  const args = commandLine.trim().split(/\s+/);
  const flag = (...names: string[]): string | undefined => {
    const i = args.findIndex((arg) => names.includes(arg));
    return i >= 0 ? args[i + 1] : undefined;
  };
  const client = flag("-p", "--port");
  const monitor = flag("-m", "--http_port");
  // With route auth the listener is in nats-server.conf; the advertised port is the same.
  const cluster = /:(\d+)$/.exec(flag("--cluster") ?? flag("--cluster_advertise") ?? "")?.[1];
  const settings = serverSettings(userData ?? "");
  return {
    clusterName: flag("--cluster_name"),
    client: client === undefined ? NATS_DEFAULT_CLIENT_PORT : Number(client),
    monitor: monitor === undefined ? undefined : Number(monitor),
    cluster: cluster === undefined ? undefined : Number(cluster),
    clientTls: settings.tls.client === "on",
    jetstream: settings.jetstream,
  };
}

/** The droplets that run nats-server, with their ports. */
export function natsNodes(resources: StackResources): (DropletResource & { readonly nats: NatsServerPorts })[] {
  return resources.droplets.filter((d): d is DropletResource & { nats: NatsServerPorts } => d.nats !== undefined);
}

/** Every monitor port a nats-server in the stack listens on. */
export function monitorPorts(resources: StackResources): Set<number> {
  return new Set(natsNodes(resources).flatMap((n) => (n.nats.monitor === undefined ? [] : [n.nats.monitor])));
}

/** True for a `${...}` reference or expression, which the policy cannot judge. */
export function isReference(value: unknown): boolean {
  return typeof value === "string" && value.includes("${");
}

/** A tag as a literal name; a reference to a tag resource becomes that tag's name. */
export function tagName(resources: StackResources, tag: string): string {
  const names = new Map(resources.tags.map((t) => [t.address.slice("digitalocean_tag.".length), t.config.name ?? ""]));
  return resolveTagName(tag, names) ?? tag;
}

/** True when a firewall's `port_range` ("22", "8000-9000", "all" or absent) includes `port`. */
export function portRangeIncludes(range: string | undefined, port: number): boolean {
  if (range === undefined || range === "all") return true;
  const bounds = /^(\d+)(?:-(\d+))?$/.exec(range.trim());
  if (bounds === null) return false;
  const low = Number(bounds[1]);
  const high = Number(bounds[2] ?? bounds[1]);
  return port >= low && port <= high;
}
