import { parse } from "yaml";
import { addressesOf, referencesIn } from "./references";
import { Plan, Resource, resourcesOfType, strings, text } from "../helpers/tf-json";

/** The Terraform type of a NATS node. */
export const DROPLET = "digitalocean_droplet";
const LOAD_BALANCER = "digitalocean_loadbalancer";

/** One NATS node as the plan describes it. */
export interface NodeInfo {
  readonly address: string;
  /** Droplet name (also the nats-server name). */
  readonly name: string;
  readonly size?: string;
  readonly region?: string;
  readonly image?: string;
  /** nats-server version parsed from user_data, `apt` for the distribution package, undefined if neither is found. */
  readonly natsVersion?: string;
  /** Addresses of the other droplets this node's user_data routes to, directly or through a load balancer. */
  readonly routesTo: readonly string[];
  /** Addresses of the load balancers this node routes through (the seed load balancer). */
  readonly routesThrough: readonly string[];
  /** True when every other node routes to this one. */
  readonly isSeed: boolean;
  /** TLS on each listener nats-server opens. */
  readonly tls: ListenerTls;
}

/** TLS per listener: `-` when the listener is not opened. */
export interface ListenerTls {
  readonly client: "on" | "off";
  readonly routes: "mutual" | "on" | "off" | "-";
  readonly monitor: "off" | "-";
}

const INSTALL_METHOD = /^\s*method="([^"]+)"/m;
const PINNED_VERSION = /^\s*version="([^"]+)"/m;
const RELEASE_URL = /nats-server\/releases\/download\/v(\d+\.\d+\.\d+)/;

/** The droplets of a plan, with their route targets and the seed marked. */
export function describeNodes(plan: Plan): NodeInfo[] {
  const known = addressesOf(plan);
  const droplets = resourcesOfType(plan, DROPLET);
  const balancers = resourcesOfType(plan, LOAD_BALANCER);
  const targets = new Map(droplets.map((droplet) => [droplet.address, routeTargets(droplet, known, droplets, balancers)]));
  const routes = new Map([...targets].map(([address, target]) => [address, target.droplets]));
  return droplets.map((droplet) => ({
    address: droplet.address,
    name: text(droplet.body, "name") ?? droplet.name,
    size: text(droplet.body, "size"),
    region: text(droplet.body, "region"),
    image: text(droplet.body, "image"),
    natsVersion: natsVersionOf(text(droplet.body, "user_data") ?? ""),
    routesTo: routes.get(droplet.address) ?? [],
    routesThrough: targets.get(droplet.address)?.balancers ?? [],
    isSeed: isSeed(droplet.address, routes),
    tls: serverSettings(text(droplet.body, "user_data") ?? "").tls,
  }));
}

/** How the nats-server a cloud-init document starts is set up, from its command line and nats-server.conf. */
export interface ServerSettings {
  /** TLS on each listener. */
  readonly tls: ListenerTls;
  /** Whether it runs JetStream. */
  readonly jetstream: boolean;
}

/**
 * Reads the nats-server command line and nats-server.conf of a cloud-init document once, as
 * nats-server reads them.
 * - TLS: a top-level `tls {}` block (or `--tls` flags) for clients, a `tls {}` block inside
 *   `cluster {}` for routes (mutual with `verify: true`); the monitor (`-m`) is http.
 * - JetStream: `-js` or `--jetstream`, a `jetstream { … }` block (unless it says `enabled: false`),
 *   or a top-level `jetstream` of true, yes, on or enabled.
 */
export function serverSettings(userData: string): ServerSettings {
  const known = settingsRead.get(userData);
  if (known !== undefined) return known;
  const settings = readServerSettings(userData);
  if (settingsRead.size >= SETTINGS_KEPT) settingsRead.delete(settingsRead.keys().next().value as string);
  settingsRead.set(userData, settings);
  return settings;
}

/**
 * serverSettings' answers by user_data, the last SETTINGS_KEPT documents read. One review reads each
 * droplet's several times (its table, diagram and diff; the policy at every synthesis), and the
 * YAML parse is the costly part. The answers are frozen, so a caller cannot change another's.
 */
const settingsRead = new Map<string, ServerSettings>();
const SETTINGS_KEPT = 64;

function readServerSettings(userData: string): ServerSettings {
  const conf = withoutComments(serverConfigOf(userData));
  const commandLine = commandLineOf(userData) ?? "";
  const cluster = confBlock(conf, "cluster");
  const clusterTls = cluster === undefined ? undefined : confBlock(cluster, "tls");
  const clustered = cluster !== undefined || /--cluster(_advertise)? /.test(commandLine);
  const jetstreamBlock = confBlock(conf, "jetstream");
  return Object.freeze({
    tls: Object.freeze({
      client: confBlock(conf, "tls") !== undefined || /(^|\s)--tls/.test(commandLine) ? "on" : "off",
      routes: !clustered ? "-" : clusterTls === undefined ? "off" : /(^|[\s,;])verify\s*[:=]?\s*true\b/.test(clusterTls) ? "mutual" : "on",
      monitor: /(^|\s)(-m|--http_port) /.test(commandLine) ? "off" : "-",
    }),
    jetstream:
      /(^|\s)(-js|--jetstream)(\s|$)/.test(commandLine) ||
      (jetstreamBlock !== undefined
        ? !/(^|[\s,;])enabled?\s*[:=]?\s*(false|no|off)\b/.test(jetstreamBlock)
        : /^jetstream\s*[:=]?\s*"?(true|yes|on|enabled?)"?\s*[,;]?\s*$/im.test(conf)),
  });
}

/** The flags of the `nats-server -flag value …` command line in a cloud-init document; undefined when there is none. */
export function commandLineOf(userData: string): string | undefined {
  return /\bnats-server (-[^\n']*)/.exec(userData)?.[1];
}

/**
 * `conf` without its comments: `#` to the end of the line, and `//` after a space or at the start
 * of a line (not the `//` of an unquoted URL). Quoted strings are kept whole.
 */
function withoutComments(conf: string): string {
  return conf.replace(/("(?:[^"\\\n]|\\.)*"|'[^'\n]*')|(?:#|(?<=^|\s)\/\/)[^\n]*/g, (_comment, quoted: string | undefined) => quoted ?? "");
}

/**
 * The body of the first block `name { … }` at the outermost level of `conf` (nats-server also
 * accepts `name: {` and `name = {`), braces in quoted strings aside; undefined when there is none.
 */
function confBlock(conf: string, name: string): string | undefined {
  let depth = 0;
  let start: number | undefined;
  const tokens = /"(?:[^"\\\n]|\\.)*"|'[^'\n]*'|[{}]|(?<=^|[\s,;{])([A-Za-z_][\w-]*)\s*[:=]?\s*\{/g;
  for (let match = tokens.exec(conf); match !== null; match = tokens.exec(conf)) {
    if (match[1] !== undefined) {
      if (depth === 0 && start === undefined && match[1] === name) start = tokens.lastIndex;
      depth++;
    } else if (match[0] === "{") {
      depth++;
    } else if (match[0] === "}") {
      depth--;
      if (depth === 0 && start !== undefined) return conf.slice(start, match.index);
    }
  }
  return undefined;
}

/** The content of the nats-server.conf a cloud-init document writes, or "" when it writes none. */
export function serverConfigOf(userData: string): string {
  let config: unknown;
  try {
    config = parse(userData);
  } catch {
    return "";
  }
  const files = (config as { write_files?: { path?: unknown; content?: unknown }[] } | null)?.write_files;
  const file = Array.isArray(files) ? files.find((f) => typeof f.path === "string" && f.path.endsWith("/nats-server.conf")) : undefined;
  return typeof file?.content === "string" ? file.content : "";
}

/**
 * The nats-server version a cloud-init document installs: the install script's pinned
 * `version="X"` (or a release download URL), or `apt` when it installs the distribution package.
 */
export function natsVersionOf(userData: string): string | undefined {
  if (INSTALL_METHOD.exec(userData)?.[1] === "apt") {
    return "apt";
  }
  return PINNED_VERSION.exec(userData)?.[1] ?? RELEASE_URL.exec(userData)?.[1];
}

/**
 * `userData` with its install script pinned to `version` instead (what a synthesis with that
 * version would install): lets the twin boot a version a new synthesis refuses.
 */
export function withNatsVersion(userData: string, version: string): string {
  if (natsVersionOf(userData) === undefined || !PINNED_VERSION.test(userData)) throw new Error("user_data pins no nats-server version to replace");
  return userData.replace(new RegExp(PINNED_VERSION.source, "gm"), (line, old: string) => line.replace(`"${old}"`, `"${version}"`));
}

/**
 * The droplets `droplet`'s user_data refers to, directly or through a load balancer (the
 * droplets carrying its droplet_tag), and those load balancers.
 */
function routeTargets(droplet: Resource, known: ReadonlySet<string>, droplets: readonly Resource[], balancers: readonly Resource[]): { droplets: string[]; balancers: string[] } {
  const referenced = referencesIn(droplet.body.user_data, known).map((reference) => reference.target);
  const through = balancers.filter((lb) => referenced.includes(lb.address));
  const tagged = through.flatMap((lb) => droplets.filter((other) => strings(other.body, "tags").includes(text(lb.body, "droplet_tag") ?? "")).map((other) => other.address));
  const targets = [...referenced.filter((target) => target.startsWith(`${DROPLET}.`)), ...tagged].filter((target) => target !== droplet.address);
  return { droplets: [...new Set(targets)], balancers: through.map((lb) => lb.address) };
}

function isSeed(address: string, routes: ReadonlyMap<string, readonly string[]>): boolean {
  const others = [...routes.keys()].filter((other) => other !== address);
  return others.length > 0 && others.every((other) => routes.get(other)?.includes(address));
}
