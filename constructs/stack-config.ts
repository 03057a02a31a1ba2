import { NatsClusterProps } from "./nats-cluster";
import { ValidationErrors } from "./validation";

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
  natsVersion: { env: "VERSION", kind: "string" },
  adminCidrs: { env: "ADMIN_CIDRS", kind: "list" },
  clientCidrs: { env: "CLIENT_CIDRS", kind: "list" },
  readinessGate: { env: "READINESS_GATE", kind: "bool" },
  jetstream: { env: "JETSTREAM", kind: "bool" },
  volumeSizeGib: { env: "VOLUME_SIZE_GIB", kind: "int" },
  protectVolumes: { env: "PROTECT_VOLUMES", kind: "bool" },
} as const satisfies Record<string, { env: string; kind: Kind }>;

export type StackSettings = Partial<Pick<NatsClusterProps, keyof typeof SETTINGS>>;

/** `nats-tutorial` → `NATS_TUTORIAL_`: the prefix of a stack's environment variables. */
export function envPrefix(stackName: string): string {
  return `${stackName.toUpperCase().replace(/[^A-Z0-9]+/g, "_")}_`;
}

/**
 * Reads a stack's settings from cdktf context (`context.<stack>.<setting>` in cdktf.json)
 * and from environment variables (`<PREFIX><SUFFIX>`), the environment winning. Every bad
 * value is reported, named by where it came from.
 */
export function readStackSettings(
  stackName: string,
  context: Record<string, unknown> | undefined,
  env: NodeJS.ProcessEnv,
): StackSettings {
  const errors = new ValidationErrors();
  const settings: Record<string, unknown> = {};
  const prefix = envPrefix(stackName);
  const known = new Set(Object.keys(SETTINGS));
  for (const key of Object.keys(context ?? {})) {
    errors.check(!known.has(key), `context ${stackName}.${key} is not a setting: expected one of ${[...known].join(", ")}`);
  }
  for (const [name, { env: suffix, kind }] of Object.entries(SETTINGS)) {
    if (context?.[name] !== undefined) {
      settings[name] = checkType(`context ${stackName}.${name}`, context[name], kind, errors);
    }
    const fromEnv = env[prefix + suffix];
    if (fromEnv !== undefined && fromEnv !== "") {
      settings[name] = parseText(`${prefix}${suffix}`, fromEnv, kind, errors);
    }
  }
  errors.throwIfAny(`${stackName} settings`);
  return settings as StackSettings;
}

function parseText(source: string, text: string, kind: Kind, errors: ValidationErrors): unknown {
  switch (kind) {
    case "int":
      errors.check(!/^-?\d+$/.test(text.trim()), `${source} ${JSON.stringify(text)} is not an integer`);
      return Number(text);
    case "bool":
      errors.check(!["true", "false"].includes(text), `${source} ${JSON.stringify(text)} is not a boolean: expected true or false`);
      return text === "true";
    case "list":
      return text.split(",").map((item) => item.trim()).filter((item) => item !== "");
    case "string":
      return text.trim();
  }
}

function checkType(source: string, value: unknown, kind: Kind, errors: ValidationErrors): unknown {
  const ok =
    (kind === "int" && typeof value === "number") ||
    (kind === "bool" && typeof value === "boolean") ||
    (kind === "string" && typeof value === "string") ||
    (kind === "list" && Array.isArray(value) && value.every((item) => typeof item === "string"));
  const expected = { int: "a number", bool: "true or false", string: "a string", list: "a list of strings" }[kind];
  errors.check(!ok, `${source} ${JSON.stringify(value)} is not ${expected}`);
  return value;
}
