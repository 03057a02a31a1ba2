import { join } from "node:path";
import { LocalBackend, TerraformOutput, TerraformStack } from "cdktf";
import { DigitaloceanProvider } from "@cdktf/provider-digitalocean/lib/provider";
import { SpacesBucket } from "@cdktf/provider-digitalocean/lib/spaces-bucket";
import { SpacesKey } from "@cdktf/provider-digitalocean/lib/spaces-key";
import { Construct } from "constructs";
import { stateDirectory } from "./state-backend";

/** The id of the stack that creates the state bucket. */
export const STATE_BUCKET_STACK = "nats-state";

/** Props of a NatsStateBucketStack. */
export interface NatsStateBucketStackProps {
  /** The Spaces bucket that will hold the other stacks' state (validated by the stack that names it). */
  readonly bucket: string;
  /** Its Spaces region, e.g. `fra1`. */
  readonly region: string;
  /**
   * The directory of this stack's own, local state file.
   * @default - `terraform-state` in the working directory, like the other stacks' local state
   */
  readonly stateDirectory?: string;
}

/**
 * The Spaces bucket for the state of the other stacks, created before any of them moves there:
 * private, versioned (a bad write of the state can be rolled back to an earlier version), and
 * protected from `destroy`; with two keys scoped to it, `readwrite` for the people who deploy
 * and `read` for the pull-request plan. Its own state stays local: a stack cannot keep its
 * state in the bucket it creates, and it holds the two secret keys.
 */
export class NatsStateBucketStack extends TerraformStack {
  public readonly bucket: SpacesBucket;

  constructor(scope: Construct, id: string, props: NatsStateBucketStackProps) {
    super(scope, id);
    new LocalBackend(this, { path: join(stateDirectory(props), `terraform.${id}.tfstate`) });
    new DigitaloceanProvider(this, "digitalocean", {});
    this.bucket = new SpacesBucket(this, "bucket", {
      name: props.bucket,
      region: props.region,
      acl: "private",
      versioning: { enabled: true },
      // The state of every stack is in it: destroying it would orphan every cluster.
      lifecycle: { preventDestroy: true },
    });
    const keys = [
      { id: "deploy", permission: "readwrite", about: "for terraform apply: reads and writes the state and its lock file" },
      { id: "plan", permission: "read", about: "for the pull-request plan (terraform plan -lock=false): reads the state only" },
    ];
    for (const { id: keyId, permission, about } of keys) {
      const key = new SpacesKey(this, `${keyId}-key`, {
        name: `${props.bucket}-${keyId}`,
        grant: [{ bucket: this.bucket.name, permission }],
      });
      new TerraformOutput(this, `${keyId}_access_key_id`, { value: key.accessKey, description: `AWS_ACCESS_KEY_ID ${about}` });
      new TerraformOutput(this, `${keyId}_secret_access_key`, { value: key.secretKey, sensitive: true, description: `AWS_SECRET_ACCESS_KEY ${about}` });
    }
  }
}
