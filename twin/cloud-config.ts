import { execFile } from "node:child_process";
import { randomInt } from "node:crypto";
import { writeFileSync } from "node:fs";
import { posix } from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";
import { suggestion } from "../helpers/suggestion";
import type { Credentials } from "../verify/types";

/** The unit the cloud-config installs and the twin runs. */
export const UNIT_PATH = "/etc/systemd/system/nats-server.service";

/** Secrets supplied through the environment: NATS_TWIN_SECRET_<ID in upper snake case>. */
export const SECRET_ENV_PREFIX = "NATS_TWIN_SECRET_";

/** What the twin puts where the plan has Terraform references. */
export interface References {
  /** Droplet resource id → its loopback address. */
  readonly addresses: ReadonlyMap<string, string>;
  /** Load balancer resource id → its loopback address. */
  readonly loadBalancers: ReadonlyMap<string, string>;
  /** random_password resource id → secret value. */
  readonly secrets: ReadonlyMap<string, string>;
  /** `tls_private_key.<id>.private_key_pem` and `<certificate type>.<id>.cert_pem` → PEM. @default - none */
  readonly pems?: ReadonlyMap<string, string>;
}

/** One file cloud-init writes. */
export interface CloudFile {
  readonly path: string;
  readonly content: string;
  readonly permissions?: string;
}

/** What the twin needs from one node's cloud-config. */
export interface NodeConfig {
  /** Files under the unit's WorkingDirectory, with paths relative to it. */
  readonly workingFiles: readonly CloudFile[];
  /** EnvironmentFile path relative to WorkingDirectory, when it lives there. */
  readonly environmentFile?: string;
  /** The unit's ExecStart, split into argv as systemd would. */
  readonly argv: readonly string[];
  /**
   * The unit's `RequiresMountsFor=` paths: where the droplet mounts its volumes. The twin maps
   * each to a directory of its own, the only path it substitutes.
   */
  readonly mountPoints: readonly string[];
  /** What `systemctl stop` sends first (KillSignal=). @default SIGTERM, systemd's default */
  readonly killSignal: NodeJS.Signals;
  /** How long `systemctl stop` waits before SIGKILL (TimeoutStopSec=, seconds). @default 90, systemd's default */
  readonly stopTimeoutSeconds: number;
  /** The unit's `User=`. @default - root, systemd's default */
  readonly user?: string;
  /** The unit's `AmbientCapabilities=`, as written. @default - none */
  readonly ambientCapabilities?: string;
}

/**
 * Replaces the Terraform references the twin owns in a droplet's user_data: droplet
 * private addresses, load balancer addresses, random_password results and TLS keys and
 * certificates (also inside `base64encode(...)`); un-escapes `$${` and `%%{`. Any other
 * interpolation or template directive is an error naming it.
 */
export function substituteReferences(userData: string, refs: References, droplet: string): string {
  return userData.replace(/\$\$\{|%%\{|%\{[^}]*\}|\$\{([^}]*)\}/g, (match: string, expression: string | undefined) => {
    if (match === "$${") return "${";
    if (match === "%%{") return "%{";
    if (expression === undefined) throw new Error(`unsupported terraform template directive ${match} in user_data of ${droplet}`);
    return resolveReference(expression, refs, droplet);
  });
}

function resolveReference(expression: string, refs: References, droplet: string): string {
  const encoded = /^base64encode\((.+)\)$/.exec(expression);
  if (encoded !== null) return Buffer.from(resolveReference(encoded[1], refs, droplet)).toString("base64");
  const address = /^digitalocean_droplet\.([\w-]+)\.ipv4_address_private$/.exec(expression);
  const balancer = /^digitalocean_loadbalancer\.([\w-]+)\.ip$/.exec(expression);
  const password = /^random_password\.([\w-]+)\.result$/.exec(expression);
  const pem = /^(tls_private_key\.[\w-]+\.private_key_pem|(?:tls_self_signed_cert|tls_locally_signed_cert)\.[\w-]+\.cert_pem)$/.exec(expression);
  const [map, id] =
    address !== null ? [refs.addresses, address[1]]
    : balancer !== null ? [refs.loadBalancers, balancer[1]]
    : password !== null ? [refs.secrets, password[1]]
    : pem !== null ? [refs.pems, pem[1]]
    : [];
  const value = id === undefined ? undefined : map?.get(id);
  if (value !== undefined) return value;
  if (id !== undefined) throw new Error(`\${${expression}} in user_data of ${droplet} names a resource the plan does not have`);
  throw new Error(
    `unsupported terraform reference \${${expression}} in user_data of ${droplet}: ` +
      "only ${digitalocean_droplet.<id>.ipv4_address_private}, ${digitalocean_loadbalancer.<id>.ip}, ${random_password.<id>.result}, " +
      "TLS keys and certificates and base64encode() of them are allowed",
  );
}

/**
 * The value for random_password `id`: `supplied[id]`, else the environment variable
 * NATS_TWIN_SECRET_<ID>, else 32 random alphanumeric characters. An empty value is refused: it
 * would start the servers with an empty password or token. So is a character outside
 * `alphabet`, what the random_password can produce: a droplet never gets such a secret
 * (Terraform puts the value into user_data as it is, where a quote or a line break breaks the
 * YAML or the nats-server.conf around it). The error names the variable and the characters,
 * never the value.
 */
export function secretFor(id: string, supplied: Readonly<Record<string, string>> = {}, env: NodeJS.ProcessEnv = process.env, alphabet?: string): string {
  const name = secretEnvName(id);
  const [source, value] = supplied[id] !== undefined ? [`the secret supplied for ${id}`, supplied[id]] : [name, env[name]];
  if (value === "") throw new Error(`${source} is empty: give a value, or leave it unset for a random secret`);
  if (value === undefined) return randomAlphanumeric(32);
  const foreign = [...new Set(value)].filter((char) => alphabet !== undefined && !alphabet.includes(char));
  if (foreign.length > 0) {
    throw new Error(
      `${source} holds ${foreign.map((char) => JSON.stringify(char)).join(", ")}: random_password ${id} produces only ${describeAlphabet(alphabet as string)}, ` +
        "so a droplet never gets such a secret; choose one of those characters only",
    );
  }
  return value;
}

/** "letters, digits and one of "!@#"" for the characters of a random_password. */
function describeAlphabet(alphabet: string): string {
  const classes: Array<readonly [RegExp, string]> = [[/[A-Z]/, "upper-case letters"], [/[a-z]/, "lower-case letters"], [/[0-9]/, "digits"]];
  const parts = classes.filter(([pattern]) => pattern.test(alphabet)).map(([, label]) => label);
  const others = alphabet.replace(/[A-Za-z0-9]/g, "");
  if (others !== "") parts.push(`the characters ${JSON.stringify(others)}`);
  return parts.length > 1 ? `${parts.slice(0, -1).join(", ")} and ${parts[parts.length - 1]}` : parts[0] ?? "nothing";
}

/**
 * Fails naming every NATS_TWIN_SECRET_* variable in `env` that stands for none of the plan's
 * random_password `ids` (with the closest name): a misspelled one would otherwise be ignored and
 * the twin would run with a generated secret instead.
 */
export function assertSecretVariables(ids: readonly string[], env: NodeJS.ProcessEnv = process.env): void {
  const known = ids.map(secretEnvName);
  const problems = Object.keys(env)
    .filter((name) => name.startsWith(SECRET_ENV_PREFIX) && !known.includes(name))
    .sort()
    .map((name) => `${name.length <= 80 ? name : `${name.slice(0, 79)}…`} names no random_password of the plan: ${known.length === 0 ? "the plan has none" : suggestion(name, known)}`);
  if (problems.length > 0) throw new Error(problems.join("; "));
}

/** NATS_TWIN_SECRET_ followed by the resource id in upper snake case. */
export function secretEnvName(id: string): string {
  return SECRET_ENV_PREFIX + id.replace(/[^A-Za-z0-9]+/g, "_").toUpperCase();
}

function randomAlphanumeric(length: number): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  return Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join("");
}

/** Runs `cloud-init schema --config-file` on `file`; fails with cloud-init's own message. */
export async function validateCloudConfig(cloudInit: string, file: string, userData: string, droplet: string): Promise<void> {
  writeFileSync(file, userData, { mode: 0o600 });
  try {
    await promisify(execFile)(cloudInit, ["schema", "--config-file", file]);
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    throw new Error(`cloud-init rejects the user_data of ${droplet}: ${`${stderr}${stdout}`.trim() || (error as Error).message}`);
  }
}

/** Parses a node's cloud-config: its unit, its ExecStart and the files of its working directory. */
export function readNodeConfig(userData: string, droplet: string): NodeConfig {
  const files = writeFiles(parse(userData) as unknown, droplet);
  const unitFile = files.find((file) => file.path === UNIT_PATH);
  if (unitFile === undefined) throw new Error(`user_data of ${droplet} writes no ${UNIT_PATH}`);
  const sections = unitSections(unitFile.content, droplet);
  const service = sections.get("Service") ?? new Map<string, string>();
  const workingDirectory = required(service, "WorkingDirectory", droplet);
  const within = (path: string): string | undefined => {
    const relative = posix.relative(workingDirectory, path);
    return relative === "" || relative.startsWith("..") || posix.isAbsolute(relative) ? undefined : relative;
  };
  const environmentFile = service.get("EnvironmentFile");
  return {
    workingFiles: files.flatMap((file) => {
      const relative = within(file.path);
      return relative === undefined ? [] : [{ ...file, path: relative }];
    }),
    environmentFile: environmentFile === undefined ? undefined : within(environmentFile.replace(/^-/, "")),
    argv: splitExecStart(required(service, "ExecStart", droplet), droplet),
    mountPoints: (sections.get("Unit")?.get("RequiresMountsFor") ?? "").split(/\s+/).filter((path) => path !== ""),
    killSignal: killSignal(service.get("KillSignal") ?? "SIGTERM", droplet),
    stopTimeoutSeconds: stopTimeout(service.get("TimeoutStopSec") ?? "90", droplet),
    user: service.get("User"),
    ambientCapabilities: service.get("AmbientCapabilities"),
  };
}

function killSignal(value: string, droplet: string): NodeJS.Signals {
  const signal = value.startsWith("SIG") ? value : `SIG${value}`;
  if (!/^SIG[A-Z0-9]+$/.test(signal)) throw new Error(`KillSignal=${value} of ${droplet} is not a signal name such as SIGTERM`);
  return signal as NodeJS.Signals;
}

/** TimeoutStopSec in seconds; the twin accepts plain seconds only. */
function stopTimeout(value: string, droplet: string): number {
  const seconds = /^(\d+)s?$/.exec(value)?.[1];
  if (seconds === undefined) throw new Error(`TimeoutStopSec=${value} of ${droplet} is not supported by the twin: expected whole seconds`);
  return Number(seconds);
}

function writeFiles(config: unknown, droplet: string): CloudFile[] {
  const entries = (config as { write_files?: unknown } | null)?.write_files;
  if (!Array.isArray(entries)) throw new Error(`user_data of ${droplet} has no write_files list`);
  return entries.map((entry: Record<string, unknown>) => {
    const content = String(entry.content ?? "");
    const base64 = entry.encoding === "b64" || entry.encoding === "base64";
    if (entry.encoding !== undefined && entry.encoding !== "text/plain" && !base64) {
      throw new Error(`write_files entry ${String(entry.path)} of ${droplet} has encoding ${String(entry.encoding)}: the twin reads plain text and base64 only`);
    }
    return {
      path: String(entry.path),
      content: base64 ? Buffer.from(content, "base64").toString("utf8") : content,
      permissions: entry.permissions === undefined ? undefined : String(entry.permissions),
    };
  });
}

/** A unit file's sections by name, each key's last assignment winning. */
export function unitSections(unit: string, droplet: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let values = new Map<string, string>();
  for (const raw of unit.replace(/\\\n/g, " ").split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header !== null) {
      values = sections.get(header[1]) ?? new Map<string, string>();
      sections.set(header[1], values);
      continue;
    }
    const equals = line.indexOf("=");
    if (equals < 0) throw new Error(`${UNIT_PATH} of ${droplet} has a line that is not key=value: ${JSON.stringify(line)}`);
    values.set(line.slice(0, equals).trim(), line.slice(equals + 1).trim());
  }
  return sections;
}

function required(service: Map<string, string>, key: string, droplet: string): string {
  const value = service.get(key);
  if (value === undefined || value === "") throw new Error(`${UNIT_PATH} of ${droplet} has no ${key}= in [Service]`);
  return value;
}

/**
 * Splits an ExecStart value into argv the way systemd does for the subset the twin
 * accepts: words separated by whitespace, single-quoted words taken literally,
 * double-quoted words with backslash escapes, `%%` as a literal percent sign. Prefixes
 * (`-@:+!`), other `%` specifiers and `${VAR}` expansion are errors.
 */
export function splitExecStart(execStart: string, droplet = "the unit"): string[] {
  if (/^[-@:+!]/.test(execStart)) throw new Error(`ExecStart prefix ${execStart[0]} of ${droplet} is not supported: expected a plain command line`);
  const text = execStart.trim();
  if (text.replace(/%%/g, "").includes("%")) throw new Error(`ExecStart of ${droplet} uses a systemd % specifier: only %% is supported`);
  if (execStart.includes("${")) throw new Error(`ExecStart of ${droplet} uses systemd \${VAR} expansion: the twin supports none`);
  const words: string[] = [];
  const word = /\s*(?:'([^']*)'|"((?:[^"\\]|\\.)*)"|([^\s'"]+))(?=\s|$)/gy;
  let match: RegExpExecArray | null;
  while (word.lastIndex < text.length && (match = word.exec(text)) !== null) {
    const [, single, double, bare] = match;
    words.push((single ?? double?.replace(/\\(.)/g, "$1") ?? bare).replace(/%%/g, "%"));
  }
  if (word.lastIndex < text.length || words.length === 0) {
    throw new Error(`ExecStart of ${droplet} cannot be split into words: ${JSON.stringify(execStart)}`);
  }
  return words;
}

/**
 * Puts `directories.get(mountPoint)` where a working file names a mount point (the path itself or
 * anything below it): the twin's only substitution besides Terraform references.
 */
export function substituteMountPoints(files: readonly CloudFile[], directories: ReadonlyMap<string, string>): CloudFile[] {
  return files.map((file) => {
    let content = file.content;
    for (const [mountPoint, directory] of directories) {
      const escaped = mountPoint.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      // A function, so that `$&` or `$1` in the directory is not read as a replacement pattern.
      content = content.replace(new RegExp(`(?<![\\w./-])${escaped}(?![\\w.-])`, "g"), () => directory);
    }
    return { ...file, content };
  });
}

/** Client credentials from the top-level `authorization { ... }` block of a nats-server.conf. */
export function clientCredentials(conf: string): Credentials {
  const block = /^authorization\s*\{([\s\S]*?)^\}/m.exec(conf)?.[1];
  if (block === undefined) return {};
  const value = (key: string): string | undefined => new RegExp(`^\\s*${key}\\s*[:=]\\s*"([^"]*)"`, "m").exec(block)?.[1];
  return Object.fromEntries(
    (["token", "user", "password"] as const).flatMap((key) => {
      const found = value(key);
      return found === undefined ? [] : [[key, found]];
    }),
  );
}
