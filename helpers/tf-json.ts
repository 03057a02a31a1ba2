import { readTextBounded } from "./bounded-read";

/** A Terraform JSON value as cdktf writes it. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** An object in Terraform JSON. */
export type JsonObject = { [key: string]: Json };

/** One `resource.<type>.<name>` block of a synthesized stack. */
export interface Resource {
  /** Terraform resource type, e.g. `digitalocean_droplet`. */
  readonly type: string;
  /** Logical name (cdktf's unique id), e.g. `cluster_nodes_node-1_9627E290`. */
  readonly name: string;
  /** `<type>.<name>`: the identity of a resource across two syntheses. */
  readonly address: string;
  /** The block's arguments, without cdktf's `//` metadata. */
  readonly body: JsonObject;
}

/** One `output.<name>` block. */
export interface Output {
  readonly name: string;
  readonly sensitive: boolean;
  readonly description?: string;
}

/** A synthesized stack (`cdktf.out/stacks/<stack>/cdk.tf.json`), read-only. */
export interface Plan {
  readonly stackName: string;
  readonly resources: readonly Resource[];
  readonly outputs: readonly Output[];
}

/** Arguments that are Terraform meta-arguments, not resource attributes kept in state. */
export const META_ARGUMENTS: ReadonlySet<string> = new Set([
  "//",
  "count",
  "for_each",
  "provider",
  "lifecycle",
  "depends_on",
  "provisioner",
  "connection",
]);

/**
 * The largest synthesized stack read: one is 47 KB with 3 nodes and grows by about 10 KB per node
 * (its user_data), so this is far above any the stacks make while /dev/zero, or a wrong file, is
 * refused before it exhausts memory.
 */
export const MAX_STACK_BYTES = 16 * 1024 * 1024;

/** Parses JSON read from a file; `source` (e.g. `--diff old.json`) and `expected` name it in the error. */
export function parseJsonText(text: string, source: string, expected: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${source} is not JSON (${(error as Error).message}): expected ${expected}`);
  }
}

/** Reads (up to {@link MAX_STACK_BYTES}) and parses a synthesized stack file. */
export function loadPlan(file: string): Plan {
  const text = readTextBounded(file, MAX_STACK_BYTES, "synthesized stack");
  return parsePlan(parseJsonText(text, `synthesized stack ${file}`, "a cdk.tf.json"), file);
}

/** Builds a {@link Plan} from a parsed `cdk.tf.json` document; `source` names it in errors. */
export function parsePlan(raw: unknown, source: string): Plan {
  if (!isObject(raw)) {
    throw new Error(`synthesized stack ${source} is not a JSON object`);
  }
  const metadata = pick(pick(raw, "//"), "metadata");
  const stackName = typeof metadata?.stackName === "string" ? metadata.stackName : source;
  return { stackName, resources: readResources(raw.resource, source), outputs: readOutputs(raw.output) };
}

function readResources(block: Json | undefined, source: string): Resource[] {
  if (block === undefined) {
    return [];
  }
  if (!isObject(block)) {
    throw new Error(`synthesized stack ${source}: "resource" is not an object of resource types`);
  }
  const resources: Resource[] = [];
  for (const [type, byName] of Object.entries(block)) {
    if (!isObject(byName)) {
      throw new Error(`synthesized stack ${source}: resource type ${type} is not an object of named resources`);
    }
    for (const [name, body] of Object.entries(byName)) {
      if (!isObject(body)) {
        throw new Error(`synthesized stack ${source}: resource ${type}.${name} is not an object`);
      }
      const { "//": _metadata, ...rest } = body;
      resources.push({ type, name, address: `${type}.${name}`, body: rest });
    }
  }
  return resources;
}

function readOutputs(block: Json | undefined): Output[] {
  if (!isObject(block)) {
    return [];
  }
  return Object.entries(block).map(([name, body]) => ({
    name,
    sensitive: isObject(body) && body.sensitive === true,
    description: isObject(body) && typeof body.description === "string" ? body.description : undefined,
  }));
}

/** Resources of one type, in synthesis order. */
export function resourcesOfType(plan: Plan, type: string): Resource[] {
  return plan.resources.filter((resource) => resource.type === type);
}

/** True for a JSON object (not an array, not null). */
export function isObject(value: Json | unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `value[key]` when `value` is an object whose `key` is an object. */
export function pick(value: Json | undefined, key: string): JsonObject | undefined {
  const child = isObject(value) ? value[key] : undefined;
  return isObject(child) ? child : undefined;
}

/** A string attribute, or undefined. */
export function text(body: JsonObject | undefined, key: string): string | undefined {
  const value = body?.[key];
  return typeof value === "string" ? value : undefined;
}

/** A numeric attribute, or undefined. */
export function num(body: JsonObject | undefined, key: string): number | undefined {
  const value = body?.[key];
  return typeof value === "number" ? value : undefined;
}

/** A list attribute's object items (cdktf writes nested blocks as lists; a single block may be an object). */
export function blocks(body: JsonObject | undefined, key: string): JsonObject[] {
  const value = body?.[key];
  if (Array.isArray(value)) {
    return value.filter(isObject);
  }
  return isObject(value) ? [value] : [];
}

/** A list attribute's string items. */
export function strings(body: JsonObject | undefined, key: string): string[] {
  const value = body?.[key];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

/**
 * A tag as a name: a literal tag as it is; `${digitalocean_tag.<id>.name}` (or `.id`, which
 * DigitalOcean sets to the name) through `names` (tag resource id → name). Undefined for a
 * reference to no known tag resource or any other expression.
 */
export function resolveTagName(value: string, names: ReadonlyMap<string, string>): string | undefined {
  if (!value.includes("${")) return value;
  const id = /^\$\{digitalocean_tag\.([\w-]+)\.(?:name|id)\}$/.exec(value)?.[1];
  return id === undefined ? undefined : names.get(id);
}
