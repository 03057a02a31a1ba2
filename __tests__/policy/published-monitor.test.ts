import { natsStack, ruleAnnotations } from "./annotations";

describe("NATS-003 published monitor port", () => {
  test("compliant: the default load balancer forwards only the client port", () => {
    expect(ruleAnnotations(natsStack(), "NATS-003")).toEqual([]);
  });

  test("compliant: an internal load balancer may forward the monitor port", () => {
    const stack = natsStack({ publishMonitor: true });
    stack.cluster.loadBalancer.addOverride("network", "INTERNAL");
    expect(ruleAnnotations(stack, "NATS-003")).toEqual([]);
  });

  test("non-compliant: publishMonitor forwards the monitor port to the internet", () => {
    const found = ruleAnnotations(natsStack({ publishMonitor: true }), "NATS-003");
    expect(found).toEqual([
      {
        level: "error",
        path: "cluster/load-balancer/lb",
        message: expect.stringMatching(
          /^\[NATS-003\] digitalocean_loadbalancer\.cluster_load-balancer_lb_\w+ forwards entry port 8222 to the monitor port 8222, which is unauthenticated .*: remove the rule \(publishMonitor: false\)/,
        ),
      },
    ]);
  });

  test("non-compliant: any entry port that reaches the monitor port counts", () => {
    const stack = natsStack({ monitorPort: 9000 });
    stack.cluster.loadBalancer.addOverride("forwarding_rule", [
      { entry_protocol: "http", entry_port: 80, target_protocol: "http", target_port: 9000 },
    ]);
    expect(ruleAnnotations(stack, "NATS-003").map((a) => a.message)).toEqual([
      expect.stringMatching(/forwards entry port 80 to the monitor port 9000/),
    ]);
  });
});
