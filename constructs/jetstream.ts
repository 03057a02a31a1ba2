import { JetStreamSettings, NodeJetStreamProps, VOLUME_FILESYSTEMS } from "./node-settings";
import { ValidationErrors, integerInRange, isKnown, oneOf } from "../facts/validation";

/**
 * The load balancer's health path with JetStream on. A plain `/healthz` fails while the cluster
 * has no meta leader (cold start, a leader election, a lost quorum), so it would take every
 * node out at once and gate each node's boot on the others. `js-enabled-only` answers 200 once
 * this server is ready for clients with JetStream enabled, and never asks for the meta leader
 * (measured on nats-server 2.15.1: a lone clustered node answers 503 on `/healthz` and 200 here).
 */
export const JETSTREAM_HEALTH_PATH = "/healthz?js-enabled-only=true";

/** Largest DigitalOcean volume, in GiB. */
export const MAX_VOLUME_GIB = 16384;

/** Share of the volume JetStream may fill: the rest is headroom for the filesystem's reserve and metadata and Raft snapshots. */
export const FILE_STORE_SHARE = 0.8;

/** Share of the droplet's memory JetStream's memory store may take: the server, its clients and the OS need the rest. */
export const MEMORY_STORE_SHARE = 0.25;

/** How a node runs JetStream: its JetStream and volume props, and the droplet size and name prefix they derive from (props of NatsNodesProps). */
export type JetStreamProps = NodeJetStreamProps & { readonly size?: string; readonly namePrefix?: string };

/** The memory of a droplet size slug in MiB, from the slug itself (`s-1vcpu-1gb`, `s-1vcpu-512mb-10gb`). */
export function dropletMemoryMib(size: string): number | undefined {
  const match = /-(\d+)(mb|gb)(?:-|$)/.exec(size);
  if (match === null) return undefined;
  return Number(match[1]) * (match[2] === "gb" ? 1024 : 1);
}

/** Settings with JetStream on, undefined with it off. Call {@link validateJetStreamProps} first. */
export function jetStreamSettings(props: JetStreamProps): JetStreamSettings | undefined {
  if (!(props.jetstream ?? true)) return undefined;
  const volumeSizeGib = props.volumeSizeGib ?? 10;
  const memoryMib = dropletMemoryMib(props.size ?? "s-1vcpu-1gb");
  return {
    volumeSizeGib,
    filesystem: props.volumeFilesystem ?? "ext4",
    maxFileStoreMib: props.maxFileStoreGib !== undefined ? props.maxFileStoreGib * 1024 : Math.floor(volumeSizeGib * 1024 * FILE_STORE_SHARE),
    maxMemoryStoreMib: props.maxMemoryStoreMib ?? (memoryMib === undefined ? undefined : Math.floor(memoryMib * MEMORY_STORE_SHARE)),
    protectVolumes: props.protectVolumes ?? false,
  };
}

/** A warning for volume props set while JetStream is off, which have no effect. */
export function unusedVolumePropsWarning(props: JetStreamProps): string | undefined {
  if (props.jetstream ?? true) return undefined;
  const volumeProps = ["volumeSizeGib", "volumeFilesystem", "maxFileStoreGib", "maxMemoryStoreMib", "protectVolumes"] as const;
  const set = volumeProps.filter((name) => props[name] !== undefined);
  return set.length === 0 ? undefined : `${set.join(", ")} ${set.length === 1 ? "has" : "have"} no effect with jetstream off: no volumes are created`;
}

/** Adds every problem of the JetStream and volume props to `errors` (none with JetStream off). */
export function validateJetStreamProps(props: JetStreamProps, errors: ValidationErrors): void {
  if (!(props.jetstream ?? true)) return;
  errors.add(integerInRange("volumeSizeGib", props.volumeSizeGib, 1, MAX_VOLUME_GIB, " (digitalocean's volume sizes)"));
  errors.add(oneOf("volumeFilesystem", props.volumeFilesystem, VOLUME_FILESYSTEMS));
  errors.add(integerInRange("maxFileStoreGib", props.maxFileStoreGib, 1, MAX_VOLUME_GIB));
  const size = props.volumeSizeGib ?? 10;
  const store = props.maxFileStoreGib;
  if (isKnown(store) && isKnown(size) && Number.isInteger(store) && Number.isInteger(size) && (store as number) > size * FILE_STORE_SHARE) {
    const needed = Math.ceil((store as number) / FILE_STORE_SHARE);
    errors.add(
      `volumeSizeGib ${size} is smaller than maxFileStoreGib ${store} needs: jetstream may fill ${FILE_STORE_SHARE * 100}% of the volume, ` +
        `the rest is headroom for the filesystem and raft snapshots; use volumeSizeGib ${needed} or more, or a smaller maxFileStoreGib`,
    );
  }
  const prefix = props.namePrefix;
  errors.check(
    isKnown(prefix) && !/^[a-z]/.test(prefix as string),
    `namePrefix ${JSON.stringify(prefix)} cannot name volumes: a digitalocean volume name must begin with a letter`,
  );
  const sizeSlug = props.size ?? "s-1vcpu-1gb";
  const memory = isKnown(sizeSlug) ? dropletMemoryMib(sizeSlug) : undefined;
  if (props.maxMemoryStoreMib === undefined) {
    errors.check(
      isKnown(sizeSlug) && memory === undefined,
      `size ${JSON.stringify(sizeSlug)} does not name its memory (like s-1vcpu-1gb does): set maxMemoryStoreMib for jetstream's memory store`,
    );
  } else {
    const max = memory === undefined ? 1024 * 1024 : Math.floor(memory * 0.75);
    errors.add(integerInRange("maxMemoryStoreMib", props.maxMemoryStoreMib, 1, max, memory === undefined ? "" : ` (75% of the ${memory} MiB of ${sizeSlug})`));
  }
}
