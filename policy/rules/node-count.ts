import { DropletResource, natsNodes } from "../resources";
import { Finding, PolicyRule } from "../rule";

/** NATS-004: a cluster has an odd number of nodes, at least 3, so a majority survives a failure. */
export const nodeCount: PolicyRule = {
  id: "NATS-004",
  level: "warning",
  description: "each nats cluster has an odd number of nodes, at least 3",
  check: (resources) => {
    const clusters = new Map<string, DropletResource[]>();
    for (const node of natsNodes(resources)) {
      const name = node.nats.clusterName ?? "";
      clusters.set(name, [...(clusters.get(name) ?? []), node]);
    }
    const findings: Finding[] = [];
    for (const [name, nodes] of clusters) {
      if (nodes.length >= 3 && nodes.length % 2 === 1) continue;
      findings.push({
        construct: nodes[0].construct,
        message:
          `cluster ${JSON.stringify(name)} has ${nodes.length} node${nodes.length === 1 ? "" : "s"} ` +
          `(${nodes.map((n) => n.address).join(", ")}): use an odd count of at least 3 (nodeCount: 3 or 5) ` +
          "so that a majority survives a node failure and jetstream keeps its quorum",
      });
    }
    return findings;
  },
};
