import { labelOf } from "./references";
import { Plan, blocks, num, resourcesOfType, strings, text } from "../helpers/tf-json";

/** One forwarding rule, `protocol port` on each side. */
export interface ForwardingRule {
  readonly entry: string;
  readonly target: string;
  readonly tlsPassthrough: boolean;
}

/** The load balancer's health check, in the provider's units (seconds, counts). */
export interface HealthCheck {
  readonly protocol: string;
  readonly port?: number;
  readonly path?: string;
  readonly intervalSeconds?: number;
  readonly timeoutSeconds?: number;
  readonly healthyThreshold?: number;
  readonly unhealthyThreshold?: number;
}

/** A load balancer as a reviewer reads it. */
export interface LoadBalancerInfo {
  readonly name: string;
  readonly region?: string;
  /** `tag nats`, or the droplets it targets by id. */
  readonly targets: readonly string[];
  readonly rules: readonly ForwardingRule[];
  readonly healthCheck?: HealthCheck;
  readonly stickySessions?: string;
}

/** The plan's load balancers, their forwarding rules and health check. */
export function describeLoadBalancers(plan: Plan): LoadBalancerInfo[] {
  return resourcesOfType(plan, "digitalocean_loadbalancer").map(({ name, body }) => {
    const tag = text(body, "droplet_tag");
    const check = blocks(body, "healthcheck")[0];
    return {
      name: text(body, "name") ?? name,
      region: text(body, "region"),
      targets: tag !== undefined ? [tagLabel(tag, plan)] : strings(body, "droplet_ids").map((id) => labelOf(id, plan)),
      rules: blocks(body, "forwarding_rule").map((rule) => ({
        entry: `${text(rule, "entry_protocol")} ${num(rule, "entry_port")}`,
        target: `${text(rule, "target_protocol")} ${num(rule, "target_port")}`,
        tlsPassthrough: rule.tls_passthrough === true,
      })),
      healthCheck: check === undefined ? undefined : {
        protocol: text(check, "protocol") ?? "?",
        port: num(check, "port"),
        path: text(check, "path"),
        intervalSeconds: num(check, "check_interval_seconds"),
        timeoutSeconds: num(check, "response_timeout_seconds"),
        healthyThreshold: num(check, "healthy_threshold"),
        unhealthyThreshold: num(check, "unhealthy_threshold"),
      },
      stickySessions: text(blocks(body, "sticky_sessions")[0], "type"),
    };
  });
}

/** A droplet tag as a reviewer reads it, `tag nats`, whether the plan names it or refers to a tag resource. */
export function tagLabel(tag: string, plan: Plan): string {
  const label = labelOf(tag, plan);
  return label === tag ? `tag ${tag}` : label;
}

/**
 * Worst-case time for a load balancer to take a dead node out of rotation, in the unit of its
 * inputs: `fall` failed checks `interval` apart, the last one waiting the full `timeout`.
 */
export function failoverBudget(interval: number, timeout: number, fall: number): number {
  return interval * fall + timeout;
}
