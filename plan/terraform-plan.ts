import { readTextBounded } from "../helpers/bounded-read";
import { CostEstimate, PriceTable, estimateCost } from "./cost";
import { Action, ResourceChange } from "./change";
import { PlanDiff, canonical, short } from "./diff";
import { FirewallReport, InboundOpening, firewallReport } from "./firewall";
import { DROPLET } from "./nodes";
import { DropletVerdict, dropletVerdict } from "./replacement";
import { Json, JsonObject, Plan, Resource, isObject, parseJsonText } from "../helpers/tf-json";
import { volumeWarnings } from "./volumes";

/**
 * Terraform's machine-readable plan, `terraform show -json PLANFILE`, read as Terraform 1.11
 * documents and writes it ("JSON Output Format", format_version 1.2): `resource_changes` for
 * what the plan does, `prior_state` and `planned_values` for the resources before and after,
 * `configuration` for which arguments the configuration sets. Any 1.x format is accepted
 * (minor versions only add fields).
 */
export interface TerraformPlan {
  readonly formatVersion: string;
  readonly terraformVersion: string;
  readonly changes: readonly PlannedChange[];
  /** The prior state's resources, as a {@link Plan} whose bodies are the state's values. */
  readonly before: Plan;
  /** The planned values (unknown values left out), as a {@link Plan}. */
  readonly after: Plan;
}

/** One managed resource of `resource_changes`. */
export interface PlannedChange {
  readonly address: string;
  readonly type: string;
  readonly name: string;
  /** Terraform's actions: ["create"], ["update"], ["delete", "create"], ["no-op"]... */
  readonly actions: readonly string[];
  readonly before: JsonObject | null;
  readonly after: JsonObject | null;
  readonly afterUnknown: JsonObject;
  readonly beforeSensitive: Json;
  readonly afterSensitive: Json;
  /** The first step of each path whose change forces replacement. */
  readonly replacedBy: readonly string[];
  /** The arguments the configuration sets (`configuration.root_module.resources[].expressions`). */
  readonly configured: ReadonlySet<string>;
}

/** The largest plan file read: a plan of this project is well under 1 MB (with its prior state, larger than a stack). */
const MAX_PLAN_BYTES = 64 * 1024 * 1024;

/** Reads `terraform show -json`'s output from a file. */
export function loadTerraformPlan(file: string): TerraformPlan {
  const text = readTextBounded(file, MAX_PLAN_BYTES, "--terraform-plan");
  return parseTerraformPlan(parseJsonText(text, `--terraform-plan ${file}`, "the output of terraform show -json PLANFILE"), file);
}

/** Builds a {@link TerraformPlan} from parsed JSON; `source` names it in errors. */
export function parseTerraformPlan(raw: unknown, source: string): TerraformPlan {
  const format = isObject(raw) ? raw.format_version : undefined;
  if (!isObject(raw) || typeof format !== "string" || !/^1\.\d+$/.test(format)) {
    throw new Error(`${source} has format_version ${JSON.stringify(format)}: expected 1.x, the output of terraform show -json PLANFILE (Terraform 1.x)`);
  }
  if (!Array.isArray(raw.resource_changes) && raw.resource_changes !== undefined) {
    throw new Error(`${source}: resource_changes is not a list`);
  }
  const configured = configuredArguments(raw.configuration);
  const changes = (raw.resource_changes ?? []).filter(isObject).filter((change) => change.mode === "managed").map((change) => plannedChange(change, configured, source));
  return {
    formatVersion: format,
    terraformVersion: typeof raw.terraform_version === "string" ? raw.terraform_version : "unknown",
    changes,
    before: valuesPlan(isObject(raw.prior_state) ? raw.prior_state.values : undefined, source),
    after: valuesPlan(raw.planned_values, source),
  };
}

function plannedChange(change: JsonObject, configured: ReadonlyMap<string, ReadonlySet<string>>, source: string): PlannedChange {
  const body = change.change;
  if (typeof change.address !== "string" || typeof change.type !== "string" || !isObject(body) || !Array.isArray(body.actions)) {
    throw new Error(`${source}: a resource change without address, type or change.actions: ${short(change)}`);
  }
  const paths = Array.isArray(body.replace_paths) ? body.replace_paths : [];
  return {
    address: change.address,
    type: change.type,
    name: typeof change.name === "string" ? change.name : change.address,
    actions: body.actions.map(String),
    before: isObject(body.before) ? body.before : null,
    after: isObject(body.after) ? body.after : null,
    afterUnknown: isObject(body.after_unknown) ? body.after_unknown : {},
    beforeSensitive: body.before_sensitive ?? false,
    afterSensitive: body.after_sensitive ?? false,
    replacedBy: [...new Set(paths.flatMap((path) => (Array.isArray(path) && typeof path[0] === "string" ? [path[0]] : [])))],
    configured: configured.get(change.address) ?? new Set(),
  };
}

/** address → the arguments its configuration block sets, for the root module. */
function configuredArguments(configuration: Json | undefined): Map<string, Set<string>> {
  const module = isObject(configuration) ? configuration.root_module : undefined;
  const resources = isObject(module) && Array.isArray(module.resources) ? module.resources.filter(isObject) : [];
  return new Map(resources.map((resource) => [String(resource.address), new Set(isObject(resource.expressions) ? Object.keys(resource.expressions) : [])]));
}

/** `values` of the state or of planned_values (root module and its children) as a {@link Plan}. */
function valuesPlan(values: Json | undefined, source: string): Plan {
  const resources: Resource[] = [];
  const visit = (module: Json | undefined): void => {
    if (!isObject(module)) return;
    for (const resource of Array.isArray(module.resources) ? module.resources.filter(isObject) : []) {
      if (resource.mode !== "managed" || typeof resource.address !== "string" || typeof resource.type !== "string") continue;
      resources.push({ type: resource.type, name: String(resource.name), address: resource.address, body: isObject(resource.values) ? resource.values : {} });
    }
    for (const child of Array.isArray(module.child_modules) ? module.child_modules : []) visit(child);
  };
  visit(isObject(values) ? values.root_module : undefined);
  return { stackName: source, resources, outputs: [] };
}

/** Terraform's actions as this project's review names them; undefined for no-op and read. */
function actionOf(actions: readonly string[]): Action | undefined {
  const key = [...actions].sort().join(",");
  return ({ create: "add", delete: "remove", update: "update", "create,delete": "replace" } as Record<string, Action>)[key];
}

/** The arguments a change touches: set ones whose value changes or becomes unknown, and those that force replacement. */
export function changedArguments(change: PlannedChange): string[] {
  if (change.before === null || change.after === null) return [];
  const { before, after } = change;
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after), ...Object.keys(change.afterUnknown)])].filter((key) => key !== "id");
  const changed = keys.filter((key) => {
    if (change.replacedBy.includes(key)) return true;
    if (change.afterUnknown[key] === true) return change.configured.has(key);
    return key in after && canonical(before[key]) !== canonical(after[key]);
  });
  return changed.sort((a, b) => Number(change.replacedBy.includes(b)) - Number(change.replacedBy.includes(a)) || a.localeCompare(b));
}

/** True when Terraform's sensitivity mask marks `key`, or anything inside it, sensitive. */
function sensitive(mask: Json, key: string): boolean {
  const marked = (value: Json | undefined): boolean =>
    value === true || (Array.isArray(value) ? value.some(marked) : isObject(value) && Object.values(value).some(marked));
  return mask === true || (isObject(mask) && marked(mask[key]));
}

/** One line per changed argument; sensitive values are never shown, nor user_data (the state keeps its hash). */
function reasonFor(change: PlannedChange, key: string): string {
  const forces = change.replacedBy.includes(key);
  const replaced = actionOf(change.actions) === "replace";
  const effect = forces ? "forces replacement" : replaced ? "with the replacement" : change.type === DROPLET && key === "size" ? "updated in place: the droplet is powered off for the resize" : "updated in place";
  const value = (value: Json | undefined, mask: Json): string => (sensitive(mask, key) ? "(sensitive)" : short(value));
  const after = change.afterUnknown[key] === true ? "(known after apply)" : value(change.after?.[key], change.afterSensitive);
  const [from, to] = [change.before?.[key], change.after?.[key]];
  const hidden = key === "user_data" || (sensitive(change.beforeSensitive, key) && sensitive(change.afterSensitive, key));
  const detail = hidden ? "changed" : Array.isArray(from) && Array.isArray(to) && [...from, ...to].every(isObject) ? blocksChanged(from, to) : `${value(from, change.beforeSensitive)} → ${after}`;
  return `${key}: ${detail} (${effect})`;
}

/** Nested blocks (firewall rules, forwarding rules) by how many were added and removed. */
function blocksChanged(before: readonly Json[], after: readonly Json[]): string {
  const [old, next] = [before.map(canonical), after.map(canonical)];
  const count = (n: number, what: string): string => `${n} ${n === 1 ? "block" : "blocks"} ${what}`;
  return `${count(next.filter((item) => !old.includes(item)).length, "added")}, ${count(old.filter((item) => !next.includes(item)).length, "removed")}`;
}

function changeLabel(change: PlannedChange): string {
  const name = change.after?.name ?? change.before?.name;
  return typeof name === "string" ? name : change.name;
}

/**
 * What a Terraform plan does, in this project's review's terms. Each changed droplet gets the
 * same verdict as in a review of two syntheses ({@link dropletVerdict}); its ignore_changes are
 * already applied by Terraform, so every argument in the plan is one that deploy applies.
 */
export interface TerraformPlanReview {
  readonly diff: PlanDiff;
  /** Droplets that keep running but are powered off for the change (a resize). */
  readonly poweredOff: readonly string[];
  /** Inbound openings the plan adds to or removes from the firewalls (none when no firewall changes). */
  readonly openings: { readonly added: readonly InboundOpening[]; readonly removed: readonly InboundOpening[] };
  readonly costBefore: CostEstimate;
  readonly costAfter: CostEstimate;
}

function openingChanges(before: FirewallReport, after: FirewallReport): TerraformPlanReview["openings"] {
  const key = (opening: InboundOpening): string => JSON.stringify([opening.firewall, opening.protocol, opening.port, [...opening.sources].sort()]);
  const [old, next] = [new Set(before.inbound.map(key)), new Set(after.inbound.map(key))];
  return { added: after.inbound.filter((opening) => !old.has(key(opening))), removed: before.inbound.filter((opening) => !next.has(key(opening))) };
}

/**
 * A changed droplet's verdict in Terraform's plan: dropletVerdict's, except that a droplet the plan
 * replaces (`-replace`, as each roll step asks) is replaced whatever else changes with it.
 */
function plannedVerdict(action: Action, args: readonly string[]): DropletVerdict {
  const verdict = dropletVerdict(args);
  if (action !== "replace" || verdict.effect === "replaces") return verdict;
  const also = args.length === 0 ? "" : `; ${args.join(", ")} with the replacement`;
  return { verdict: "deploy", effect: "replaces", text: `changed by \`cdktf deploy\`: replaces (requested with -replace${also})` };
}

const ACTION_ORDER: readonly Action[] = ["remove", "replace", "update", "add"];

/** The review of a Terraform plan: changes in `renderDiff`'s terms, droplets powered off, the cost before and after. */
export function reviewTerraformPlan(plan: TerraformPlan, prices: PriceTable): TerraformPlanReview {
  const changes: ResourceChange[] = plan.changes.flatMap((change) => {
    const action = actionOf(change.actions);
    if (action === undefined) return [];
    const args = changedArguments(change);
    const verdict = change.type === DROPLET && action !== "add" && action !== "remove" ? { verdict: plannedVerdict(action, args) } : {};
    return [{ address: change.address, type: change.type, label: changeLabel(change), action, reasons: args.map((key) => reasonFor(change, key)), arguments: args, ...verdict }];
  });
  changes.sort((a, b) => ACTION_ORDER.indexOf(a.action) - ACTION_ORDER.indexOf(b.action) || a.address.localeCompare(b.address));
  const changedDroplets = changes.filter((c) => c.verdict !== undefined);
  const poweredOff = changedDroplets.filter((c) => c.action === "update" && c.verdict?.effect === "powers off").map((c) => c.label);
  return {
    diff: {
      changes,
      replacedDroplets: changes.filter((c) => c.type === DROPLET && c.action === "replace").map((c) => c.label),
      // Terraform's plan hides what lifecycle.ignore_changes leaves to npm run roll, and fails
      // outright on a refused change (a postcondition), so neither is ever in a plan file.
      rolledDroplets: [],
      refusedDroplets: [],
      stoppedByDeploy: changedDroplets.filter((c) => c.verdict?.effect === "replaces" || c.verdict?.effect === "powers off").map((c) => c.label),
      // The state keeps user_data as a hash, so routes cannot be read from it; the roll checks them.
      directRoutes: [],
      volumeWarnings: volumeWarnings(changes, plan.before, plan.after),
    },
    poweredOff,
    openings: openingChanges(firewallReport(plan.before), firewallReport(plan.after)),
    costBefore: estimateCost(plan.before, prices),
    costAfter: estimateCost(plan.after, prices),
  };
}
