import { Token, Tokenization } from "cdktf";
import { parseCidr } from "../helpers/cidr";
import { NATS_RELEASES, natsRelease } from "./nats-releases";

/**
 * Collects every problem in a configuration so that one synth reports them all,
 * then throws a single error listing them. Unresolved tokens are never judged.
 */
export class ValidationErrors {
  private readonly messages: string[] = [];

  /** Records `message` when `failed` is true. */
  public check(failed: boolean, message: string): void {
    if (failed) this.messages.push(message);
  }

  public add(message: string | undefined): void {
    if (message !== undefined) this.messages.push(message);
  }

  public get count(): number {
    return this.messages.length;
  }

  public throwIfAny(scope: string): void {
    if (this.messages.length > 0) throw new ValidationError(scope, this.messages);
  }
}

/** A configuration with problems: a message for each, so that an app can report them all together. */
export class ValidationError extends Error {
  constructor(
    public readonly scope: string,
    public readonly problems: readonly string[],
  ) {
    super(problems.length === 1 ? `${scope}: ${problems[0]}` : `${scope}: ${problems.length} problems:\n- ${problems.join("\n- ")}`);
    this.name = "ValidationError";
  }
}

/**
 * True when the value can be judged now. Only a value that is one whole token, a reference
 * the code made (a variable, another resource's attribute), is left to Terraform; text with
 * a token inside it is judged like any other text, and fails every pattern. Settings typed
 * by a user never reach this point with a token: readStackSettings rejects them.
 */
export function isKnown(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === "number") return !Token.isUnresolved(value);
  if (typeof value === "string") {
    const fragments = Tokenization.reverseString(value);
    return !(fragments.length === 1 && fragments.firstToken !== undefined);
  }
  return true;
}

export function integerInRange(name: string, value: number | undefined, min: number, max: number, why = ""): string | undefined {
  if (!isKnown(value)) return undefined;
  const v = value as number;
  if (Number.isInteger(v) && v >= min && v <= max) return undefined;
  return `${name} must be an integer from ${min} to ${max}${why}, got ${v}`;
}

export function port(name: string, value: number | undefined): string | undefined {
  return integerInRange(name, value, 1, 65535);
}

/**
 * First port an unprivileged process may bind: Linux reserves the ones below for root or
 * CAP_NET_BIND_SERVICE (`net.ipv4.ip_unprivileged_port_start`, 1024 on Ubuntu 24.04).
 */
export const FIRST_UNPRIVILEGED_PORT = 1024;

/**
 * A port nats-server listens on. The unit runs it as the `nats` user with NoNewPrivileges and
 * no capabilities, so it cannot bind a port below 1024 ("bind: permission denied" at boot).
 * Granting CAP_NET_BIND_SERVICE instead would let a compromised server bind any low port;
 * clients still reach a low port through the load balancer (NatsCluster's loadBalancerClientPort).
 */
export function nodePort(name: string, value: number | undefined, hint = ""): string | undefined {
  const why = ` (nats-server runs as an unprivileged user, which cannot bind ports below ${FIRST_UNPRIVILEGED_PORT}${hint})`;
  return integerInRange(name, value, FIRST_UNPRIVILEGED_PORT, 65535, why);
}

/** What nodePort adds for the client port: the way to give clients a port below 1024. */
export const LOW_CLIENT_PORT_HINT = "; clients can still connect to a lower port of the load balancer: loadBalancerClientPort, …_LOAD_BALANCER_CLIENT_PORT";

export function matches(name: string, value: string | undefined, pattern: RegExp, allowed: string): string | undefined {
  if (!isKnown(value)) return undefined;
  if (pattern.test(value as string)) return undefined;
  return `${name} ${JSON.stringify(value)} is not valid: expected ${allowed}`;
}

export function oneOf<T extends string>(name: string, value: T | undefined, allowed: readonly T[]): string | undefined {
  if (!isKnown(value)) return undefined;
  if (allowed.includes(value as T)) return undefined;
  return `${name} ${JSON.stringify(value)} is not allowed: expected one of ${allowed.join(", ")}`;
}

/** Reports every pair of named ports that share a number. */
export function distinctPorts(ports: Record<string, number | undefined>): string[] {
  const seen = new Map<number, string>();
  const problems: string[] = [];
  for (const [name, value] of Object.entries(ports)) {
    if (!isKnown(value)) continue;
    const other = seen.get(value as number);
    if (other !== undefined) {
      problems.push(`${name} ${value} collides with ${other}: every port must be different`);
    } else {
      seen.set(value as number, name);
    }
  }
  return problems;
}

/**
 * Slug and name rules, each with a plain description for error messages. DigitalOcean's name
 * rules, read 2026-12-06:
 * - tag: terraform-provider-digitalocean `digitalocean/tag/tags.go` ValidateTag (commit 401992a,
 *   2026-08-06); the provider compares tags ignoring case.
 * - firewallName: the API reference for firewalls (`name`: begins with a letter or digit, then
 *   letters, digits, periods or dashes); it gives no length, 255 is this project's bound.
 * - loadBalancerName: the API reference gives no rule; a lowercase host-name-like label of up to
 *   64 characters is what the control panel accepts and stricter than anything documented.
 * - hostname (the name prefix of droplets, which become host names): lowercase letters, digits
 *   and inner dashes, at most 52, so that with validateJetStreamProps' leading letter the volume
 *   names `<prefix>-<i>-data` meet the volume rule of the provider's docs (lowercase letters,
 *   digits and dashes, at most 64, beginning with a letter).
 */
export const PATTERNS = {
  region: { pattern: /^[a-z]{3}[1-9]$/, allowed: "a region slug such as nyc3, fra1 or blr1" },
  image: { pattern: /^(?:[a-z][a-z0-9]*(?:[-.][a-z0-9]+)*|[1-9][0-9]*)$/, allowed: "an image slug such as ubuntu-24-04-x64 or a numeric image id" },
  tag: { pattern: /^[A-Za-z0-9:_-]{1,255}$/, allowed: "1 to 255 letters, digits, colons, dashes or underscores" },
  hostname: { pattern: /^[a-z0-9](?:[a-z0-9-]{0,50}[a-z0-9])?$/, allowed: "lowercase letters, digits and inner dashes, at most 52 characters" },
  clusterName: { pattern: /^[A-Za-z0-9_-]{1,64}$/, allowed: "1 to 64 letters, digits, dashes or underscores" },
  loadBalancerName: { pattern: /^[a-z0-9](?:[a-z0-9.-]{0,62}[a-z0-9])?$/, allowed: "lowercase letters, digits, dots and inner dashes, at most 64 characters" },
  firewallName: { pattern: /^[A-Za-z0-9][A-Za-z0-9.-]{0,254}$/, allowed: "a letter or digit, then letters, digits, dots or dashes, at most 255 characters" },
} as const;

export function pattern(name: string, value: string | undefined, rule: keyof typeof PATTERNS): string | undefined {
  return matches(name, value, PATTERNS[rule].pattern, PATTERNS[rule].allowed);
}

/**
 * DigitalOcean's droplet size slugs, as `doctl compute size list` printed them (the list
 * published with the polymathrobotics/doctl image, read 2026-12-06): `<family>-<n>vcpu-<memory>`
 * with an optional disk and CPU maker (`s-1vcpu-512mb-10gb`, `s-2vcpu-4gb-120gb-intel`,
 * `so1_5-2vcpu-16gb`), and the CPU-optimized `c-<n>` (`c-2`, `c-60-intel`), whose memory the slug
 * does not name. GPU sizes (`gpu-h100x1-80gb`) are left out: their slug names the GPU's memory,
 * not the droplet's, which the JetStream memory store is derived from.
 */
export const DROPLET_SIZES = {
  asOf: "2026-12-06",
  named: /^(?:s|c2|g|gd|m|m3|m6|so|so1_5)-([1-9]\d*)vcpu-([1-9]\d*)(mb|gb)(?:-[1-9]\d*gb)?(?:-(?:amd|intel))?$/,
  cpuOptimized: /^c-([1-9]\d*)(?:-intel)?$/,
  vcpus: { min: 1, max: 60 },
  /** Memory in MiB: 512 MiB (s-1vcpu-512mb-10gb) to 384 GiB (m-48vcpu-384gb-intel). */
  memoryMib: { min: 512, max: 384 * 1024 },
  allowed: "a droplet size slug such as s-1vcpu-1gb, s-2vcpu-4gb-amd, c2-2vcpu-4gb or c-4 (gpu sizes are not supported)",
} as const;

/** The problem with a droplet size slug, if any: its shape, its vCPU count and its memory (see DROPLET_SIZES). */
export function dropletSize(name: string, value: string | undefined): string | undefined {
  if (!isKnown(value)) return undefined;
  const text = value as string;
  const { named, cpuOptimized, vcpus, memoryMib, allowed, asOf } = DROPLET_SIZES;
  const namedMatch = named.exec(text);
  const cpuMatch = cpuOptimized.exec(text);
  if (namedMatch === null && cpuMatch === null) return `${name} ${JSON.stringify(text)} is not valid: expected ${allowed}`;
  const cpus = (namedMatch ?? cpuMatch)?.[1] as string;
  const range = `digitalocean's sizes as of ${asOf}`;
  if (!(Number(cpus) >= vcpus.min && Number(cpus) <= vcpus.max)) {
    return `${name} ${JSON.stringify(text)} has ${cpus} vcpus: ${range} have ${vcpus.min} to ${vcpus.max}`;
  }
  const memory = namedMatch === null ? undefined : Number(namedMatch[2]) * (namedMatch[3] === "gb" ? 1024 : 1);
  if (memory !== undefined && !(memory >= memoryMib.min && memory <= memoryMib.max)) {
    return `${name} ${JSON.stringify(text)} names ${namedMatch?.[2]}${namedMatch?.[3]} of memory: ${range} have ${memoryMib.min} MiB to ${memoryMib.max / 1024} GiB`;
  }
  return undefined;
}

/**
 * nats-server lines the unit supports: from 2.11 (the oldest line nats-io maintains; it rejects
 * server names with spaces, answers `/healthz?js-server-only` without asking the meta leader and
 * exits 0 on SIGTERM) up to, not including, 3.0.
 */
export const NATS_VERSION_RANGE = { min: [2, 11, 0], below: [3, 0, 0], text: "2.11.0 up to (not including) 3.0.0" } as const;

/**
 * A nats-server release number X.Y.Z (no "v", no leading zeros, no pre-release) in NATS_VERSION_RANGE
 * and listed in NATS_RELEASES: only a release whose tarballs' SHA-256 the project carries can be installed.
 */
export function natsVersion(name: string, value: string | undefined): string | undefined {
  if (!isKnown(value)) return undefined;
  const listed = NATS_RELEASES.map((release) => release.version).join(", ");
  const match = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/.exec(value as string);
  if (match === null) {
    return `${name} ${JSON.stringify(value)} is not valid: expected a nats-server release number X.Y.Z from ${NATS_VERSION_RANGE.text}, one of ${listed}`;
  }
  const [major, minor] = [Number(match[1]), Number(match[2])];
  const { min, below } = NATS_VERSION_RANGE;
  if (!((major > min[0] || (major === min[0] && minor >= min[1])) && major < below[0])) {
    return `${name} ${JSON.stringify(value)} is not supported: expected a nats-server release from ${NATS_VERSION_RANGE.text}, one of ${listed}`;
  }
  if (natsRelease(value as string) !== undefined) return undefined;
  return `${name} ${JSON.stringify(value)} is not a release this project pins the checksums of: expected one of ${listed} (facts/nats-releases.ts)`;
}

/**
 * A release mirror's base URL, nats-io's layout below it: https (the pinned SHA-256 keeps what is
 * installed safe, but a mirror in plain http would still let anyone on the path see and stall the
 * download), a host, an optional port and path, no credentials, query or fragment, no trailing
 * slash, and only characters that need no quoting in the install script's shell.
 */
export function releaseUrl(name: string, value: string | undefined): string | undefined {
  if (!isKnown(value)) return undefined;
  const text = value as string;
  const shape = /^https:\/\/[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?::([1-9]\d{0,4}))?(?:\/[A-Za-z0-9._~%-]+)*$/.exec(text);
  if (shape !== null && Number(shape[1] ?? 443) <= 65535) return undefined;
  return `${name} ${JSON.stringify(text)} is not valid: expected an https url without credentials, query or trailing slash, such as https://github.com/nats-io/nats-server/releases/download`;
}

/**
 * An IPv4 or IPv6 address, optionally with a prefix length that fits its family, read by
 * parseCidr (helpers/cidr.ts). A block with host bits set is rejected rather than
 * silently widened or narrowed: `203.0.113.5/24` may mean the network or the one address.
 */
export function cidr(name: string, value: string | undefined): string | undefined {
  if (!isKnown(value)) return undefined;
  const text = value as string;
  const block = parseCidr(text);
  if (block === undefined || block.unusualSpelling) {
    return `${name} ${JSON.stringify(text)} is not valid: expected an IPv4 or IPv6 address or CIDR block such as 203.0.113.0/24`;
  }
  if (block.bareUnspecified) {
    const everyone = block.family === 4 ? "0.0.0.0/0" : "::/0";
    return (
      `${name} ${JSON.stringify(text)} is the unspecified address without a prefix length, which no host sends from: ` +
      `write ${everyone} for every address, or your own addresses`
    );
  }
  if (block.zoneId !== undefined) {
    return `${name} ${JSON.stringify(text)} has a zone id (%${block.zoneId}), which means nothing to a cloud firewall: remove it`;
  }
  if (block.hostBitsSet) {
    const [address] = text.split("/");
    return (
      `${name} ${JSON.stringify(text)} has host bits set: write the network ${block.network}` +
      ` or the single address ${address}/${block.family === 4 ? 32 : 128}`
    );
  }
  return undefined;
}

/** Reports every entry of a list that repeats an earlier one, compared by `key`. */
export function duplicates(name: string, values: readonly string[] | undefined, key: (value: string) => string = (v) => v): string[] {
  const seen = new Map<string, number>();
  const problems: string[] = [];
  (values ?? []).forEach((value, i) => {
    if (!isKnown(value)) return;
    const earlier = seen.get(key(value));
    if (earlier !== undefined) problems.push(`${name}[${i}] ${JSON.stringify(value)} repeats ${name}[${earlier}]: list each one once`);
    else seen.set(key(value), i);
  });
  return problems;
}
