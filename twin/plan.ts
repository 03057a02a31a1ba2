import { readTextBounded } from "../helpers/bounded-read";
import { natsVersionOf } from "../plan/nodes";
import { MAX_STACK_BYTES, parseJsonText, resolveTagName } from "../helpers/tf-json";
import { PlanTls, readPlanTls } from "./tls";

/** One droplet of the plan, in node order. */
export interface PlanDroplet {
  readonly id: string;
  readonly name: string;
  /** Node number: the trailing number of the droplet name. */
  readonly number: number;
  readonly userData: string;
  /** The nats-server release its install script pins, e.g. "2.15.1". */
  readonly natsVersion: string;
  /** Tag names, Terraform tag references already resolved. */
  readonly tags: readonly string[];
  /** Resource ids of the digitalocean_volume resources attached through `volume_ids`, in order. */
  readonly volumes: readonly string[];
}

/** One forwarding rule of the load balancer. */
export interface PlanForwardingRule {
  readonly entryPort: number;
  readonly entryProtocol: string;
  readonly targetPort: number;
}

/** The load balancer's health check, in the plan's own units. */
export interface PlanHealthCheck {
  readonly protocol: string;
  readonly port: number;
  readonly path?: string;
  readonly intervalSeconds: number;
  readonly timeoutSeconds: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
}

/** A load balancer of the plan. */
export interface PlanLoadBalancer {
  readonly id: string;
  readonly name: string;
  /** Only reachable inside the VPC (`network = "INTERNAL"`), e.g. the seed load balancer. */
  readonly internal: boolean;
  readonly dropletTag: string;
  readonly forwardingRules: readonly PlanForwardingRule[];
  readonly healthCheck: PlanHealthCheck;
}

/** What the twin needs from a synthesized stack. */
export interface Plan {
  readonly file: string;
  readonly droplets: readonly PlanDroplet[];
  /** The one public load balancer: the clients' entry. */
  readonly loadBalancer: PlanLoadBalancer;
  /** Internal load balancers, such as the one nodes 2…n route to node 1 through. */
  readonly internalLoadBalancers: readonly PlanLoadBalancer[];
  /** IDs of the random_password resources. */
  readonly passwords: readonly string[];
  /** Every character each random_password (by ID) can produce, from its settings. */
  readonly passwordAlphabets: ReadonlyMap<string, string>;
  /** The tls resources: the CA and the node certificates the twin issues. */
  readonly tls: PlanTls;
  /** The `tls_server_name` output: the name clients verify the nodes by. @default - none */
  readonly tlsServerName?: string;
}

type Resources = Record<string, Record<string, Record<string, unknown>>>;

/** Reads the droplets, the load balancers and the passwords of a synthesized stack. */
export function readPlan(file: string): Plan {
  const text = readTextBounded(file, MAX_STACK_BYTES, "synthesized stack");
  const json = parseJsonText(text, `synthesized stack ${file}`, "a cdk.tf.json") as { resource?: Resources; output?: Record<string, { value?: unknown }> };
  const resources = json.resource ?? {};
  const tags = tagNames(resources);
  const droplets = Object.entries(resources.digitalocean_droplet ?? {}).map(([id, body]) => toDroplet(id, body, tags));
  if (droplets.length === 0) throw new Error(`${file} has no digitalocean_droplet resources: nothing to boot`);
  droplets.sort((a, b) => a.number - b.number);
  const balancers = Object.entries(resources.digitalocean_loadbalancer ?? {}).map(([id, body]) => toLoadBalancer(id, body, tags));
  const external = balancers.filter((lb) => !lb.internal);
  if (external.length !== 1) {
    throw new Error(`${file} has ${external.length} public digitalocean_loadbalancer resources: the twin needs exactly one`);
  }
  const serverName = json.output?.tls_server_name?.value;
  return {
    file,
    droplets,
    loadBalancer: external[0],
    internalLoadBalancers: balancers.filter((lb) => lb.internal),
    passwords: Object.keys(resources.random_password ?? {}),
    passwordAlphabets: new Map(Object.entries(resources.random_password ?? {}).map(([id, body]) => [id, passwordAlphabet(body)])),
    tls: readPlanTls(resources),
    tlsServerName: typeof serverName === "string" ? serverName : undefined,
  };
}

/** The special characters terraform-provider-random uses when `special` is on and no `override_special` is given. */
export const DEFAULT_PASSWORD_SPECIALS = "!@#$%&*()-_=+[]{}<>:?";

/**
 * The characters a random_password with these settings can produce: upper, lower, numeric
 * (or its older name number) and special each default to true, and override_special replaces
 * the special characters.
 */
export function passwordAlphabet(body: Record<string, unknown>): string {
  const on = (key: string): boolean => body[key] !== false;
  const specials = typeof body.override_special === "string" ? body.override_special : DEFAULT_PASSWORD_SPECIALS;
  return [
    on("upper") ? "ABCDEFGHIJKLMNOPQRSTUVWXYZ" : "",
    on("lower") ? "abcdefghijklmnopqrstuvwxyz" : "",
    on("numeric") && on("number") ? "0123456789" : "",
    on("special") ? specials : "",
  ].join("");
}

function tagNames(resources: Resources): Map<string, string> {
  return new Map(Object.entries(resources.digitalocean_tag ?? {}).map(([id, body]) => [id, String(body.name)]));
}

/** Resolves a literal tag or a `${digitalocean_tag.<id>.name}` reference. */
function resolveTag(value: string, tags: Map<string, string>): string {
  const name = resolveTagName(value, tags);
  if (name === undefined) throw new Error(`tag ${value} is not a literal or a reference to a digitalocean_tag resource of this plan`);
  return name;
}

function toDroplet(id: string, body: Record<string, unknown>, tags: Map<string, string>): PlanDroplet {
  const name = String(body.name);
  const match = /(\d+)$/.exec(name);
  if (match === null) throw new Error(`droplet name ${JSON.stringify(name)} has no trailing node number: expected e.g. "nats-1"`);
  if (typeof body.user_data !== "string") throw new Error(`droplet ${name} has no user_data: expected a #cloud-config document`);
  const natsVersion = natsVersionOf(body.user_data);
  if (natsVersion === undefined || !/^\d+\.\d+\.\d+$/.test(natsVersion)) {
    throw new Error(`droplet ${name} pins no nats-server release in its user_data (found ${natsVersion ?? "none"}): the twin runs the version the droplet installs, so it must be X.Y.Z`);
  }
  const tagList = Array.isArray(body.tags) ? body.tags.map((tag) => resolveTag(String(tag), tags)) : [];
  const volumes = (Array.isArray(body.volume_ids) ? body.volume_ids : []).map((ref) => volumeOf(String(ref), name));
  return { id, name, number: Number(match[1]), userData: body.user_data, natsVersion, tags: tagList, volumes };
}

/** The resource id in a `${digitalocean_volume.<id>.id}` reference; the twin plays only the plan's own volumes. */
function volumeOf(reference: string, droplet: string): string {
  const id = /^\$\{digitalocean_volume\.([\w-]+)\.id\}$/.exec(reference)?.[1];
  if (id === undefined) throw new Error(`volume_ids entry ${reference} of droplet ${droplet} is not a reference to a digitalocean_volume of this plan`);
  return id;
}

function toLoadBalancer(id: string, body: Record<string, unknown>, tags: Map<string, string>): PlanLoadBalancer {
  if (typeof body.droplet_tag !== "string") throw new Error(`load balancer ${id} has no droplet_tag: the twin targets droplets by tag only`);
  const rules = (body.forwarding_rule ?? []) as Record<string, unknown>[];
  if (rules.length === 0) throw new Error(`load balancer ${id} has no forwarding_rule`);
  const check = body.healthcheck as Record<string, unknown> | undefined;
  if (check === undefined) throw new Error(`load balancer ${id} has no healthcheck`);
  return {
    id,
    name: String(body.name),
    internal: body.network === "INTERNAL",
    dropletTag: resolveTag(body.droplet_tag, tags),
    forwardingRules: rules.map((rule) => ({
      entryPort: Number(rule.entry_port),
      entryProtocol: String(rule.entry_protocol),
      targetPort: Number(rule.target_port),
    })),
    healthCheck: {
      protocol: String(check.protocol),
      port: Number(check.port),
      path: typeof check.path === "string" ? check.path : undefined,
      intervalSeconds: Number(check.check_interval_seconds ?? 10),
      timeoutSeconds: Number(check.response_timeout_seconds ?? 5),
      healthyThreshold: Number(check.healthy_threshold ?? 5),
      unhealthyThreshold: Number(check.unhealthy_threshold ?? 3),
    },
  };
}
