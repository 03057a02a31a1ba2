/** The CLI's and the library's default address base. */
export const DEFAULT_ADDRESS_BASE = "127.0.0.10";

/**
 * Loopback addresses: the load balancer gets `base`, node i (1-based) the last octet + i,
 * internal load balancer j (1-based) the last octet + nodes + j.
 */
export function assignAddresses(base: string, nodes: number, internal = 0): { lb: string; nodes: string[]; internal: string[] } {
  const octets = base.split(".").map(Number);
  const valid = octets.length === 4 && octets.every((octet) => Number.isInteger(octet) && octet >= 0 && octet <= 255) && octets[0] === 127;
  if (!valid) throw new Error(`address base ${JSON.stringify(base)} is not a loopback IPv4 address: expected 127.x.y.z`);
  const count = nodes + internal;
  if (octets[3] + count > 254) {
    const what = internal > 0 ? `${nodes} nodes and ${internal} internal load balancers` : `${nodes} nodes`;
    throw new Error(`address base ${base} leaves no room for ${what}: its last octet must be at most ${254 - count}`);
  }
  const at = (offset: number): string => [...octets.slice(0, 3), octets[3] + offset].join(".");
  return { lb: base, nodes: Array.from({ length: nodes }, (_unused, i) => at(i + 1)), internal: Array.from({ length: internal }, (_unused, j) => at(nodes + j + 1)) };
}
