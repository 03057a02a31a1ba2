import { Token, Tokenization } from "cdktf";
import { parseCidr } from "./cidr";
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

/** Slug and name rules, each with a plain description for error messages. */
export const PATTERNS = {
  region: { pattern: /^[a-z]{3}[1-9]$/, allowed: "a region slug such as nyc3, fra1 or blr1" },
  size: { pattern: /^[a-z0-9]+(?:[-_][a-z0-9]+)*$/, allowed: "a droplet size slug such as s-1vcpu-1gb" },
  image: { pattern: /^(?:[a-z][a-z0-9]*(?:[-.][a-z0-9]+)*|[1-9][0-9]*)$/, allowed: "an image slug such as ubuntu-24-04-x64 or a numeric image id" },
  tag: { pattern: /^[A-Za-z0-9:_-]{1,255}$/, allowed: "1 to 255 letters, digits, colons, dashes or underscores" },
  hostname: { pattern: /^[a-z0-9](?:[a-z0-9-]{0,50}[a-z0-9])?$/, allowed: "lowercase letters, digits and inner dashes, at most 52 characters" },
  clusterName: { pattern: /^[A-Za-z0-9_-]{1,64}$/, allowed: "1 to 64 letters, digits, dashes or underscores" },
} as const;

export function pattern(name: string, value: string | undefined, rule: keyof typeof PATTERNS): string | undefined {
  return matches(name, value, PATTERNS[rule].pattern, PATTERNS[rule].allowed);
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
  return `${name} ${JSON.stringify(value)} is not a release this project pins the checksums of: expected one of ${listed} (constructs/nats-releases.ts)`;
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
 * parseCidr (constructs/cidr.ts). A block with host bits set is rejected rather than
 * silently widened or narrowed: `203.0.113.5/24` may mean the network or the one address.
 */
export function cidr(name: string, value: string | undefined): string | undefined {
  if (!isKnown(value)) return undefined;
  const text = value as string;
  const block = parseCidr(text);
  if (block === undefined || block.unusualSpelling) {
    return `${name} ${JSON.stringify(text)} is not valid: expected an IPv4 or IPv6 address or CIDR block such as 203.0.113.0/24`;
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
