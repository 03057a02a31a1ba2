import { DropletResource, natsNodes } from "../resources";
import { Finding, PolicyRule } from "../rule";

/** A `jetstream { … }` block in a node's nats-server.conf (inside its user_data). */
const JETSTREAM_BLOCK = /^\s*jetstream\s*\{/m;

/** NATS-007: a cluster that runs JetStream has at least 3 nodes, so streams can keep 3 replicas. */
export const jetstreamReplicas: PolicyRule = {
  id: "NATS-007",
  level: "warning",
  description: "each nats cluster that runs jetstream has at least 3 nodes, so streams can have 3 replicas",
  check: (resources) => {
    const clusters = new Map<string, DropletResource[]>();
    for (const node of natsNodes(resources).filter((droplet) => JETSTREAM_BLOCK.test(droplet.config.user_data ?? ""))) {
      const name = node.nats.clusterName ?? "";
      clusters.set(name, [...(clusters.get(name) ?? []), node]);
    }
    return [...clusters]
      .filter(([, nodes]) => nodes.length < 3)
      .map(([name, nodes]): Finding => ({
        construct: nodes[0].construct,
        message:
          `cluster ${JSON.stringify(name)} runs jetstream on ${nodes.length} node${nodes.length === 1 ? "" : "s"}: ` +
          `streams and key-value buckets can have at most ${nodes.length} replica${nodes.length === 1 ? "" : "s"}, so losing a node ` +
          `${nodes.length === 1 ? "loses" : "can stop"} them; use nodeCount: 3 or 5 for replicas 3`,
      }));
  },
};
