import { DROPLET, NodeInfo, describeNodes, natsVersionOf } from "./nodes";
import { Reference, addressesOf, referencesIn } from "./references";
import { Action, ResourceChange } from "./change";
import { VolumeWarning, volumeWarnings } from "./volumes";
import { dropletVerdict, forcesReplacement, isForceNew } from "./replacement";
import { DROPLET_ARGUMENTS } from "../facts/droplet-arguments";
import { Json, META_ARGUMENTS, Plan, Resource, isObject, strings } from "../helpers/tf-json";

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
  /** Names of the droplets whose change every plan refuses. */
  readonly refusedDroplets: readonly string[];
  /** Names of the droplets `cdktf deploy` stops: replaces or powers off (and Terraform does that to all of them at once). */
  readonly stoppedByDeploy: readonly string[];
  /**
   * Names of the nodes that route to another droplet's own address: no change reaches one node
   * at a time, and `npm run roll` refuses the stack.
   */
  readonly directRoutes: readonly string[];
  /** Set when the old plan's seed is replaced or removed. */
  readonly seedReplaced?: SeedReplacement;
  /** Volumes whose JetStream data the change destroys, or that it would shrink. */
  readonly volumeWarnings: readonly VolumeWarning[];
}

const ACTION_ORDER: readonly Action[] = ["refuse", "remove", "replace", "roll", "update", "add"];

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
      changes.set(resource.address, { ...identity(resource), action: "remove", reasons: [], arguments: [] });
    }
  }
  propagateReplacements(after, changes);
  const ordered = [...changes.values()].sort(
    (a, b) => ACTION_ORDER.indexOf(a.action) - ACTION_ORDER.indexOf(b.action) || a.address.localeCompare(b.address),
  );
  const dropletsWith = (action: Action): string[] => ordered.filter((c) => c.type === DROPLET && c.action === action).map((c) => c.label);
  const stoppedByDeploy = ordered.filter((c) => c.verdict?.verdict === "deploy" && (c.verdict.effect === "replaces" || c.verdict.effect === "powers off")).map((c) => c.label);
  return {
    changes: ordered,
    replacedDroplets: dropletsWith("replace"),
    rolledDroplets: dropletsWith("roll"),
    refusedDroplets: dropletsWith("refuse"),
    stoppedByDeploy,
    directRoutes: describeNodes(after).filter((node) => node.routesTo.length > 0 && node.routesThrough.length === 0).map((node) => node.name),
    seedReplaced: seedReplacement(describeNodes(before), changes),
    volumeWarnings: volumeWarnings(ordered, before, after),
  };
}

function identity(resource: Resource): Pick<ResourceChange, "address" | "type" | "label"> {
  const label = typeof resource.body.name === "string" ? resource.body.name : resource.name;
  return { address: resource.address, type: resource.type, label };
}

function created(resource: Resource): ResourceChange {
  return { ...identity(resource), action: "add", reasons: [], arguments: [] };
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
  const reasons = changed.map((key) => describeChange(after.type, key, before.body[key], after.body[key], ignored));
  if (after.type === DROPLET) {
    const turnedOn = changed.filter((key) => isForceNew(DROPLET, key) && !forcesReplacement(DROPLET, key, before.body[key], after.body[key]));
    return dropletChange(after, changed, reasons, turnedOn);
  }
  const forcing = changed.filter((key) => forcesReplacement(after.type, key, before.body[key], after.body[key]));
  const replace = forcing.some((key) => !ignored.includes(key));
  const roll = !replace && forcing.length > 0;
  return { ...identity(after), action: replace ? "replace" : roll ? "roll" : "update", reasons, arguments: changed };
}

/** A droplet whose `changed` arguments differ, with its verdict and the action that follows from it. */
function dropletChange(droplet: Resource, changed: readonly string[], reasons: readonly string[], turnedOn: readonly string[] = []): ResourceChange {
  const verdict = dropletVerdict(changed, ignoredChanges(droplet), turnedOn);
  const action: Action =
    verdict.verdict === "refused" ? "refuse" : verdict.verdict === "roll" ? "roll" : verdict.effect === "replaces" ? "replace" : "update";
  return { ...identity(droplet), action, reasons, arguments: changed, verdict };
}

/** The attributes in the resource's lifecycle.ignore_changes: deploy leaves them unchanged. */
function ignoredChanges(resource: Resource): string[] {
  const lifecycle = resource.body.lifecycle;
  return isObject(lifecycle) ? strings(lifecycle, "ignore_changes") : [];
}

function describeChange(type: string, key: string, before: Json | undefined, after: Json | undefined, ignored: readonly string[]): string {
  return `${key}: ${changeDetail(key, before, after)} (${changeEffect(type, key, forcesReplacement(type, key, before, after), ignored)})`;
}

/** What a change of `key` does, for a reason line; `forces`: it forces replacement. */
function changeEffect(type: string, key: string, forces: boolean, ignored: readonly string[]): string {
  const argument = type === DROPLET ? DROPLET_ARGUMENTS[key] : undefined;
  const what = forces ? "forces replacement" : argument?.provider === "powers off" ? "powers the droplet off" : "updatable in place";
  if (!ignored.includes(key)) return what;
  return argument?.decision === "refuse" ? `${what}: refused, every plan fails` : `${what}: left to npm run roll`;
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
      if (induced === undefined) {
        continue;
      }
      const reasons = [...(current?.reasons ?? []), ...induced.reasons];
      const args = [...new Set([...(current?.arguments ?? []), ...induced.arguments])];
      const next = resource.type === DROPLET ? dropletChange(resource, args, reasons) : { ...induced, reasons, arguments: args };
      if (next.action !== current?.action) {
        changes.set(resource.address, next);
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
  const keys = new Set<string>();
  const ignored = ignoredChanges(resource);
  let replace = false;
  let roll = false;
  for (const [key, value] of Object.entries(resource.body)) {
    if (META_ARGUMENTS.has(key)) {
      continue;
    }
    const unknown = referencesIn(value, known).filter((ref) => becomesUnknown(ref, byAddress, changes));
    for (const ref of unknown) {
      keys.add(key);
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
  return { ...identity(resource), action: replace ? "replace" : roll ? "roll" : "update", reasons: [...new Set(reasons)], arguments: [...keys] };
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
