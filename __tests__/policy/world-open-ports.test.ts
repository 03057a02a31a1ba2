import { Firewall } from "@cdktf/provider-digitalocean/lib/firewall";
import { natsStack, ruleAnnotations } from "./annotations";

describe("NATS-001 world-open ports", () => {
  test("compliant: the default firewall opens nothing to the internet", () => {
    expect(ruleAnnotations(natsStack(), "NATS-001")).toEqual([]);
  });

  test("compliant: the client port may be open to everyone", () => {
    expect(ruleAnnotations(natsStack({ clientCidrs: ["0.0.0.0/0", "::/0"] }), "NATS-001")).toEqual([]);
  });

  test("non-compliant: admin cidrs 0.0.0.0/0 open ssh and the monitor port", () => {
    const found = ruleAnnotations(natsStack({ adminCidrs: ["0.0.0.0/0"] }), "NATS-001");
    expect(found.map((a) => [a.level, a.path])).toEqual([
      ["error", "cluster/firewall/firewall"],
      ["error", "cluster/firewall/firewall"],
    ]);
    expect(found[0].message).toMatch(/digitalocean_firewall\.cluster_firewall_\w+ lets 0\.0\.0\.0\/0 \(the whole internet\) reach tcp 8222 \(the monitor port\): restrict its sources to admin cidrs/);
    expect(found[1].message).toMatch(/reach tcp 22 \(the ssh port\)/);
  });

  test("non-compliant: a port range from ::/0 covering the cluster port", () => {
    const stack = natsStack();
    new Firewall(stack, "extra", {
      name: "extra",
      tags: ["nats-cluster"],
      inboundRule: [{ protocol: "tcp", portRange: "6000-6999", sourceAddresses: ["::/0"] }],
    });
    expect(ruleAnnotations(stack, "NATS-001").map((a) => a.message)).toEqual([
      expect.stringMatching(/digitalocean_firewall\.extra lets ::\/0 \(the whole internet\) reach tcp 6222 \(the cluster port\)/),
    ]);
  });

  test("non-compliant: an escape-hatch override is seen (the policy reads the synthesized json)", () => {
    const stack = natsStack();
    stack.cluster.firewall?.firewall.addOverride("inbound_rule", [{ protocol: "tcp", port_range: "all", source_addresses: ["0.0.0.0/0"] }]);
    expect(ruleAnnotations(stack, "NATS-001").map((a) => a.message)).toEqual([
      expect.stringMatching(/reach tcp 22 \(the ssh port\)/),
      expect.stringMatching(/reach tcp 8222 \(the monitor port\)/),
      expect.stringMatching(/reach tcp 6222 \(the cluster port\)/),
    ]);
  });

  test("compliant: udp from anywhere on a restricted port number is not nats traffic", () => {
    const stack = natsStack();
    new Firewall(stack, "extra", {
      name: "extra",
      tags: ["nats-cluster"],
      inboundRule: [{ protocol: "udp", portRange: "8222", sourceAddresses: ["0.0.0.0/0"] }],
    });
    expect(ruleAnnotations(stack, "NATS-001")).toEqual([]);
  });
});
