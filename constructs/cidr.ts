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
}

const BITS = { 4: 32, 6: 128 } as const;

/** Reads `text` (`address` or `address/prefix`); undefined when it is not an address block. */
export function parseCidr(text: string): CidrBlock | undefined {
  const [address, prefixText, ...rest] = text.trim().split("/");
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
 * The sources of one firewall rule that open it to the whole internet: every block of a
 * family whose blocks together cover all of it (`0.0.0.0/0`, `::0/0`, `1.2.3.4/0`,
 * `::ffff:0:0/96`, or `0.0.0.0/1` with `128.0.0.0/1`), and every literal that is not an
 * address block at all (it cannot be judged, so it is treated as open). Empty when the rule
 * is not open to the world. Terraform references are left to Terraform.
 */
export function worldOpenSources(sources: readonly string[]): string[] {
  const open: string[] = [];
  const byFamily = new Map<4 | 6, { source: string; block: CidrBlock }[]>([[4, []], [6, []]]);
  for (const source of sources) {
    if (isExpression(source)) continue;
    const block = parseCidr(source);
    if (block === undefined) open.push(source);
    else byFamily.get(block.family)?.push({ source, block });
  }
  for (const [family, blocks] of byFamily) {
    if (coversAll(blocks.map((b) => b.block), family)) open.push(...blocks.map((b) => b.source));
  }
  return sources.filter((source) => open.includes(source));
}

/** True when the blocks together cover every address of `family`. */
function coversAll(blocks: readonly CidrBlock[], family: 4 | 6): boolean {
  let next = 0n;
  for (const block of [...blocks].sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0))) {
    if (block.first > next) return false;
    if (block.last + 1n > next) next = block.last + 1n;
  }
  return next === 1n << BigInt(BITS[family]);
}
