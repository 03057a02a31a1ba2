import { Testing } from "cdktf";
import { natsStack, ruleAnnotations } from "./annotations";

describe("NATS-007 jetstream replicas", () => {
  test.each([3, 5])("compliant: jetstream on %d nodes", (nodeCount) => {
    expect(ruleAnnotations(natsStack({ nodeCount }), "NATS-007")).toEqual([]);
  });

  test("compliant: 2 nodes without jetstream", () => {
    expect(ruleAnnotations(natsStack({ nodeCount: 2, jetstream: false }), "NATS-007")).toEqual([]);
  });

  test.each([
    [1, "1 node: a lone clustered nats-server waits for a route and never elects a jetstream meta leader, so no stream or key-value bucket can be created; use nodeCount: 3 or 5, or jetstream: false"],
    [2, "2 nodes: streams and key-value buckets can have at most 2 replicas, so losing a node can stop them; use nodeCount: 3 or 5 for replicas 3"],
  ])("non-compliant: jetstream on %d node(s) is a warning on node 1", (nodeCount, consequence) => {
    expect(ruleAnnotations(natsStack({ nodeCount, readinessGate: false }), "NATS-007")).toEqual([
      {
        level: "warning",
        path: "cluster/nodes/node-1",
        message: `[NATS-007] cluster "nats" runs jetstream on ${consequence}; or acknowledge it: acknowledge: { \"NATS-007\": \"<reason>\" }`,
      },
    ]);
  });

  test("jetstream on one node is allowed without the readiness gate: the warning does not fail the synth", () => {
    expect(() => Testing.fullSynth(natsStack({ nodeCount: 1, readinessGate: false }))).not.toThrow();
  });
});
