import { Aspects, TerraformStack } from "cdktf";
import { DigitaloceanProvider } from "@cdktf/provider-digitalocean/lib/provider";
import { NullProvider } from "@cdktf/provider-null/lib/provider";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { TlsProvider } from "@cdktf/provider-tls/lib/provider";
import { Construct } from "constructs";
import { Acknowledgements, NatsPolicyChecks } from "../policy/aspect";
import { NatsCluster, NatsClusterProps } from "./nats-cluster";

export interface NatsStackProps extends NatsClusterProps {
  /**
   * Policy rules (policy/rules) this stack breaks on purpose, by id, each with the reason,
   * e.g. `{ "NATS-004": "a demo runs 2 nodes" }`. Their findings become info annotations.
   * @default - none: an error-level finding fails the synth
   */
  readonly acknowledge?: Acknowledgements;
}

/**
 * A Terraform stack holding one NatsCluster and its providers, checked by the NATS policy
 * rules at synth. The DigitalOcean provider reads its token from DIGITALOCEAN_TOKEN when
 * Terraform runs; it is never in the plan.
 */
export class NatsStack extends TerraformStack {
  public readonly cluster: NatsCluster;

  constructor(scope: Construct, id: string, props: NatsStackProps = {}) {
    super(scope, id);
    const { acknowledge, ...clusterProps } = props;
    Aspects.of(this).add(new NatsPolicyChecks({ acknowledge }));
    new DigitaloceanProvider(this, "digitalocean", {});
    new NullProvider(this, "null", {});
    new RandomProvider(this, "random", {});
    new TlsProvider(this, "tls", {});
    this.cluster = new NatsCluster(this, "cluster", clusterProps);
  }
}
