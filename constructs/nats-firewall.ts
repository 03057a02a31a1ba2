import { Firewall, FirewallInboundRule, FirewallOutboundRule } from "@cdktf/provider-digitalocean/lib/firewall";
import { Construct } from "constructs";
import { parseCidr } from "../helpers/cidr";
import { ValidationErrors, cidr, duplicates } from "../facts/validation";

const ANYWHERE = ["0.0.0.0/0", "::/0"];

export interface NatsFirewallProps {
  /** @default - "<dropletTag>-fw" */
  readonly name?: string;
  /** The firewall applies to droplets with this tag; cluster traffic is allowed between them. */
  readonly dropletTag: string;
  /** The load balancer that may reach the client and monitor ports. */
  readonly loadBalancerId: string;
  /**
   * The internal seed load balancer: it may reach the cluster and monitor ports, and the
   * nodes may reach it on the cluster port.
   * @default - none: nodes route to node 1 directly
   */
  readonly seedLoadBalancerId?: string;
  readonly clientPort: number;
  readonly monitorPort: number;
  readonly clusterPort: number;
  /**
   * Addresses allowed to SSH (22) and to read the monitor port directly.
   * @default - none: no SSH, monitoring only through the load balancer's health check
   */
  readonly adminCidrs?: string[];
  /**
   * Addresses allowed to reach the client port on the nodes directly, without the load
   * balancer (used with `advertise: "public"`).
   * @default - none: clients only come through the load balancer
   */
  readonly clientCidrs?: string[];
}

/**
 * A DigitalOcean cloud firewall for the nodes. Inbound: client port from the load balancer
 * (and optional client CIDRs), monitor port from the load balancers (their health checks) and
 * admin CIDRs, cluster port from the cluster's own droplets and the seed load balancer, SSH
 * from admin CIDRs only. Outbound: DNS, NTP, HTTP and HTTPS (packages and the nats-server
 * download) and the cluster port to the cluster's droplets and the seed load balancer. The
 * firewall is stateful: replies are allowed.
 */
export class NatsFirewall extends Construct {
  public readonly firewall: Firewall;

  constructor(scope: Construct, id: string, props: NatsFirewallProps) {
    super(scope, id);
    validateFirewallProps(props).throwIfAny(this.node.path);
    const admin = props.adminCidrs ?? [];
    const clients = props.clientCidrs ?? [];
    const lb = [props.loadBalancerId];
    const seed = props.seedLoadBalancerId === undefined ? [] : [props.seedLoadBalancerId];
    const cluster = String(props.clusterPort);
    const inbound: FirewallInboundRule[] = [
      { protocol: "tcp", portRange: String(props.clientPort), sourceLoadBalancerUids: lb, sourceAddresses: orUndefined(clients) },
      { protocol: "tcp", portRange: String(props.monitorPort), sourceLoadBalancerUids: [...lb, ...seed], sourceAddresses: orUndefined(admin) },
      { protocol: "tcp", portRange: cluster, sourceTags: [props.dropletTag], sourceLoadBalancerUids: orUndefined(seed) },
    ];
    if (admin.length > 0) inbound.push({ protocol: "tcp", portRange: "22", sourceAddresses: admin });
    const outbound: FirewallOutboundRule[] = [
      { protocol: "udp", portRange: "53", destinationAddresses: ANYWHERE },
      { protocol: "tcp", portRange: "53", destinationAddresses: ANYWHERE },
      { protocol: "udp", portRange: "123", destinationAddresses: ANYWHERE },
      { protocol: "tcp", portRange: "80", destinationAddresses: ANYWHERE },
      { protocol: "tcp", portRange: "443", destinationAddresses: ANYWHERE },
      { protocol: "tcp", portRange: cluster, destinationTags: [props.dropletTag], destinationLoadBalancerUids: orUndefined(seed) },
    ];
    this.firewall = new Firewall(this, "firewall", {
      name: props.name ?? `${props.dropletTag}-fw`,
      tags: [props.dropletTag],
      inboundRule: inbound,
      outboundRule: outbound,
    });
  }
}

function orUndefined(values: string[]): string[] | undefined {
  return values.length > 0 ? values : undefined;
}

/** Adds every problem in `props` to `errors` (a new collection by default) and returns it. */
export function validateFirewallProps(
  props: Pick<NatsFirewallProps, "adminCidrs" | "clientCidrs">,
  errors = new ValidationErrors(),
): ValidationErrors {
  for (const name of ["adminCidrs", "clientCidrs"] as const) {
    const values = props[name] ?? [];
    values.forEach((value, i) => errors.add(cidr(`${name}[${i}]`, value)));
    // The same block in two spellings (2001:db8::/32, 2001:0db8::/32) is still a repeat.
    duplicates(name, values, (value) => parseCidr(value)?.network ?? value).forEach((problem) => errors.add(problem));
  }
  return errors;
}
