import { addressesOf, referencesIn } from "./references";
import { Plan, Resource, resourcesOfType, text } from "./tf-json";

/** The Terraform type of a NATS node. */
export const DROPLET = "digitalocean_droplet";

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
  /** Addresses of the other droplets this node's user_data routes to. */
  readonly routesTo: readonly string[];
  /** True when every other node routes to this one. */
  readonly isSeed: boolean;
}

const INSTALL_METHOD = /^\s*method="([^"]+)"/m;
const PINNED_VERSION = /^\s*version="([^"]+)"/m;
const RELEASE_URL = /nats-server\/releases\/download\/v(\d+\.\d+\.\d+)/;

/** The droplets of a plan, with their route targets and the seed marked. */
export function describeNodes(plan: Plan): NodeInfo[] {
  const known = addressesOf(plan);
  const droplets = resourcesOfType(plan, DROPLET);
  const routes = new Map(droplets.map((droplet) => [droplet.address, routeTargets(droplet, known)]));
  return droplets.map((droplet) => ({
    address: droplet.address,
    name: text(droplet.body, "name") ?? droplet.name,
    size: text(droplet.body, "size"),
    region: text(droplet.body, "region"),
    image: text(droplet.body, "image"),
    natsVersion: natsVersionOf(text(droplet.body, "user_data") ?? ""),
    routesTo: routes.get(droplet.address) ?? [],
    isSeed: isSeed(droplet.address, routes),
  }));
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

function routeTargets(droplet: Resource, known: ReadonlySet<string>): string[] {
  const targets = referencesIn(droplet.body.user_data, known)
    .map((reference) => reference.target)
    .filter((target) => target.startsWith(`${DROPLET}.`) && target !== droplet.address);
  return [...new Set(targets)];
}

function isSeed(address: string, routes: ReadonlyMap<string, readonly string[]>): boolean {
  const others = [...routes.keys()].filter((other) => other !== address);
  return others.length > 0 && others.every((other) => routes.get(other)?.includes(address));
}
