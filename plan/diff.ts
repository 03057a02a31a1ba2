import { DROPLET, NodeInfo, describeNodes, natsVersionOf } from "./nodes";
import { Reference, addressesOf, referencesIn } from "./references";
import { VolumeWarning, volumeWarnings } from "./volumes";
import { forcesReplacement, isForceNew } from "./replacement";
import { Json, META_ARGUMENTS, Plan, Resource, isObject, strings } from "./tf-json";

/**
 * What Terraform would do to one resource, going from one synthesis to the next. `roll`: a
 * droplet change that forces replacement but that the plan's lifecycle.ignore_changes leaves to
 * `npm run roll` (cdktf deploy keeps the droplet).
 */
export type Action = "add" | "remove" | "replace" | "roll" | "update";

/** One resource that differs between two syntheses. Identity is `<type>.<logical name>`. */
export interface ResourceChange {
  readonly address: string;
  readonly type: string;
  /** The resource's `name` attribute (e.g. the droplet name), or its logical name. */
  readonly label: string;
  readonly action: Action;
  /** Why, one line per attribute. */
  readonly reasons: readonly string[];
}

/** The seed node and what its replacement drags along. */
export interface SeedReplacement {
  readonly name: string;
  /** Names of the nodes that route to the seed. */
  readonly followers: readonly string[];
}

/** The difference between two syntheses of one stack. */
export interface PlanDiff {
  /** Changed resources, ordered remove, replace, update, add, then by address. */
  readonly changes: readonly ResourceChange[];
  /** Names of the droplets that would be destroyed and re-created. */
  readonly replacedDroplets: readonly string[];
  /** Names of the droplets `npm run roll` replaces one at a time (deploy leaves them). */
  readonly rolledDroplets: readonly string[];
  /** Set when the old plan's seed is replaced or removed. */
  readonly seedReplaced?: SeedReplacement;
  /** Volumes whose JetStream data the change destroys, or that it would shrink. */
  readonly volumeWarnings: readonly VolumeWarning[];
}

const ACTION_ORDER: readonly Action[] = ["remove", "replace", "roll", "update", "add"];

/**
 * Compares two syntheses the way `terraform plan` would, from the JSON alone: added and removed
 * resources, attributes changed in place, and replacements, both direct (a ForceNew attribute
 * changed, see REPLACEMENT_RULES) and induced (a ForceNew attribute refers to a computed
 * attribute of a replaced resource, such as the seed's private IP in every node's user_data).
 * Meta-arguments (provisioner, depends_on, lifecycle...) are not state and are ignored.
 */
export function diffPlans(before: Plan, after: Plan): PlanDiff {
  const old = new Map(before.resources.map((resource) => [resource.address, resource]));
  const changes = new Map<string, ResourceChange>();
  for (const resource of after.resources) {
    const previous = old.get(resource.address);
    const change = previous === undefined ? created(resource) : compare(previous, resource);
    if (change !== undefined) {
      changes.set(resource.address, change);
    }
  }
  const present = addressesOf(after);
  for (const resource of before.resources) {
    if (!present.has(resource.address)) {
      changes.set(resource.address, { ...identity(resource), action: "remove", reasons: [] });
    }
  }
  propagateReplacements(after, changes);
  const ordered = [...changes.values()].sort(
    (a, b) => ACTION_ORDER.indexOf(a.action) - ACTION_ORDER.indexOf(b.action) || a.address.localeCompare(b.address),
  );
  const dropletsWith = (action: Action): string[] => ordered.filter((c) => c.type === DROPLET && c.action === action).map((c) => c.label);
  return { changes: ordered, replacedDroplets: dropletsWith("replace"), rolledDroplets: dropletsWith("roll"), seedReplaced: seedReplacement(describeNodes(before), changes), volumeWarnings: volumeWarnings(ordered, before, after) };
}

function identity(resource: Resource): Pick<ResourceChange, "address" | "type" | "label"> {
  const label = typeof resource.body.name === "string" ? resource.body.name : resource.name;
  return { address: resource.address, type: resource.type, label };
}

function created(resource: Resource): ResourceChange {
  return { ...identity(resource), action: "add", reasons: [] };
}

function compare(before: Resource, after: Resource): ResourceChange | undefined {
  const keys = new Set([...Object.keys(before.body), ...Object.keys(after.body)]);
  const changed = [...keys].filter(
    (key) => !META_ARGUMENTS.has(key) && canonical(before.body[key]) !== canonical(after.body[key]),
  );
  if (changed.length === 0) {
    return undefined;
  }
  const ignored = ignoredChanges(after);
  const forcing = changed.filter((key) => forcesReplacement(after.type, key, before.body[key], after.body[key]));
  const replace = forcing.some((key) => !ignored.includes(key));
  const roll = !replace && forcing.length > 0;
  const reasons = changed.map((key) => describeChange(after.type, key, before.body[key], after.body[key], ignored));
  return { ...identity(after), action: replace ? "replace" : roll ? "roll" : "update", reasons };
}

/** The attributes in the resource's lifecycle.ignore_changes: deploy leaves them unchanged. */
function ignoredChanges(resource: Resource): string[] {
  const lifecycle = resource.body.lifecycle;
  return isObject(lifecycle) ? strings(lifecycle, "ignore_changes") : [];
}

function describeChange(type: string, key: string, before: Json | undefined, after: Json | undefined, ignored: readonly string[]): string {
  const forces = forcesReplacement(type, key, before, after);
  const effect = forces && ignored.includes(key) ? "forces replacement: left to npm run roll" : forces ? "forces replacement" : "updatable in place";
  return `${key}: ${changeDetail(key, before, after)} (${effect})`;
}

function changeDetail(key: string, before: Json | undefined, after: Json | undefined): string {
  if (key === "user_data") {
    return userDataDetail(before, after);
  }
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return `changed ${keys.filter((k) => canonical(before[k]) !== canonical(after[k])).map((k) => `${key}.${k}`).join(", ")}`;
  }
  return `${short(before)} → ${short(after)}`;
}

function userDataDetail(before: Json | undefined, after: Json | undefined): string {
  const versions = [before, after].map((value) => natsVersionOf(typeof value === "string" ? value : ""));
  return versions[0] === versions[1] ? "changed" : `changed, nats-server ${versions[0] ?? "?"} → ${versions[1] ?? "?"}`;
}

/**
 * Marks resources replaced (or updated) because an attribute refers to a value that becomes
 * unknown until apply: a computed attribute of a replaced resource. Repeats until stable.
 */
function propagateReplacements(after: Plan, changes: Map<string, ResourceChange>): void {
  const known = addressesOf(after);
  const byAddress = new Map(after.resources.map((resource) => [resource.address, resource]));
  for (let grew = true; grew; ) {
    grew = false;
    for (const resource of after.resources) {
      const current = changes.get(resource.address);
      if (current?.action === "add" || current?.action === "replace") {
        continue;
      }
      const induced = inducedChange(resource, known, byAddress, changes);
      if (induced !== undefined && induced.action !== current?.action) {
        changes.set(resource.address, { ...induced, reasons: [...(current?.reasons ?? []), ...induced.reasons] });
        grew = true;
      }
    }
  }
}

function inducedChange(
  resource: Resource,
  known: ReadonlySet<string>,
  byAddress: ReadonlyMap<string, Resource>,
  changes: ReadonlyMap<string, ResourceChange>,
): ResourceChange | undefined {
  const reasons: string[] = [];
  const ignored = ignoredChanges(resource);
  let replace = false;
  let roll = false;
  for (const [key, value] of Object.entries(resource.body)) {
    if (META_ARGUMENTS.has(key)) {
      continue;
    }
    const unknown = referencesIn(value, known).filter((ref) => becomesUnknown(ref, byAddress, changes));
    for (const ref of unknown) {
      const forceNew = isForceNew(resource.type, key);
      replace ||= forceNew && !ignored.includes(key);
      roll ||= forceNew && ignored.includes(key);
      const target = changes.get(ref.target) as ResourceChange;
      reasons.push(
        `${key}: uses ${ref.target}.${ref.attribute ?? "id"} of replaced ${target.label}, known after apply (${forceNew ? "forces replacement" : "updatable in place"})`,
      );
    }
  }
  if (reasons.length === 0) {
    return undefined;
  }
  return { ...identity(resource), action: replace ? "replace" : roll ? "roll" : "update", reasons: [...new Set(reasons)] };
}

/** A reference is unknown until apply when its target is replaced and the attribute is computed, not configured. */
function becomesUnknown(
  ref: Reference,
  byAddress: ReadonlyMap<string, Resource>,
  changes: ReadonlyMap<string, ResourceChange>,
): boolean {
  if (changes.get(ref.target)?.action !== "replace") {
    return false;
  }
  const configured = ref.attribute !== undefined && byAddress.get(ref.target)?.body[ref.attribute] !== undefined;
  return !configured;
}

function seedReplacement(nodes: readonly NodeInfo[], changes: ReadonlyMap<string, ResourceChange>): SeedReplacement | undefined {
  const seed = nodes.find((node) => node.isSeed);
  const action = seed === undefined ? undefined : changes.get(seed.address)?.action;
  if (seed === undefined || (action !== "replace" && action !== "remove")) {
    return undefined;
  }
  // Only nodes that route to the seed's own address are replaced with it, not those that reach it through a load balancer.
  const followers = nodes.filter((node) => node.routesTo.includes(seed.address) && node.routesThrough.length === 0).map((node) => node.name);
  if (followers.length === 0) return undefined;
  return { name: seed.name, followers };
}

/** A value for a review line: its JSON when short, else its length. */
export function short(value: Json | undefined): string {
  if (value === undefined) {
    return "(unset)";
  }
  const json = JSON.stringify(value);
  return json.length <= 60 ? json : `(${json.length} characters)`;
}

/** JSON with object keys sorted, so key order never counts as a change. */
export function canonical(value: Json | undefined): string {
  const sort = (item: Json): Json => {
    if (Array.isArray(item)) {
      return item.map(sort);
    }
    if (isObject(item)) {
      return Object.fromEntries(Object.keys(item).sort().map((key) => [key, sort(item[key])]));
    }
    return item;
  };
  return value === undefined ? "undefined" : JSON.stringify(sort(value));
}
