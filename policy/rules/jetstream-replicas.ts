import { DropletResource, natsNodes } from "../resources";
import { Finding, PolicyRule } from "../rule";

/** NATS-007: a cluster that runs JetStream has at least 3 nodes, so streams can keep 3 replicas. */
export const jetstreamReplicas: PolicyRule = {
  id: "NATS-007",
  level: "warning",
  description: "each nats cluster that runs jetstream has at least 3 nodes, so streams can have 3 replicas",
  check: (resources) => {
    const clusters = new Map<string, DropletResource[]>();
    for (const node of natsNodes(resources).filter((droplet) => droplet.nats.jetstream)) {
      const name = node.nats.clusterName ?? "";
      clusters.set(name, [...(clusters.get(name) ?? []), node]);
    }
    return [...clusters]
      .filter(([, nodes]) => nodes.length < 3)
      .map(([name, nodes]): Finding => ({
        construct: nodes[0].construct,
        // nats-server's Raft layer waits for a route before it starts: a lone clustered node never
        // elects a meta leader (its /healthz stays "JetStream is still recovering meta layer"). It is
        // not run standalone instead: a standalone node that later joins a cluster deletes its
        // streams as orphans (measured with nats-server 2.15.1), so scaling 1 → 3 would lose them.
        message:
          nodes.length === 1
            ? `cluster ${JSON.stringify(name)} runs jetstream on 1 node: a lone clustered nats-server waits for a route and never elects ` +
              `a jetstream meta leader, so no stream or key-value bucket can be created; use nodeCount: 3 or 5, or jetstream: false`
            : `cluster ${JSON.stringify(name)} runs jetstream on ${nodes.length} nodes: streams and key-value buckets can have at most ` +
              `${nodes.length} replicas, so losing a node can stop them; use nodeCount: 3 or 5 for replicas 3`,
      }));
  },
};
