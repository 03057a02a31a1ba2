import { Firewall } from "@cdktf/provider-digitalocean/lib/firewall";
import { ADDRESS, acknowledgeHint, natsStack, ruleAnnotations } from "./annotations";

/** NATS-001's message for `firewall` letting `source` reach `port`, which is the `role` port. */
function worldOpen(firewall: string, source: string, port: number, role: string): string {
  return (
    `[NATS-001] ${firewall} lets ${source} (the whole internet) reach tcp ${port} (the ${role} port): ` +
    "restrict its sources to admin cidrs, the cluster's tag or the load balancer (adminCidrs: your own addresses)" +
    acknowledgeHint("NATS-001")
  );
}

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
    expect(found.map((a) => a.message)).toEqual([
      worldOpen(ADDRESS.firewall, "0.0.0.0/0", 8222, "monitor"),
      worldOpen(ADDRESS.firewall, "0.0.0.0/0", 22, "ssh"),
    ]);
  });

  test("non-compliant: admin cidrs 2000::/3, all global unicast ipv6, open ssh and the monitor port", () => {
    expect(ruleAnnotations(natsStack({ adminCidrs: ["2000::/3"] }), "NATS-001").map((a) => a.message)).toEqual([
      worldOpen(ADDRESS.firewall, "2000::/3", 8222, "monitor"),
      worldOpen(ADDRESS.firewall, "2000::/3", 22, "ssh"),
    ]);
  });

  test("non-compliant: admin cidrs covering all unicast ipv4 in three blocks", () => {
    expect(ruleAnnotations(natsStack({ adminCidrs: ["0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/3"] }), "NATS-001").map((a) => a.message)).toEqual([
      worldOpen(ADDRESS.firewall, "0.0.0.0/1 and 128.0.0.0/2 and 192.0.0.0/3", 8222, "monitor"),
      worldOpen(ADDRESS.firewall, "0.0.0.0/1 and 128.0.0.0/2 and 192.0.0.0/3", 22, "ssh"),
    ]);
  });

  test("compliant: admin cidrs ::/96 (written ::0.0.0.0/96) are not the whole internet", () => {
    expect(ruleAnnotations(natsStack({ adminCidrs: ["::0.0.0.0/96"] }), "NATS-001")).toEqual([]);
  });

  test("non-compliant: a port range from ::/0 covering the cluster port", () => {
    const stack = natsStack();
    new Firewall(stack, "extra", {
      name: "extra",
      tags: ["nats-cluster"],
      inboundRule: [{ protocol: "tcp", portRange: "6000-6999", sourceAddresses: ["::/0"] }],
    });
    expect(ruleAnnotations(stack, "NATS-001").map((a) => a.message)).toEqual([
      worldOpen("digitalocean_firewall.extra", "::/0", 6222, "cluster"),
    ]);
  });

  test("non-compliant: a tcp rule without a port range (every port) from 0.0.0.0/0 opens ssh, the monitor and the cluster port", () => {
    const stack = natsStack();
    new Firewall(stack, "extra", { name: "extra", tags: ["nats-cluster"], inboundRule: [{ protocol: "tcp", sourceAddresses: ["0.0.0.0/0"] }] });
    expect(ruleAnnotations(stack, "NATS-001").map((a) => a.message)).toEqual([
      worldOpen("digitalocean_firewall.extra", "0.0.0.0/0", 22, "ssh"),
      worldOpen("digitalocean_firewall.extra", "0.0.0.0/0", 8222, "monitor"),
      worldOpen("digitalocean_firewall.extra", "0.0.0.0/0", 6222, "cluster"),
    ]);
  });

  test("non-compliant: an escape-hatch override is seen (the policy reads the synthesized json)", () => {
    const stack = natsStack();
    stack.cluster.firewall?.firewall.addOverride("inbound_rule", [{ protocol: "tcp", port_range: "all", source_addresses: ["0.0.0.0/0"] }]);
    expect(ruleAnnotations(stack, "NATS-001").map((a) => a.message)).toEqual([
      worldOpen(ADDRESS.firewall, "0.0.0.0/0", 22, "ssh"),
      worldOpen(ADDRESS.firewall, "0.0.0.0/0", 8222, "monitor"),
      worldOpen(ADDRESS.firewall, "0.0.0.0/0", 6222, "cluster"),
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
