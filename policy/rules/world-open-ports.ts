import { worldOpenSources } from "../../helpers/cidr";
import { natsNodes, portRangeIncludes, StackResources } from "../resources";
import { Finding, PolicyRule } from "../rule";

/** Ports that only the cluster, the load balancer or administrators may reach, by port. */
function restrictedPorts(resources: StackResources): Map<number, string> {
  const ports = new Map<number, string>([[22, "ssh"]]);
  for (const { nats } of natsNodes(resources)) {
    if (nats.monitor !== undefined) ports.set(nats.monitor, "monitor");
    if (nats.cluster !== undefined) ports.set(nats.cluster, "cluster");
  }
  return ports;
}

/** NATS-001: no firewall lets the whole internet reach the cluster, monitor or SSH port. */
export const worldOpenPorts: PolicyRule = {
  id: "NATS-001",
  level: "error",
  description:
    "no firewall inbound rule opens the cluster, monitor or ssh port to the whole internet: sources covering every globally reachable address of a family (0.0.0.0/0, ::/0, 2000::/3, in any spelling)",
  check: (resources) => {
    const restricted = restrictedPorts(resources);
    const findings: Finding[] = [];
    for (const firewall of resources.firewalls) {
      for (const rule of firewall.config.inbound_rule ?? []) {
        const open = worldOpenSources(rule.source_addresses ?? []);
        if (rule.protocol !== "tcp" || open.length === 0) continue;
        for (const [port, role] of restricted) {
          if (!portRangeIncludes(rule.port_range, port)) continue;
          findings.push({
            construct: firewall.construct,
            message:
              `${firewall.address} lets ${open.join(" and ")} (the whole internet) reach tcp ${port} (the ${role} port): ` +
              "restrict its sources to admin cidrs, the cluster's tag or the load balancer (adminCidrs: your own addresses)",
          });
        }
      }
    }
    return findings;
  },
};
