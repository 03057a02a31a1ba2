import { Testing, TerraformStack } from "cdktf";
import { ReadinessGate } from "../constructs/readiness-gate";
import { resourcesOf, synthJson, testStack } from "./helpers";

describe("ReadinessGate", () => {
  test("re-runs when any droplet or the load balancer is replaced", () => {
    const [gate] = resourcesOf(synthJson(testStack({ nodeCount: 3 })), "null_resource") as { triggers: Record<string, string> }[];
    expect(gate.triggers.load_balancer).toMatch(/^\$\{digitalocean_loadbalancer\.[\w-]+\.id\}$/);
    expect(gate.triggers.droplets.match(/digitalocean_droplet\.[\w-]+\.id/g)).toHaveLength(3);
  });

  test("command verifies the expected node count and credentials come from the environment", () => {
    const gate = new ReadinessGate(new TerraformStack(Testing.app(), "s"), "gate", {
      loadBalancerIp: "203.0.113.9",
      loadBalancerId: "lb-1",
      dropletIds: ["1", "2", "3"],
      expectNodes: 3,
      clientPort: 4222,
      timeoutSeconds: 120,
    });
    expect(gate.command).toBe("npm run --silent verify -- --lb 203.0.113.9 --expect-nodes 3 --client-port 4222 --timeout 120");
  });

  test("can be turned off", () => {
    expect(resourcesOf(synthJson(testStack({ readinessGate: false })), "null_resource")).toEqual([]);
  });

  test("rejects a timeout outside 10-3600 s", () => {
    expect(() => testStack({ readinessTimeoutSeconds: 5 })).toThrow(/readinessTimeoutSeconds must be an integer from 10 to 3600, got 5/);
  });
});
