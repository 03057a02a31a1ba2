import { natsNodes } from "../resources";
import { Finding, PolicyRule } from "../rule";

/** NATS-008: the load balancer forwards the client port only to nodes that require TLS. */
export const clientTls: PolicyRule = {
  id: "NATS-008",
  level: "error",
  description: "the load balancer forwards the client port only to nats servers that require TLS",
  check: (resources) => {
    const nodes = natsNodes(resources);
    const findings: Finding[] = [];
    for (const lb of resources.loadBalancers) {
      for (const rule of lb.config.forwarding_rule ?? []) {
        const plaintext = nodes.filter((n) => n.nats.client === Number(rule.target_port) && !n.nats.clientTls);
        if (plaintext.length === 0) continue;
        findings.push({
          construct: lb.construct,
          message:
            `${lb.address} forwards entry port ${rule.entry_port} to the client port ${rule.target_port} of ` +
            `${plaintext.map((n) => n.config.name ?? n.address).join(", ")} without TLS, so credentials and messages cross the network in plaintext: ` +
            "turn TLS on (the tls prop, on by default)",
        });
      }
    }
    return findings;
  },
};
