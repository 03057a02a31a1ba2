import { Json, Plan, Resource, isObject } from "../helpers/tf-json";

/** A reference from one resource to an attribute of another, e.g. `digitalocean_droplet.a.ipv4_address_private`. */
export interface Reference {
  /** Address of the referenced resource, `<type>.<name>`. */
  readonly target: string;
  /** The referenced attribute (first segment after the name), or undefined for a bare `<type>.<name>`. */
  readonly attribute?: string;
}

const INTERPOLATION = /(?<!\$)\$\{([^}]*)\}/g; // `$${` is an escaped, literal `${`
const TRAVERSAL = /(?<![\w.-])([a-z][a-z0-9_]*)\.([A-Za-z_][\w-]*)(?:\.([A-Za-z_][\w-]*))?/g;

/**
 * The references inside `${...}` interpolations of a value, at any depth, keeping only those
 * that name a resource in `known` (so `join`, `var.x` or string literals never count).
 */
export function referencesIn(value: Json | undefined, known: ReadonlySet<string>): Reference[] {
  const found: Reference[] = [];
  for (const str of stringsIn(value)) {
    for (const [, expression] of str.matchAll(INTERPOLATION)) {
      for (const [, type, name, attribute] of expression.matchAll(TRAVERSAL)) {
        if (known.has(`${type}.${name}`)) {
          found.push({ target: `${type}.${name}`, attribute });
        }
      }
    }
  }
  return found;
}

/** Addresses a resource depends on: its references and its `depends_on`, without duplicates or itself. */
export function dependenciesOf(resource: Resource, known: ReadonlySet<string>): string[] {
  const targets = referencesIn(resource.body, known).map((reference) => reference.target);
  const explicit = Array.isArray(resource.body.depends_on) ? resource.body.depends_on : [];
  for (const item of explicit) {
    if (typeof item === "string" && known.has(item)) {
      targets.push(item);
    }
  }
  return [...new Set(targets)].filter((target) => target !== resource.address);
}

/** The set of resource addresses in a plan. */
export function addressesOf(plan: Plan): Set<string> {
  return new Set(plan.resources.map((resource) => resource.address));
}

function stringsIn(value: Json | undefined): string[] {
  if (typeof value === "string") {
    return [value];
  }
  if (Array.isArray(value)) {
    return value.flatMap(stringsIn);
  }
  return isObject(value) ? Object.values(value).flatMap(stringsIn) : [];
}

const KIND_LABELS: Readonly<Record<string, string>> = {
  digitalocean_droplet: "droplet",
  digitalocean_loadbalancer: "load balancer",
  digitalocean_tag: "tag",
  digitalocean_firewall: "firewall",
};

/**
 * A reader-friendly label for an attribute value: a single reference such as
 * `${digitalocean_tag.x.name}` becomes `tag nats` (the referenced resource's `name`),
 * anything else is returned unchanged.
 */
export function labelOf(value: string, plan: Plan): string {
  const byAddress = new Map(plan.resources.map((resource) => [resource.address, resource]));
  const references = referencesIn(value, new Set(byAddress.keys()));
  if (references.length !== 1 || !/^\$\{[^}]*\}$/.test(value)) {
    return value;
  }
  const target = byAddress.get(references[0].target) as Resource;
  const name = typeof target.body.name === "string" ? target.body.name : target.name;
  return `${KIND_LABELS[target.type] ?? target.type} ${name}`;
}
