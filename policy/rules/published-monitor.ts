import { monitorPorts } from "../resources";
import { Finding, PolicyRule } from "../rule";

/** NATS-003: a public load balancer does not forward the unauthenticated monitoring port. */
export const publishedMonitor: PolicyRule = {
  id: "NATS-003",
  level: "error",
  description: "no public load balancer forwards traffic to the nats monitor port",
  check: (resources) => {
    const monitor = monitorPorts(resources);
    const findings: Finding[] = [];
    for (const lb of resources.loadBalancers) {
      if (lb.config.network === "INTERNAL") continue;
      for (const rule of lb.config.forwarding_rule ?? []) {
        if (!monitor.has(Number(rule.target_port))) continue;
        findings.push({
          construct: lb.construct,
          message:
            `${lb.address} forwards entry port ${rule.entry_port} to the monitor port ${rule.target_port}, ` +
            "which is unauthenticated and lists every client's address: remove the rule (publishMonitor: false)",
        });
      }
    }
    return findings;
  },
};
