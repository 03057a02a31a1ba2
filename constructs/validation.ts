import { isIP } from "node:net";
import { Token } from "cdktf";

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
    if (this.messages.length === 0) return;
    if (this.messages.length === 1) throw new Error(`${scope}: ${this.messages[0]}`);
    throw new Error(`${scope}: ${this.messages.length} problems:\n- ${this.messages.join("\n- ")}`);
  }
}

/** True when the value can be judged now (not a token resolved at synth or apply). */
export function isKnown(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === "string" || typeof value === "number") return !Token.isUnresolved(value);
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

/** A nats-server release number X.Y.Z (no "v", no leading zeros, no pre-release) in NATS_VERSION_RANGE. */
export function natsVersion(name: string, value: string | undefined): string | undefined {
  if (!isKnown(value)) return undefined;
  const match = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/.exec(value as string);
  if (match === null) {
    return `${name} ${JSON.stringify(value)} is not valid: expected a nats-server release number X.Y.Z from ${NATS_VERSION_RANGE.text}, such as 2.15.1`;
  }
  const [major, minor] = [Number(match[1]), Number(match[2])];
  const { min, below } = NATS_VERSION_RANGE;
  if ((major > min[0] || (major === min[0] && minor >= min[1])) && major < below[0]) return undefined;
  return `${name} ${JSON.stringify(value)} is not supported: expected a nats-server release from ${NATS_VERSION_RANGE.text}`;
}

/** An IPv4 or IPv6 address, optionally with a prefix length that fits its family. */
export function cidr(name: string, value: string | undefined): string | undefined {
  if (!isKnown(value)) return undefined;
  const [address, prefix, ...rest] = (value as string).split("/");
  const family = isIP(address);
  const maxPrefix = family === 6 ? 128 : 32;
  const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= maxPrefix);
  if (family !== 0 && prefixOk && rest.length === 0) return undefined;
  return `${name} ${JSON.stringify(value)} is not valid: expected an IPv4 or IPv6 address or CIDR block such as 203.0.113.0/24`;
}
