import { Testing } from "cdktf";
import { ADDRESS, acknowledgeHint, natsStack, ruleAnnotations } from "./annotations";

describe("NATS-004 node count", () => {
  test.each([3, 5])("compliant: %d nodes", (nodeCount) => {
    expect(ruleAnnotations(natsStack({ nodeCount }), "NATS-004")).toEqual([]);
  });

  test.each([
    [1, `1 node (${ADDRESS.node(1)})`],
    [2, `2 nodes (${ADDRESS.node(1)}, ${ADDRESS.node(2)})`],
    [4, `4 nodes (${ADDRESS.node(1)}, ${ADDRESS.node(2)}, ${ADDRESS.node(3)}, ${ADDRESS.node(4)})`],
  ])("non-compliant: %d nodes is a warning on the seed", (nodeCount, nodes) => {
    const found = ruleAnnotations(natsStack({ nodeCount, readinessGate: false }), "NATS-004");
    expect(found).toEqual([
      {
        level: "warning",
        path: "cluster/nodes/node-1",
        message:
          `[NATS-004] cluster "nats" has ${nodes}: use an odd count of at least 3 (nodeCount: 3 or 5) ` +
          "so that a majority survives a node failure and jetstream keeps its quorum" +
          acknowledgeHint("NATS-004"),
      },
    ]);
  });

  test("a warning does not fail the synth", () => {
    expect(() => Testing.fullSynth(natsStack({ nodeCount: 2 }))).not.toThrow();
  });
});
