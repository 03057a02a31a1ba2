import { stackNames } from "../constructs/nats-stack";

// Unit test: the default resource names a stack derives from its id (pure, nothing is synthesized).

describe("stackNames", () => {
  test.each([
    ["nats", "nats"],
    ["My Stack", "my-stack"],
    ["--nats..prod__2--", "nats-prod-2"],
    ["a-b", "a-b"],
    ["Ünïcode", "n-code"],
    // 40 characters at most, and no dash left at the cut.
    [`${"x".repeat(39)}_yz`, "x".repeat(39)],
    ["y".repeat(45), "y".repeat(40)],
  ])("%p: droplets %p-1…n, tag %p-cluster", (id, slug) => {
    expect(stackNames(id)).toEqual({ namePrefix: slug, tag: `${slug}-cluster` });
  });
});
