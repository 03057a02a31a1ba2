import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { VM_ADDRESSES } from "./network";
import { run } from "./image";

/** What one VM's NoCloud seed carries. */
export interface SeedProps {
  /** Droplet name: the instance's hostname. */
  readonly name: string;
  /** A new id per root disk: cloud-init runs its once-per-instance modules again, as on a replaced droplet. */
  readonly instanceId: string;
  /** 0-based VM index: its addresses (VM_ADDRESSES). */
  readonly index: number;
  readonly mac: string;
  /** The droplet's user_data, Terraform's references resolved. */
  readonly userData: string;
}

/**
 * Writes the NoCloud seed ISO (volume label `cidata`) for one VM into `dir`: meta-data with
 * `dsmode: net` (local mode would run bootcmd before the network, which DigitalOcean's
 * datasource does not), the user_data unchanged, and a network-config giving the VM the
 * addresses DigitalOcean's metadata would give a droplet (private, public, and the link-local
 * route to the metadata service).
 */
export async function writeSeed(dir: string, props: SeedProps): Promise<string> {
  const files = join(dir, "seed");
  mkdirSync(files, { recursive: true });
  writeFileSync(join(files, "meta-data"), stringify({ "instance-id": props.instanceId, "local-hostname": props.name, dsmode: "net" }));
  writeFileSync(join(files, "user-data"), props.userData);
  writeFileSync(join(files, "network-config"), stringify(networkConfig(props.index, props.mac)));
  const iso = join(dir, "seed.iso");
  await run("xorriso", ["-as", "mkisofs", "-quiet", "-output", iso, "-volid", "cidata", "-joliet", "-rock", join(files, "user-data"), join(files, "meta-data"), join(files, "network-config")], () => undefined);
  return iso;
}

/** Network config v2: one interface, matched by MAC, with the droplet's three addresses. */
export function networkConfig(index: number, mac: string): Record<string, unknown> {
  const { prefix } = VM_ADDRESSES;
  return {
    version: 2,
    ethernets: {
      eth0: {
        match: { macaddress: mac },
        "set-name": "eth0",
        addresses: [`${VM_ADDRESSES.private(index)}/${prefix.private}`, `${VM_ADDRESSES.public(index)}/${prefix.public}`, `${VM_ADDRESSES.linkLocal(index)}/${prefix.linkLocal}`],
      },
    },
  };
}

/** A locally administered MAC address for VM `index`. */
export function macAddress(index: number): string {
  return `52:54:00:0a:00:${(11 + index).toString(16).padStart(2, "0")}`;
}
