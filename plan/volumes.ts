import type { ResourceChange } from "./change";
import { DROPLET } from "./nodes";
import { referencesIn, addressesOf } from "./references";
import { Plan, isObject, num, resourcesOfType, text } from "../helpers/tf-json";

/** The Terraform type of a block-storage volume. */
export const VOLUME = "digitalocean_volume";

/** One block-storage volume as the plan describes it. */
export interface VolumeInfo {
  readonly address: string;
  readonly name: string;
  readonly region?: string;
  readonly sizeGib?: number;
  readonly filesystem?: string;
  /** `lifecycle.prevent_destroy`: Terraform refuses to destroy it. */
  readonly protected: boolean;
  /** Names of the droplets whose `volume_ids` attach it. */
  readonly attachedTo: readonly string[];
}

/** A volume a change would take JetStream's data from. */
export interface VolumeWarning {
  readonly name: string;
  /** Why: replaced or destroyed (data loss), or shrunk (refused by DigitalOcean). */
  readonly message: string;
}

/** The volumes of a plan, with the droplets that attach them. */
export function describeVolumes(plan: Plan): VolumeInfo[] {
  const known = addressesOf(plan);
  const droplets = resourcesOfType(plan, DROPLET);
  return resourcesOfType(plan, VOLUME).map((volume) => {
    const lifecycle = volume.body.lifecycle;
    return {
      address: volume.address,
      name: text(volume.body, "name") ?? volume.name,
      region: text(volume.body, "region"),
      sizeGib: num(volume.body, "size"),
      filesystem: text(volume.body, "initial_filesystem_type"),
      protected: isObject(lifecycle) && lifecycle.prevent_destroy === true,
      attachedTo: droplets
        .filter((droplet) => referencesIn(droplet.body.volume_ids, known).some((ref) => ref.target === volume.address))
        .map((droplet) => text(droplet.body, "name") ?? droplet.name),
    };
  });
}

/**
 * Volumes a change would destroy (replaced or removed: their JetStream data is lost) or shrink
 * (DigitalOcean volumes only grow: the provider refuses the plan).
 */
export function volumeWarnings(changes: readonly ResourceChange[], before: Plan, after: Plan): VolumeWarning[] {
  const sizes = (plan: Plan): Map<string, number | undefined> => new Map(describeVolumes(plan).map((volume) => [volume.address, volume.sizeGib]));
  const [old, next] = [sizes(before), sizes(after)];
  return changes
    .filter((change) => change.type === VOLUME)
    .flatMap((change): VolumeWarning[] => {
      if (change.action === "replace" || change.action === "remove") {
        const how = change.action === "replace" ? "replaced" : "destroyed";
        return [{ name: change.label, message: `volume \`${change.label}\` is ${how}: **its JetStream data is lost** (${change.reasons.join("; ") || "removed from the plan"})` }];
      }
      const [from, to] = [old.get(change.address), next.get(change.address)];
      if (from !== undefined && to !== undefined && to < from) {
        return [{ name: change.label, message: `volume \`${change.label}\` would shrink from ${from} to ${to} GiB: DigitalOcean volumes only grow, the provider refuses this plan` }];
      }
      return [];
    });
}
