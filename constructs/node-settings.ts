// What the node's constructs share: its JetStream and volume settings, where the volume is
// mounted, and the route settings. The constructs that make a node (NatsNodes, NatsVolumes,
// NatsTls, NatsAuth) and its cloud-init all import them from here, and none from each other.

/** Filesystems DigitalOcean can put on a new volume (the provider's `initial_filesystem_type`). */
export type VolumeFilesystem = "ext4" | "xfs";
export const VOLUME_FILESYSTEMS: readonly VolumeFilesystem[] = ["ext4", "xfs"];

/** Where every node mounts its volume. The twin maps this path, and only this one, to a per-node directory. */
export const VOLUME_MOUNT_POINT = "/mnt/nats-data";

/** JetStream's `store_dir`: the volume itself. nats-server keeps its files in `<store_dir>/jetstream`, which the mount script hands to the nats user. */
export const JETSTREAM_STORE_DIR = VOLUME_MOUNT_POINT;

/** JetStream settings, resolved from the props and their defaults. */
export interface JetStreamSettings {
  readonly volumeSizeGib: number;
  readonly filesystem: VolumeFilesystem;
  /** JetStream `max_file_store` in MiB. */
  readonly maxFileStoreMib: number;
  /** JetStream `max_memory_store` in MiB; undefined when the droplet size is a reference (nats-server's default then applies). */
  readonly maxMemoryStoreMib?: number;
  readonly protectVolumes: boolean;
}

/** The name of node `index`'s volume (1-based); also the tail of its device path. */
export function volumeName(namePrefix: string, index: number): string {
  return `${namePrefix}-${index}-data`;
}

/** The device a volume appears as on its droplet. */
export function volumeDevice(name: string): string {
  return `/dev/disk/by-id/scsi-0DO_Volume_${name}`;
}

/** User and password of the cluster's route authorization. */
export interface RouteCredentials {
  readonly user: string;
  readonly password: string;
}

/**
 * A route a node lists to itself: nats-server resolves it to one of its own addresses and never
 * dials it. It makes a configured route where JetStream needs one (node 1, which routes to no
 * other node), and it is the name routes verify TLS by (ROUTE_TLS_NAME in nats-tls.ts).
 */
export const SELF_ROUTE_HOST = "localhost";

/** A node's JetStream store and its volume: the JetStream props of NatsNodesProps. */
export interface NodeJetStreamProps {
  /**
   * Runs JetStream (streams, key-value and object stores), each node with its store on its
   * own block-storage volume (`<namePrefix>-<i>-data`), attached at creation through the
   * droplet's `volume_ids` and mounted at boot. A replaced droplet gets the same volume back.
   * @default true
   */
  readonly jetstream?: boolean;
  /**
   * Size of each node's volume in GiB, 1–16384. DigitalOcean volumes only grow: a smaller
   * value later is refused by the provider.
   * @default 10
   */
  readonly volumeSizeGib?: number;
  /**
   * Filesystem created on a new volume; `initial_filesystem_type`, so changing it replaces
   * every volume and its data.
   * @default "ext4"
   */
  readonly volumeFilesystem?: VolumeFilesystem;
  /**
   * JetStream's file store limit per node (`max_file_store`), in GiB; at most 80% of the volume.
   * @default - 80% of volumeSizeGib: the rest is headroom for the filesystem and Raft snapshots
   */
  readonly maxFileStoreGib?: number;
  /**
   * JetStream's memory store limit per node (`max_memory_store`), in MiB; at most 75% of the
   * droplet's memory.
   * @default - a quarter of the droplet's memory, read from the size slug (256 MiB for s-1vcpu-1gb)
   */
  readonly maxMemoryStoreMib?: number;
  /**
   * Terraform's `prevent_destroy` on every volume: `cdktf destroy` (or a change that would
   * replace a volume) fails instead of deleting JetStream's data.
   * @default false - volumes are destroyed with the stack
   */
  readonly protectVolumes?: boolean;
}
