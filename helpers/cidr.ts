import * as ipaddr from "ipaddr.js";

/**
 * One address block, read by ipaddr.js. The single place that reads CIDRs: construct
 * validation, the NATS-001 policy rule and plan review all call {@link parseCidr}, so they
 * cannot disagree about what a block covers.
 */
export interface CidrBlock {
  /** 4 or 6. An IPv4-mapped IPv6 block (`::ffff:0:0/96`) is the IPv4 block it maps. */
  readonly family: 4 | 6;
  /** First and last address of the block, as numbers. */
  readonly first: bigint;
  readonly last: bigint;
  /** The block in canonical form, e.g. `203.0.113.0/24`. */
  readonly network: string;
  /** True when the address has bits set below the prefix (`203.0.113.5/24`). */
  readonly hostBitsSet: boolean;
  /** The IPv6 zone id (`fe80::1%eth0`), which has no meaning in a firewall. */
  readonly zoneId?: string;
  /** True when the block is not written the usual way: `127.1`, `0x7f.0.0.1`, a prefix `/024`. */
  readonly unusualSpelling: boolean;
  /**
   * True for the unspecified address written without a prefix length (`0.0.0.0`, `::`): no host
   * sends from it, so it was most likely meant as "anywhere", which is `0.0.0.0/0` or `::/0`.
   */
  readonly bareUnspecified: boolean;
}

const BITS = { 4: 32, 6: 128 } as const;

/** Reads `text` (`address` or `address/prefix`); undefined when it is not an address block. */
export function parseCidr(text: string): CidrBlock | undefined {
  const [written, prefixText, ...rest] = text.trim().split("/");
  // ipaddr.js reads the deprecated IPv4-compatible `::a.b.c.d` as IPv4-mapped `::ffff:a.b.c.d`;
  // RFC 4291 says it is `::` with the IPv4 address in the last 32 bits (`::0.0.0.0/96` is `::/96`).
  const address = /^::\d+\.\d+\.\d+\.\d+(%.*)?$/.test(written) ? `::0:${written.slice(2)}` : written;
  if (rest.length > 0 || !ipaddr.isValid(address)) return undefined;
  let ip = ipaddr.parse(address);
  let bits: number = ip.kind() === "ipv4" ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  let prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefix > bits) return undefined;
  const zoneId = ip.kind() === "ipv6" ? (ip as ipaddr.IPv6).zoneId : undefined;
  const unusualSpelling = (ip.kind() === "ipv4" && !ipaddr.IPv4.isValidFourPartDecimal(address)) || /^0\d/.test(prefixText ?? "");
  if (ip.kind() === "ipv6" && (ip as ipaddr.IPv6).isIPv4MappedAddress() && prefix >= 96) {
    ip = (ip as ipaddr.IPv6).toIPv4Address();
    prefix -= 96;
    bits = 32;
  }
  const family = bits === 32 ? 4 : 6;
  const value = ip.toByteArray().reduce((sum, byte) => (sum << 8n) | BigInt(byte), 0n);
  const hostMask = (1n << BigInt(bits - prefix)) - 1n;
  const first = value & ~hostMask;
  const networkAddress = ipaddr.fromByteArray(toBytes(first, bits / 8)).toString();
  return {
    family,
    first,
    last: first | hostMask,
    network: `${networkAddress}/${prefix}`,
    hostBitsSet: (value & hostMask) !== 0n,
    zoneId,
    unusualSpelling,
    bareUnspecified: prefixText === undefined && value === 0n,
  };
}

function toBytes(value: bigint, length: number): number[] {
  return Array.from({ length }, (_, i) => Number((value >> BigInt(8 * (length - 1 - i))) & 0xffn));
}

/** True for a `${...}` Terraform reference or expression, which only Terraform can resolve. */
function isExpression(source: string): boolean {
  return source.includes("${");
}

/**
 * What "the whole internet" is, per family: every unicast address that is globally reachable.
 * From the IANA registries, read 2026-12-06:
 * - IPv4: the Special-Purpose Address Registry (last updated 2020-09-04), its blocks that are
 *   not "Globally Reachable"; the multicast 224.0.0.0/4 of the IPv4 Address Space registry.
 * - IPv6: the Address Space registry's only global unicast block, 2000::/3 (everything else is
 *   reserved, unique local, link local or multicast), without the blocks of the Special-Purpose
 *   Address Registry (last updated 2024-10-22) in it that are not "Globally Reachable".
 * `exceptions` are the registries' globally reachable blocks inside those (192.0.0.9/32 inside
 * 192.0.0.0/24). A firewall source list that covers all of one family's internet is open to the
 * world even when it leaves the rest out (`2000::/3`; `0.0.0.0/1, 128.0.0.0/2, 192.0.0.0/3`).
 */
export const NOT_THE_INTERNET: Readonly<Record<4 | 6, { readonly blocks: readonly string[]; readonly exceptions: readonly string[] }>> = {
  4: {
    blocks: [
      "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24",
      "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    ],
    exceptions: ["192.0.0.9/32", "192.0.0.10/32"],
  },
  6: {
    blocks: ["::/3", "4000::/2", "8000::/1", "2001::/23", "2001:db8::/32", "3fff::/20"],
    exceptions: ["2001:1::1/128", "2001:1::2/128", "2001:1::3/128", "2001:3::/32", "2001:4:112::/48", "2001:20::/28", "2001:30::/28"],
  },
};

/** An inclusive range of addresses, as numbers. */
type Interval = readonly [first: bigint, last: bigint];

function intervalOf(text: string): Interval {
  const block = parseCidr(text) as CidrBlock;
  return [block.first, block.last];
}

/** The intervals sorted and merged where they touch or overlap. */
function merged(intervals: readonly Interval[]): Interval[] {
  const out: [bigint, bigint][] = [];
  for (const [first, last] of [...intervals].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    const previous = out[out.length - 1];
    if (previous !== undefined && first <= previous[1] + 1n) previous[1] = last > previous[1] ? last : previous[1];
    else out.push([first, last]);
  }
  return out;
}

/** `from` without the addresses of `cut`. */
function without(from: readonly Interval[], cut: readonly Interval[]): Interval[] {
  return from.flatMap(([first, last]) => {
    let pieces: Interval[] = [[first, last]];
    for (const [cutFirst, cutLast] of cut) {
      pieces = pieces.flatMap(([a, b]): Interval[] => {
        if (cutLast < a || cutFirst > b) return [[a, b]];
        return [...(cutFirst > a ? [[a, cutFirst - 1n] as const] : []), ...(cutLast < b ? [[cutLast + 1n, b] as const] : [])];
      });
    }
    return pieces;
  });
}

/** The internet of `family` (see NOT_THE_INTERNET) as merged intervals. */
function internetOf(family: 4 | 6): Interval[] {
  const { blocks, exceptions } = NOT_THE_INTERNET[family];
  const everything: Interval = [0n, (1n << BigInt(BITS[family])) - 1n];
  return merged([...without([everything], blocks.map(intervalOf)), ...exceptions.map(intervalOf)]);
}

const INTERNET = { 4: internetOf(4), 6: internetOf(6) } as const;

/**
 * The sources of one firewall rule that open it to the whole internet: every block of a
 * family whose blocks together cover all of that family's internet (see NOT_THE_INTERNET:
 * `0.0.0.0/0`, `::0/0`, `1.2.3.4/0`, `::ffff:0:0/96`, `2000::/3`, or `0.0.0.0/1` with
 * `128.0.0.0/1`), and every literal that is not an address block at all or is a bare `0.0.0.0`
 * or `::` (it cannot be judged, so it is treated as open). Empty when the rule is not open to
 * the world. Terraform references are left to Terraform.
 */
export function worldOpenSources(sources: readonly string[]): string[] {
  const open: string[] = [];
  const byFamily = new Map<4 | 6, { source: string; block: CidrBlock }[]>([[4, []], [6, []]]);
  for (const source of sources) {
    if (isExpression(source)) continue;
    const block = parseCidr(source);
    if (block === undefined || block.bareUnspecified) open.push(source);
    else byFamily.get(block.family)?.push({ source, block });
  }
  for (const [family, blocks] of byFamily) {
    if (blocks.length > 0 && coversInternet(blocks.map((b) => b.block), family)) open.push(...blocks.map((b) => b.source));
  }
  return sources.filter((source) => open.includes(source));
}

/** True when the blocks together cover every globally reachable unicast address of `family`. */
function coversInternet(blocks: readonly CidrBlock[], family: 4 | 6): boolean {
  const covered = merged(blocks.map((block): Interval => [block.first, block.last]));
  return INTERNET[family].every(([first, last]) => covered.some(([a, b]) => a <= first && last <= b));
}
