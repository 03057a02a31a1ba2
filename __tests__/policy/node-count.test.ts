import { Testing } from "cdktf";
import { natsStack, ruleAnnotations } from "./annotations";

describe("NATS-004 node count", () => {
  test.each([3, 5])("compliant: %d nodes", (nodeCount) => {
    expect(ruleAnnotations(natsStack({ nodeCount }), "NATS-004")).toEqual([]);
  });

  test.each([1, 2, 4])("non-compliant: %d nodes is a warning on the seed", (nodeCount) => {
    const found = ruleAnnotations(natsStack({ nodeCount }), "NATS-004");
    expect(found).toEqual([
      {
        level: "warning",
        path: "cluster/nodes/node-1",
        message: expect.stringMatching(
          new RegExp(`^\\[NATS-004\\] cluster "nats" has ${nodeCount} nodes? \\(.*\\): use an odd count of at least 3 \\(nodeCount: 3 or 5\\)`),
        ),
      },
    ]);
  });

  test("a warning does not fail the synth", () => {
    expect(() => Testing.fullSynth(natsStack({ nodeCount: 2 }))).not.toThrow();
  });
});
