import { TerraformStack, Testing } from "cdktf";
import { NatsFirewall } from "../constructs/nats-firewall";
import { onlyResource, resourcesOf, synthJson, testStack } from "./helpers";

interface Rule {
  port_range: string;
  protocol: string;
  source_addresses?: string[];
  source_load_balancer_uids?: string[];
  source_tags?: string[];
  destination_addresses?: string[];
  destination_tags?: string[];
  destination_load_balancer_uids?: string[];
}

const LB = /^\$\{digitalocean_loadbalancer\.cluster_load-balancer_lb_\w+\.id\}$/;
const SEED_LB = /^\$\{digitalocean_loadbalancer\.cluster_seed-load-balancer_lb_\w+\.id\}$/;

function firewall(props = {}): { inbound_rule: Rule[]; outbound_rule: Rule[]; tags: string[] } {
  return onlyResource(synthJson(testStack(props)), "digitalocean_firewall") as never;
}

const WORLD = ["0.0.0.0/0", "::/0"];

describe("NatsFirewall", () => {
  test("default: client port only from the load balancer, monitor port from both load balancers, cluster port from the cluster's tag and the seed load balancer, no SSH", () => {
    const fw = firewall();
    expect(fw.inbound_rule).toEqual([
      { protocol: "tcp", port_range: "4222", source_load_balancer_uids: [expect.stringMatching(LB)] },
      { protocol: "tcp", port_range: "8222", source_load_balancer_uids: [expect.stringMatching(LB), expect.stringMatching(SEED_LB)] },
      { protocol: "tcp", port_range: "6222", source_tags: [expect.stringMatching(/^\$\{digitalocean_tag\./)], source_load_balancer_uids: [expect.stringMatching(SEED_LB)] },
    ]);
    for (const rule of fw.inbound_rule) expect(rule.source_addresses ?? []).not.toEqual(expect.arrayContaining([WORLD[0]]));
    expect(fw.tags).toEqual([expect.stringMatching(/^\$\{digitalocean_tag\./)]);
    expect((fw as unknown as { name: string }).name).toBe("nats-cluster-fw");
  });

  test("outbound: DNS, NTP, HTTP(S) for boot, cluster port to the cluster and its seed load balancer only", () => {
    const rules = firewall().outbound_rule;
    expect(rules.map((r) => `${r.protocol}/${r.port_range}`)).toEqual(["udp/53", "tcp/53", "udp/123", "tcp/80", "tcp/443", "tcp/6222"]);
    expect(rules[5]).toMatchObject({ destination_tags: [expect.stringMatching(/^\$\{digitalocean_tag\./)], destination_load_balancer_uids: [expect.stringMatching(SEED_LB)] });
  });

  test("without the seed load balancer the cluster port is open between the cluster's droplets only", () => {
    const fw = firewall({ seedLoadBalancer: false, jetstream: false });
    expect(fw.inbound_rule[2]).toEqual({ protocol: "tcp", port_range: "6222", source_tags: [expect.stringMatching(/^\$\{digitalocean_tag\./)] });
    expect(fw.outbound_rule[5]).not.toHaveProperty("destination_load_balancer_uids");
  });

  test("outbound destinations: the cluster port only to the cluster's tag, nothing else to a tag", () => {
    const out = firewall().outbound_rule;
    expect(out.slice(0, 5).map((r) => [r.destination_addresses, r.destination_tags])).toEqual(out.slice(0, 5).map(() => [WORLD, undefined]));
    expect(out[5]).toEqual({
      protocol: "tcp",
      port_range: "6222",
      destination_tags: [expect.stringMatching(/^\$\{digitalocean_tag\..*\.name\}$/)],
      destination_load_balancer_uids: [expect.stringMatching(/^\$\{digitalocean_loadbalancer\.cluster_seed-load-balancer_lb_\w+\.id\}$/)],
    });
    expect(out[5].destination_tags).toEqual(firewall().inbound_rule[2].source_tags);
  });

  test("admin and client CIDRs open SSH, monitor and client ports to those addresses only", () => {
    const fw = firewall({ adminCidrs: ["203.0.113.0/24"], clientCidrs: ["198.51.100.7/32"] });
    const byPort = Object.fromEntries(fw.inbound_rule.map((r) => [r.port_range, r.source_addresses]));
    expect(byPort).toEqual({ "4222": ["198.51.100.7/32"], "8222": ["203.0.113.0/24"], "6222": undefined, "22": ["203.0.113.0/24"] });
  });

  test("the firewall depends on the load balancer and the tag, not on droplets", () => {
    expect(JSON.stringify(firewall())).not.toContain("digitalocean_droplet.");
  });

  test("can be turned off", () => {
    expect(resourcesOf(synthJson(testStack({ firewall: false })), "digitalocean_firewall")).toEqual([]);
  });
});

test("advertising public addresses admits clients directly on the client port only", () => {
  const fw = firewall({ advertise: "public" });
  expect(fw.inbound_rule.find((r) => r.port_range === "4222")?.source_addresses).toEqual(WORLD);
  expect(fw.inbound_rule.filter((r) => r.port_range !== "4222").every((r) => r.source_addresses === undefined)).toBe(true);
});

test("NatsFirewall on its own validates its CIDRs, as NatsCluster does before building it", () => {
  const stack = new TerraformStack(Testing.app(), "alone");
  const props = { dropletTag: "nats", loadBalancerId: "lb", clientPort: 4222, monitorPort: 8222, clusterPort: 6222 };
  expect(() => new NatsFirewall(stack, "bad", { ...props, clientCidrs: ["203.0.113.5/24"] })).toThrow(
    /clientCidrs\[0\] "203\.0\.113\.5\/24" has host bits set: write the network 203\.0\.113\.0\/24/,
  );
  expect(() => new NatsFirewall(stack, "good", { ...props, clientCidrs: ["203.0.113.0/24"] })).not.toThrow();
});
