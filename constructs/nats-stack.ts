import { TerraformStack } from "cdktf";
import { DigitaloceanProvider } from "@cdktf/provider-digitalocean/lib/provider";
import { NullProvider } from "@cdktf/provider-null/lib/provider";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { Construct } from "constructs";
import { NatsCluster, NatsClusterProps } from "./nats-cluster";

/**
 * A Terraform stack holding one NatsCluster and its providers. The DigitalOcean provider
 * reads its token from DIGITALOCEAN_TOKEN when Terraform runs; it is never in the plan.
 */
export class NatsStack extends TerraformStack {
  public readonly cluster: NatsCluster;

  constructor(scope: Construct, id: string, props: NatsClusterProps = {}) {
    super(scope, id);
    new DigitaloceanProvider(this, "digitalocean", {});
    new NullProvider(this, "null", {});
    new RandomProvider(this, "random", {});
    this.cluster = new NatsCluster(this, "cluster", props);
  }
}
