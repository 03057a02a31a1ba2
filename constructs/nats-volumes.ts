import { Volume } from "@cdktf/provider-digitalocean/lib/volume";
import { Construct } from "constructs";
import { JetStreamSettings, volumeName } from "./node-settings";

export interface NatsVolumesProps {
  readonly nodeCount: number;
  /** Volume i is `<namePrefix>-<i>-data`. */
  readonly namePrefix: string;
  /** Must be the droplets' region: a volume attaches only to droplets in its region. */
  readonly region: string;
  readonly settings: JetStreamSettings;
  /**
   * Tags on every volume, so that `npm run sweep` finds them by the cluster's tag. A tag
   * change is made in place: it never replaces a volume.
   * @default - none
   */
  readonly tags?: string[];
}

/**
 * One DigitalOcean block-storage volume per node, for its JetStream store. A volume outlives
 * its droplet: a replaced droplet gets the same volume (the droplet's `volume_ids`) and finds
 * its data. Volumes are destroyed with the stack unless `protectVolumes` sets Terraform's
 * `prevent_destroy`.
 */
export class NatsVolumes extends Construct {
  /** In node order. */
  public readonly volumes: Volume[] = [];

  constructor(scope: Construct, id: string, props: NatsVolumesProps) {
    super(scope, id);
    for (let i = 1; i <= props.nodeCount; i++) {
      // The construct ID is the volume's identity in Terraform state: never derive it from
      // anything that can change, or the volume and its data are replaced.
      this.volumes.push(
        new Volume(this, `volume-${i}`, {
          name: volumeName(props.namePrefix, i),
          region: props.region,
          size: props.settings.volumeSizeGib,
          initialFilesystemType: props.settings.filesystem,
          description: `JetStream store of NATS node ${props.namePrefix}-${i}`,
          tags: props.tags,
          lifecycle: props.settings.protectVolumes ? { preventDestroy: true } : undefined,
        }),
      );
    }
  }
}
