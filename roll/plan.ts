import { Json, Resource, isObject, loadPlan, resourcesOfType, strings, text } from "../helpers/tf-json";
import { DROPLET_ARGUMENTS } from "../facts/droplet-arguments";
import { RollNode, RollRefused } from "./driver";

const DROPLET = "digitalocean_droplet";

/** The droplets of a synthesized stack, as the roll needs them. */
export interface RollPlan {
  readonly file: string;
  /** In node order (the trailing number of the droplet name). */
  readonly nodes: readonly RollNode[];
  /** Droplet bodies by resource address. */
  readonly droplets: ReadonlyMap<string, Resource>;
}

/**
 * Reads the droplets of `file` and refuses a plan the roll cannot take one node at a time: a
 * droplet whose user_data refers to another droplet (replacing that one would change it too).
 */
export function readRollPlan(file: string): RollPlan {
  const droplets = resourcesOfType(loadPlan(file), DROPLET);
  const number = (droplet: Resource): number => Number(/(\d+)$/.exec(text(droplet.body, "name") ?? "")?.[1] ?? Number.NaN);
  droplets.sort((a, b) => number(a) - number(b));
  const names = new Map(droplets.map((droplet) => [droplet.name, text(droplet.body, "name") ?? droplet.name]));
  for (const droplet of droplets) {
    const referenced = [...JSON.stringify(droplet.body).matchAll(/\$\{digitalocean_droplet\.([\w-]+)\./g)].map((match) => names.get(match[1]) ?? match[1]);
    if (referenced.length > 0) {
      throw new RollRefused(
        `${names.get(droplet.name)} refers to ${[...new Set(referenced)].join(", ")} in its settings (it routes to that node's own address), ` +
          "so no change reaches one node at a time: deploy with the seed load balancer (NatsCluster's seedLoadBalancer, on by default) first, " +
          `or, accepting an outage, replace them all at once: terraform apply ${droplets.map((d) => `-replace=${d.address}`).join(" ")} in the stack's directory`,
      );
    }
  }
  return {
    file,
    nodes: droplets.map((droplet, i) => ({ name: names.get(droplet.name) as string, address: droplet.address, seed: i === 0 })),
    droplets: new Map(droplets.map((droplet) => [droplet.address, droplet])),
  };
}

/**
 * The attributes cdktf deploy leaves to the roll: the droplet's `lifecycle.ignore_changes`.
 * Without them a deploy replaces the droplets itself and there is nothing to roll.
 */
export function rolledAttributes(droplet: Resource): string[] {
  const lifecycle = droplet.body.lifecycle;
  const attributes = isObject(lifecycle) ? strings(lifecycle, "ignore_changes") : [];
  if (attributes.length === 0) {
    throw new RollRefused(`${text(droplet.body, "name") ?? droplet.address} has no lifecycle.ignore_changes: cdktf deploy replaces it itself, with every other node at once`);
  }
  return attributes;
}

/**
 * The rolled attributes whose values differ between a running droplet and the desired one. An
 * argument the desired droplet leaves unset and the provider computes (region, vpc_uuid) keeps
 * the running value. Refuses a difference no roll can apply (facts/droplet-arguments.ts).
 */
export function rolledDifferences(running: Readonly<Record<string, Json | undefined>>, desired: Resource): string[] {
  const differing = rolledAttributes(desired).filter(
    (attribute) => !(desired.body[attribute] === undefined && DROPLET_ARGUMENTS[attribute]?.computed) && canonical(running[attribute]) !== canonical(desired.body[attribute]),
  );
  const refused = differing.find((attribute) => DROPLET_ARGUMENTS[attribute]?.decision === "refuse");
  if (refused !== undefined) {
    const name = text(desired.body, "name") ?? desired.address;
    throw new RollRefused(`${name} has ${refused} ${JSON.stringify(running[refused])}, the plan says ${JSON.stringify(desired.body[refused])}: ${DROPLET_ARGUMENTS[refused].why}; nothing was changed`);
  }
  return differing;
}

/** Lists compare as sets (ssh_keys); absent and empty are the same. */
function canonical(value: Json | undefined): string {
  if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) return "";
  return Array.isArray(value) ? JSON.stringify(value.map((item) => JSON.stringify(item)).sort()) : JSON.stringify(value);
}
