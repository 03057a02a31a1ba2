import { TerraformOutput } from "cdktf";
import { Droplet } from "@cdktf/provider-digitalocean/lib/droplet";
import { Loadbalancer } from "@cdktf/provider-digitalocean/lib/loadbalancer";
import { Construct } from "constructs";
import type { NatsTls } from "./nats-tls";

export interface NatsOutputsProps {
  readonly loadBalancer: Loadbalancer;
  /** Droplets by name. */
  readonly nodes: ReadonlyMap<string, Droplet>;
  readonly clientPort: number;
  /**
   * Monitor port forwarded by the load balancer.
   * @default - not published: no monitoring URL output
   */
  readonly publishedMonitorPort?: number;
  /**
   * Reference to the client token or password.
   * @default - no client auth: no credential output
   */
  readonly clientSecret?: string;
  /**
   * The cluster's CA and TLS server name.
   * @default - no TLS: no CA output
   */
  readonly tls?: Pick<NatsTls, "caCertPem" | "serverName">;
}

/** Stack outputs: how to reach the cluster, and where each node is. */
export class NatsOutputs extends Construct {
  public readonly outputs: TerraformOutput[] = [];

  constructor(scope: Construct, id: string, props: NatsOutputsProps) {
    super(scope, id);
    const lbIp = props.loadBalancer.ip;
    this.add("load_balancer_ip", lbIp, "Public IPv4 address of the load balancer");
    this.add("nats_url", `nats://${lbIp}:${props.clientPort}`, "Client URL: every client connects through the load balancer");
    if (props.publishedMonitorPort !== undefined) {
      this.add("monitoring_url", `http://${lbIp}:${props.publishedMonitorPort}`, "NATS monitoring (/varz, /routez, /connz) through the load balancer");
    }
    this.add(
      "nodes",
      Object.fromEntries(
        [...props.nodes].map(([name, d]) => [name, { public_ipv4: d.ipv4Address, private_ipv4: d.ipv4AddressPrivate }]),
      ),
      "Each node's public and private IPv4 address, by droplet name",
    );
    if (props.tls !== undefined) {
      this.add("ca_certificate", props.tls.caCertPem, "CA certificate (PEM) clients trust: terraform output -raw ca_certificate > ca.pem");
      this.add("tls_server_name", props.tls.serverName, "TLS server name clients pass when they connect to the load balancer's IP");
    }
    if (props.clientSecret !== undefined) {
      this.add("client_secret", props.clientSecret, "Client token or password: terraform output -raw client_secret", true);
    }
  }

  private add(id: string, value: unknown, description: string, sensitive = false): void {
    // Output IDs become output names: keep them fixed, scripts read them.
    const output = new TerraformOutput(this, id, { value, description, sensitive });
    output.overrideLogicalId(id);
    this.outputs.push(output);
  }
}
