import { Loadbalancer, LoadbalancerForwardingRule } from "@cdktf/provider-digitalocean/lib/loadbalancer";
import { Construct } from "constructs";
import { ValidationErrors, integerInRange, isKnown, matches, oneOf, port } from "../facts/validation";

export type LoadBalancerProtocol = "http" | "https" | "http2" | "http3" | "tcp" | "udp";
export type HealthCheckProtocol = "http" | "https" | "tcp";

export const FORWARDING_PROTOCOLS: readonly LoadBalancerProtocol[] = ["http", "https", "http2", "http3", "tcp", "udp"];
export type LoadBalancerNetwork = "EXTERNAL" | "INTERNAL";
export const HEALTH_CHECK_PROTOCOLS: readonly HealthCheckProtocol[] = ["http", "https", "tcp"];

/** One forwarding rule: traffic arriving on `entryPort` goes to `targetPort` on every node. */
export interface ForwardingRuleProps {
  readonly entryProtocol: LoadBalancerProtocol;
  readonly entryPort: number;
  /** @default - the entry protocol */
  readonly targetProtocol?: LoadBalancerProtocol;
  /** @default - the entry port */
  readonly targetPort?: number;
}

/** The one health check DigitalOcean runs against every node, whatever rule the traffic used. */
export interface HealthCheckProps {
  /** @default "http" */
  readonly protocol?: HealthCheckProtocol;
  /** Port on the node that answers the check. */
  readonly port: number;
  /**
   * Path requested by http and https checks; must start with "/". Not allowed for tcp.
   * @default "/healthz" for http and https - answers 200 only when the server is ready
   */
  readonly path?: string;
  /** Seconds between checks, 3–300. @default 3 - DigitalOcean's minimum, so a dead node is dropped within 10 s */
  readonly checkIntervalSeconds?: number;
  /** Seconds to wait for an answer, 3–300. @default 3 */
  readonly responseTimeoutSeconds?: number;
  /**
   * Consecutive passes before a node gets traffic again, 2–10.
   * @default 5 - a new node gets clients 15 s after it is ready, well after it has joined the mesh
   */
  readonly healthyThreshold?: number;
  /** Consecutive failures before a node stops getting traffic, 2–10. @default 2 */
  readonly unhealthyThreshold?: number;
}

export interface NatsLoadBalancerProps {
  /** @default - "<tag>-lb" */
  readonly name?: string;
  /** Must be the droplets' region. */
  readonly region: string;
  /** Droplets carrying this tag are the targets, so the LB never waits for them. */
  readonly dropletTag: string;
  readonly forwardingRules: ForwardingRuleProps[];
  readonly healthCheck: HealthCheckProps;
  /**
   * Load balancer size units (1–100); each unit adds capacity and cost.
   * @default 1
   */
  readonly sizeUnit?: number;
  /** @default - the region's default VPC */
  readonly vpcUuid?: string;
  /**
   * `INTERNAL` gives the load balancer only a private address in the VPC.
   * @default "EXTERNAL" - a public address
   */
  readonly network?: LoadBalancerNetwork;
}

/** A DigitalOcean load balancer in front of the NATS nodes: round robin, no sticky sessions. */
export class NatsLoadBalancer extends Construct {
  public readonly loadBalancer: Loadbalancer;

  constructor(scope: Construct, id: string, props: NatsLoadBalancerProps) {
    super(scope, id);
    validateLoadBalancerProps(props).throwIfAny(this.node.path);
    const check = props.healthCheck;
    const checkProtocol = check.protocol ?? "http";
    this.loadBalancer = new Loadbalancer(this, "lb", {
      name: props.name ?? `${props.dropletTag}-lb`,
      region: props.region,
      sizeUnit: props.sizeUnit ?? 1,
      vpcUuid: props.vpcUuid,
      network: props.network,
      dropletTag: props.dropletTag,
      forwardingRule: props.forwardingRules.map(
        (rule): LoadbalancerForwardingRule => ({
          entryProtocol: rule.entryProtocol,
          entryPort: rule.entryPort,
          targetProtocol: rule.targetProtocol ?? rule.entryProtocol,
          targetPort: rule.targetPort ?? rule.entryPort,
          tlsPassthrough: false,
        }),
      ),
      healthcheck: {
        protocol: checkProtocol,
        port: check.port,
        path: checkProtocol === "tcp" ? undefined : (check.path ?? "/healthz"),
        checkIntervalSeconds: check.checkIntervalSeconds ?? 3,
        responseTimeoutSeconds: check.responseTimeoutSeconds ?? 3,
        healthyThreshold: check.healthyThreshold ?? 5,
        unhealthyThreshold: check.unhealthyThreshold ?? 2,
      },
      stickySessions: { type: "none" },
    });
  }
}

/** Adds every problem in `props` to `errors` (a new collection by default) and returns it. */
export function validateLoadBalancerProps(props: NatsLoadBalancerProps, errors = new ValidationErrors()): ValidationErrors {
  errors.check(props.forwardingRules.length === 0, "forwardingRules must contain at least one rule");
  errors.add(integerInRange("sizeUnit", props.sizeUnit, 1, 100));
  errors.add(oneOf("network", props.network, ["EXTERNAL", "INTERNAL"]));
  const entryPorts = new Set<number>();
  props.forwardingRules.forEach((rule, i) => {
    const where = `forwardingRules[${i}]`;
    errors.add(oneOf(`${where}.entryProtocol`, rule.entryProtocol, FORWARDING_PROTOCOLS));
    errors.add(oneOf(`${where}.targetProtocol`, rule.targetProtocol, FORWARDING_PROTOCOLS));
    errors.add(port(`${where}.entryPort`, rule.entryPort));
    errors.add(port(`${where}.targetPort`, rule.targetPort));
    if (isKnown(rule.entryPort)) {
      errors.check(entryPorts.has(rule.entryPort), `${where}.entryPort ${rule.entryPort} is used by another rule: entry ports must be unique`);
      entryPorts.add(rule.entryPort);
    }
  });
  return validateHealthCheck(props.healthCheck, errors);
}

/** Adds every problem of a health check to `errors` and returns it. */
export function validateHealthCheck(check: HealthCheckProps, errors = new ValidationErrors()): ValidationErrors {
  const protocol = check.protocol ?? "http";
  errors.add(oneOf("healthCheck.protocol", check.protocol, HEALTH_CHECK_PROTOCOLS));
  errors.add(port("healthCheck.port", check.port));
  errors.add(integerInRange("healthCheck.checkIntervalSeconds", check.checkIntervalSeconds, 3, 300));
  errors.add(integerInRange("healthCheck.responseTimeoutSeconds", check.responseTimeoutSeconds, 3, 300));
  errors.add(integerInRange("healthCheck.healthyThreshold", check.healthyThreshold, 2, 10));
  errors.add(integerInRange("healthCheck.unhealthyThreshold", check.unhealthyThreshold, 2, 10));
  if (protocol === "tcp") {
    errors.check(check.path !== undefined, `healthCheck.path ${JSON.stringify(check.path)} is not allowed for a tcp health check: remove it or use http`);
  } else {
    errors.check(check.path === "", `healthCheck.path is empty: an ${protocol} health check needs a path such as /healthz`);
    errors.add(matches("healthCheck.path", check.path || undefined, /^\/[^\s]*$/, "a path starting with / and without spaces, such as /healthz"));
  }
  return errors;
}
