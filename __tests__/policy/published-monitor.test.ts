import { ADDRESS, acknowledgeHint, natsStack, ruleAnnotations } from "./annotations";

const EXPOSED = "which is unauthenticated and lists every client's address: remove the rule (publishMonitor: false)";

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
        message: `[NATS-003] ${ADDRESS.lb} forwards entry port 8222 to the monitor port 8222, ${EXPOSED}${acknowledgeHint("NATS-003")}`,
      },
    ]);
  });

  test("non-compliant: any entry port that reaches the monitor port counts", () => {
    const stack = natsStack({ monitorPort: 9000 });
    stack.cluster.loadBalancer.addOverride("forwarding_rule", [
      { entry_protocol: "http", entry_port: 80, target_protocol: "http", target_port: 9000 },
    ]);
    expect(ruleAnnotations(stack, "NATS-003").map((a) => a.message)).toEqual([
      `[NATS-003] ${ADDRESS.lb} forwards entry port 80 to the monitor port 9000, ${EXPOSED}${acknowledgeHint("NATS-003")}`,
    ]);
  });
});
