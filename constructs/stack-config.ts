import { Token } from "cdktf";
import { envPrefix } from "../facts/env-prefix";
import { suggestion } from "../helpers/suggestion";
import type { NatsStackProps } from "./nats-stack";

type Kind = "int" | "string" | "list" | "bool";

/** Settings a user can change without editing code, with their environment variable suffix. */
export const SETTINGS = {
  nodeCount: { env: "NODE_COUNT", kind: "int" },
  region: { env: "REGION", kind: "string" },
  size: { env: "SIZE", kind: "string" },
  image: { env: "IMAGE", kind: "string" },
  sshKeys: { env: "SSH_KEYS", kind: "list" },
  clientPort: { env: "CLIENT_PORT", kind: "int" },
  monitorPort: { env: "MONITOR_PORT", kind: "int" },
  clusterPort: { env: "CLUSTER_PORT", kind: "int" },
  loadBalancerClientPort: { env: "LOAD_BALANCER_CLIENT_PORT", kind: "int" },
  natsVersion: { env: "VERSION", kind: "string" },
  natsReleaseUrl: { env: "RELEASE_URL", kind: "string" },
  adminCidrs: { env: "ADMIN_CIDRS", kind: "list" },
  clientCidrs: { env: "CLIENT_CIDRS", kind: "list" },
  readinessGate: { env: "READINESS_GATE", kind: "bool" },
  namePrefix: { env: "NAME_PREFIX", kind: "string" },
  tag: { env: "TAG", kind: "string" },
  loadBalancerName: { env: "LOAD_BALANCER_NAME", kind: "string" },
  jetstream: { env: "JETSTREAM", kind: "bool" },
  volumeSizeGib: { env: "VOLUME_SIZE_GIB", kind: "int" },
  protectVolumes: { env: "PROTECT_VOLUMES", kind: "bool" },
  stateBackend: { env: "STATE_BACKEND", kind: "string" },
  stateBucket: { env: "STATE_BUCKET", kind: "string" },
  stateRegion: { env: "STATE_REGION", kind: "string" },
  stateKeyPrefix: { env: "STATE_KEY_PREFIX", kind: "string" },
  stateSchema: { env: "STATE_SCHEMA", kind: "string" },
} as const satisfies Record<string, { env: string; kind: Kind }>;

export type SettingName = keyof typeof SETTINGS;
export type StackSettings = Partial<Pick<NatsStackProps, SettingName>>;

/**
 * NATS_* variables that are not settings and are left alone: they belong to NATS clients and
 * the nats CLI (and this project's verify, publisher and subscriber, which read the same ones).
 */
export const CLIENT_VARIABLES: readonly string[] = [
  "NATS_URL", "NATS_SERVER", "NATS_CONTEXT", "NATS_CREDS", "NATS_NKEY", "NATS_JWT", "NATS_SEED", "NATS_TOKEN",
  "NATS_USER", "NATS_PASSWORD", "NATS_CERT", "NATS_KEY", "NATS_CA", "NATS_TLS_SERVER_NAME", "NATS_TIMEOUT", "NATS_SOCKS_PROXY",
];

/** Prefixes of other tools' NATS_* variables: the local twin's (NATS_TWIN_SECRET_…). */
export const TOOL_PREFIXES: readonly string[] = ["NATS_TWIN_"];

/** A stack's settings, where each came from, and every problem found reading them. */
export interface SettingsRead {
  /** The settings that passed, ready to spread over the stack's props. */
  readonly settings: StackSettings;
  /**
   * Where each setting came from, as the user wrote it: `NATS_NODE_COUNT` or
   * `context nats.nodeCount`. Problems found later, in the props, are named by it.
   */
  readonly sources: Readonly<Partial<Record<SettingName, string>>>;
  /** Lowercase messages, each naming the variable or context key. */
  readonly problems: readonly string[];
}

/**
 * Reads a stack's settings from cdktf context (`context.<stack>.<setting>` in cdktf.json)
 * and from environment variables (`<PREFIX><SUFFIX>`), the environment winning.
 *
 * A setting is plain data: a value holding Terraform syntax (`${…}`, `%{…}`), a cdktf token
 * or a control character is rejected before any other check, so nothing a user types can
 * reach the plan as an expression. Values are trimmed; an empty value (empty or blank text,
 * or a list without entries) means "not set", in the environment and in context alike.
 * Variables with the stack's prefix that are not settings are errors, unless they belong to
 * a stack with a longer prefix (`otherStacks`), to NATS clients or to the twin. A setting
 * with a problem is left out of `settings`, so the stack's default applies while the problem
 * is reported.
 */
export function readStackSettings(
  stackName: string,
  context: unknown,
  env: NodeJS.ProcessEnv,
  otherStacks: readonly string[] = [],
): SettingsRead {
  const problems: string[] = [];
  const settings: Record<string, unknown> = {};
  const sources: Partial<Record<SettingName, string>> = {};
  const prefix = envPrefix(stackName);
  const names = Object.keys(SETTINGS) as SettingName[];

  const contextObject = contextSettings(stackName, context, problems);
  for (const key of Object.keys(contextObject)) {
    if (!(names as string[]).includes(key)) {
      problems.push(`context ${stackName}.${shortName(key)} is not a setting: ${suggestion(key, names)}`);
    }
  }
  problems.push(...unknownVariables(prefix, env, [stackName, ...otherStacks]));

  for (const name of names) {
    const { env: suffix, kind } = SETTINGS[name];
    const candidates: [source: string, read: () => unknown][] = [
      [`context ${stackName}.${name}`, () => fromContext(`context ${stackName}.${name}`, contextObject[name], kind, problems)],
      [prefix + suffix, () => fromText(prefix + suffix, env[prefix + suffix], kind, problems)],
    ];
    for (const [source, read] of candidates) {
      const value = read();
      if (value === undefined) continue;
      settings[name] = value;
      sources[name] = source;
    }
  }
  return { settings: settings as StackSettings, sources, problems };
}

/** The context object of one stack; anything else is a problem (and reads as no settings). */
function contextSettings(stackName: string, context: unknown, problems: string[]): Record<string, unknown> {
  if (context === undefined) return {};
  if (typeof context === "object" && context !== null && !Array.isArray(context)) return context as Record<string, unknown>;
  problems.push(`context ${stackName} ${JSON.stringify(context)} is not an object of settings such as { "nodeCount": 5 }`);
  return {};
}

/** The environment variables with `prefix` that are no setting, each a problem naming the closest one. */
function unknownVariables(prefix: string, env: NodeJS.ProcessEnv, stacks: readonly string[]): string[] {
  const prefixes = stacks.map(envPrefix);
  const settingVariables = prefixes.flatMap((p) => Object.values(SETTINGS).map(({ env: suffix }) => p + suffix));
  const own = Object.values(SETTINGS).map(({ env: suffix }) => prefix + suffix);
  return Object.keys(env)
    .filter((name) => name.startsWith(prefix) && !own.includes(name))
    // A variable belongs to the stack with the longest matching prefix: NATS_TUTORIAL_REGION is nats-tutorial's.
    .filter((name) => !prefixes.some((other) => other.length > prefix.length && name.startsWith(other)))
    .filter((name) => !CLIENT_VARIABLES.includes(name) && !TOOL_PREFIXES.some((tool) => name.startsWith(tool)))
    .sort()
    .map((name) => `${shortName(name)} is not a setting: ${suggestion(name, settingVariables, own)}`);
}

/** A name the user typed, cut to 80 characters: messages quote values, not names, so they are cut here. */
export function shortName(name: string): string {
  return name.length <= 80 ? name : `${name.slice(0, 79)}… (${name.length} characters)`;
}

/**
 * The problem with text a user typed that must stay plain data, if any: Terraform template
 * syntax, a cdktf token, or a control or invisible formatting character.
 */
export function plainDataProblem(source: string, text: string): string | undefined {
  if (/\$\{|%\{|#\{|TfToken\[/.test(text) || Token.isUnresolved(text)) {
    return `${source} ${JSON.stringify(text)} contains Terraform syntax (\${…} or %{…}) or a cdktf token: a setting is plain data`;
  }
  // Control and invisible formatting characters (bidi overrides, zero-width spaces) alike.
  if (/[\p{Cc}\p{Cf}\u2028\u2029]/u.test(text)) {
    return `${source} ${JSON.stringify(text)} contains a control or formatting character: a setting is one line of plain text`;
  }
  return undefined;
}

/** An environment variable's value as `kind`; undefined when unset, empty or bad (then a problem is recorded). */
function fromText(source: string, raw: string | undefined, kind: Kind, problems: string[]): unknown {
  if (raw === undefined) return undefined;
  const plain = plainDataProblem(source, raw);
  if (plain !== undefined) return fail(problems, plain);
  const text = raw.trim();
  if (text === "") return undefined;
  switch (kind) {
    case "int":
      // Safe integers only: a huge number could be the encoding of a cdktf token.
      return /^-?\d+$/.test(text) && Number.isSafeInteger(Number(text))
        ? Number(text)
        : fail(problems, `${source} ${JSON.stringify(text)} is not an integer`);
    case "bool":
      return text === "true" || text === "false"
        ? text === "true"
        : fail(problems, `${source} ${JSON.stringify(text)} is not a boolean: expected true or false`);
    case "list":
      return nonEmptyList(text.split(","));
    case "string":
      return text;
  }
}

/** A context value as `kind`, trimmed like the environment's; undefined when unset, empty or bad. */
function fromContext(source: string, value: unknown, kind: Kind, problems: string[]): unknown {
  if (value === undefined) return undefined;
  const expected = { int: "a number", bool: "true or false", string: "a string", list: "a list of strings" }[kind];
  const typeProblem = `${source} ${JSON.stringify(value)} is not ${expected}`;
  switch (kind) {
    case "int":
      if (typeof value !== "number") return fail(problems, typeProblem);
      // Safe integers only: a huge number could be the encoding of a cdktf token.
      return Number.isSafeInteger(value) ? value : fail(problems, `${source} ${value} is not an integer`);
    case "bool":
      return typeof value === "boolean" ? value : fail(problems, typeProblem);
    case "string": {
      if (typeof value !== "string") return fail(problems, typeProblem);
      const plain = plainDataProblem(source, value);
      if (plain !== undefined) return fail(problems, plain);
      return value.trim() === "" ? undefined : value.trim();
    }
    case "list": {
      if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) return fail(problems, typeProblem);
      const plain = (value as string[]).map((item, i) => plainDataProblem(`${source}[${i}]`, item)).filter((p) => p !== undefined);
      if (plain.length > 0) return fail(problems, ...plain);
      return nonEmptyList(value as string[]);
    }
  }
}

/** Trimmed entries without the empty ones; undefined when none is left (an empty list is no setting). */
function nonEmptyList(items: readonly string[]): string[] | undefined {
  const list = items.map((item) => item.trim()).filter((item) => item !== "");
  return list.length > 0 ? list : undefined;
}

function fail(problems: string[], ...messages: string[]): undefined {
  problems.push(...messages);
  return undefined;
}
