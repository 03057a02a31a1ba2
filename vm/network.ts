import { execFileSync, spawnSync } from "node:child_process";

/**
 * The VMs' private network: a network namespace holding a bridge, one tap per VM, and the
 * addresses of everything DigitalOcean would provide (the metadata service, the load balancers)
 * and of the release mirror. Nothing is added to the host's own network.
 */
export interface VmNetwork {
  readonly namespace: string;
  /** The bridge's own address: the release mirror listens here. */
  readonly hostAddress: string;
  /** Tap device of VM `i` (0-based). */
  readonly taps: readonly string[];
  /** `ip netns exec <namespace>` followed by `argv`: runs a command inside the namespace. */
  inside(argv: readonly string[]): string[];
  /** Removes the namespace, and with it the bridge and the taps. */
  destroy(): void;
}

/** The DigitalOcean metadata service's address, only inside the namespace. */
export const METADATA_ADDRESS = "169.254.169.254";

/** Addresses inside the namespace: node i (0-based), the load balancers, the bridge. */
export const VM_ADDRESSES = {
  host: "10.10.0.1",
  loadBalancer: (j: number): string => `10.10.0.${2 + j}`,
  private: (i: number): string => `10.10.0.${11 + i}`,
  /** Droplets have a public address too; a documentation range (RFC 5737), never routed. */
  public: (i: number): string => `203.0.113.${11 + i}`,
  /** The link-local address each VM reaches the metadata service from (DigitalOcean's anchor network plays this role). */
  linkLocal: (i: number): string => `169.254.0.${11 + i}`,
  /** Prefix lengths of the three networks above. */
  prefix: { private: 24, public: 24, linkLocal: 16 },
} as const;

/** Most VMs one namespace holds: addresses 10.10.0.11 up to .250. */
export const MAX_VMS = 240;

/** Creates namespace `name` with its bridge and `vmCount` taps; removes what it made when a step fails. */
export function createNetwork(name: string, vmCount: number): VmNetwork {
  if (!/^[a-z0-9-]{1,32}$/.test(name)) throw new Error(`network namespace name ${JSON.stringify(name)} is not valid: expected up to 32 lowercase letters, digits or dashes`);
  if (!(Number.isInteger(vmCount) && vmCount >= 1 && vmCount <= MAX_VMS)) throw new Error(`vm count ${vmCount} is not valid: expected 1 to ${MAX_VMS}`);
  const ip = (...args: string[]): void => void execFileSync("ip", args, { stdio: "pipe" });
  ip("netns", "add", name);
  const network: VmNetwork = {
    namespace: name,
    hostAddress: VM_ADDRESSES.host,
    taps: Array.from({ length: vmCount }, (_unused, i) => `tap${i}`),
    inside: (argv) => ["ip", "netns", "exec", name, ...argv],
    destroy: () => void spawnSync("ip", ["netns", "del", name], { stdio: "ignore" }),
  };
  try {
    ip("-n", name, "link", "set", "lo", "up");
    ip("-n", name, "link", "add", "br0", "type", "bridge");
    for (const address of [`${VM_ADDRESSES.host}/24`, "203.0.113.1/24"]) ip("-n", name, "addr", "add", address, "dev", "br0");
    ip("-n", name, "link", "set", "br0", "up");
    for (const tap of network.taps) {
      ip("-n", name, "tuntap", "add", tap, "mode", "tap");
      ip("-n", name, "link", "set", tap, "master", "br0");
      ip("-n", name, "link", "set", tap, "up");
    }
    return network;
  } catch (error) {
    network.destroy();
    throw new Error(`could not set up network namespace ${name} (the VM twin runs as root: ip netns, bridges and taps): ${(error as Error).message}`);
  }
}

/**
 * Adds `address/<prefix>` to the bridge: a load balancer's address (where HAProxy listens), or the
 * metadata service's (until then a VM asking it gets "no route to host", as before the network is up).
 */
export function addAddress(network: VmNetwork, address: string, prefix = 32): void {
  execFileSync("ip", ["-n", network.namespace, "addr", "add", `${address}/${prefix}`, "dev", "br0"], { stdio: "pipe" });
}
