import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { estimateCost, loadPrices } from "../plan/cost";
import { diffPlans } from "../plan/diff";
import { firewallReport } from "../plan/firewall";
import { describeLoadBalancers, failoverBudget } from "../plan/load-balancer";
import { WORLD_OPEN_MARKER, renderSummary } from "../plan/markdown";
import { natsVersionOf } from "../plan/nodes";
import { Json, Plan, parsePlan } from "../helpers/tf-json";
import { planOf } from "./plan-fixtures";

const prices = loadPrices();


function droplet(overrides: Record<string, Json> = {}): Record<string, Json> {
  return { name: "n-1", image: "ubuntu-24-04-x64", region: "nyc3", size: "s-1vcpu-1gb", ipv6: false, user_data: "#cloud-config\n", ...overrides };
}

function actionOf(before: Plan, after: Plan, address: string): string | undefined {
  return diffPlans(before, after).changes.find((change) => change.address === address)?.action;
}

describe("replacement rules", () => {
  const address = "digitalocean_droplet.a";
  test.each([
    ["image", { image: "debian-12-x64" }, "replace"],
    ["region", { region: "ams3" }, "replace"],
    ["user_data", { user_data: "#cloud-config\nruncmd: []\n" }, "replace"],
    ["size", { size: "s-2vcpu-4gb" }, "update"],
    ["name", { name: "n-one" }, "update"],
    ["ipv6 turned on", { ipv6: true }, "update"],
  ])("a droplet's %s change is %s", (_label, change, action) => {
    const before = planOf({ digitalocean_droplet: { a: droplet() } });
    const after = planOf({ digitalocean_droplet: { a: droplet(change) } });
    expect(actionOf(before, after, address)).toBe(action);
  });

  test("turning ipv6 off replaces the droplet", () => {
    const before = planOf({ digitalocean_droplet: { a: droplet({ ipv6: true }) } });
    const after = planOf({ digitalocean_droplet: { a: droplet({ ipv6: false }) } });
    expect(actionOf(before, after, address)).toBe("replace");
  });

  test("a replaced droplet replaces those whose user_data uses its private IP, not those using a configured attribute", () => {
    const seedRef = "${digitalocean_droplet.a.ipv4_address_private}";
    const resources = (image: string) =>
      planOf({
        digitalocean_droplet: {
          a: droplet({ image }),
          b: droplet({ name: "n-2", user_data: `routes ${seedRef}` }),
          c: droplet({ name: "n-3", user_data: "routes ${digitalocean_droplet.a.name}" }),
        },
      });
    const diff = diffPlans(resources("ubuntu-24-04-x64"), resources("debian-12-x64"));
    expect(diff.replacedDroplets).toEqual(["n-1", "n-2"]);
    expect(diff.seedReplaced?.name).toBe("n-1");
  });

  test("meta-arguments such as provisioner are not changes", () => {
    const gate = (command: string) => planOf({ null_resource: { g: { provisioner: [{ "local-exec": { command } }] } } });
    expect(diffPlans(gate("a"), gate("b")).changes).toEqual([]);
  });

  test("removed resources are listed as removed", () => {
    const diff = diffPlans(planOf({ digitalocean_droplet: { a: droplet() } }), planOf({}));
    expect(diff.changes.map((change) => [change.action, change.label])).toEqual([["remove", "n-1"]]);
  });
});

describe("cost", () => {
  test("an unknown droplet size is shown as unknown, never as zero", () => {
    const plan = planOf({ digitalocean_droplet: { a: droplet({ size: "s-64vcpu-huge" }), b: droplet() } });
    const cost = estimateCost(plan, prices);
    expect(cost.total).toBeUndefined();
    expect(cost.knownTotal).toBe(prices.dropletMonthly["s-1vcpu-1gb"]);
    const markdown = renderSummary(plan, prices);
    expect(markdown).toContain("| droplet s-64vcpu-huge | 1 | unknown | unknown |");
    expect(markdown).toContain("**unknown** (at least $6.00: some sizes have no price)");
  });

  test("the price table lists the sizes this project offers, dated", () => {
    for (const size of ["s-1vcpu-512mb-10gb", "s-1vcpu-1gb", "s-1vcpu-2gb", "s-2vcpu-2gb", "s-2vcpu-4gb", "s-4vcpu-8gb", "c-2", "g-2vcpu-8gb"]) {
      expect(prices.dropletMonthly[size]).toBeGreaterThan(0);
    }
    expect(prices.loadBalancerSizeUnitMonthly).toBeGreaterThan(0);
    expect(prices.volumeGibMonthly).toBeGreaterThan(0);
    expect(prices.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  test("a bad price table is rejected, naming the bad value", () => {
    const dir = mkdtempSync(join(tmpdir(), "prices-"));
    try {
      const file = join(dir, "prices.json");
      writeFileSync(file, JSON.stringify({ asOf: "2025-06-01", dropletMonthly: { "s-1vcpu-1gb": "six" }, loadBalancerSizeUnits: {}, loadBalancerSizeUnitMonthly: 12, volumeGibMonthly: 0.1 }));
      expect(() => loadPrices(file)).toThrow(/dropletMonthly.s-1vcpu-1gb "six" is not a price: expected a positive number/);
      writeFileSync(file, JSON.stringify({ asOf: "June" }));
      expect(() => loadPrices(file)).toThrow(/asOf "June" is not a date: expected YYYY-MM-DD/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe("price table checks, one bad value at a time", () => {
    const good = { asOf: "2026-01-31", dropletMonthly: { "s-1vcpu-1gb": 6 }, loadBalancerSizeUnits: { "lb-small": 1 }, loadBalancerSizeUnitMonthly: 12, volumeGibMonthly: 0.1 };
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "prices-"));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const load = (table: Record<string, unknown>) => {
      const file = join(dir, "prices.json");
      writeFileSync(file, JSON.stringify(table));
      return () => loadPrices(file);
    };

    test("a good table is read, in USD unless it names a currency", () => {
      expect(load(good)()).toEqual({ currency: "USD", ...good });
      expect(load({ ...good, currency: "EUR" })().currency).toBe("EUR");
    });

    test.each([
      [{ asOf: "x2026-01-31" }, 'asOf "x2026-01-31" is not a date: expected YYYY-MM-DD'],
      [{ asOf: "2026-01-31x" }, 'asOf "2026-01-31x" is not a date: expected YYYY-MM-DD'],
      [{ asOf: 20260131 }, "asOf 20260131 is not a date: expected YYYY-MM-DD"],
      [{ dropletMonthly: undefined }, "dropletMonthly is missing: expected an object of slug → number"],
      [{ dropletMonthly: null }, "dropletMonthly is missing: expected an object of slug → number"],
      [{ dropletMonthly: { "s-1vcpu-1gb": 0 } }, "dropletMonthly.s-1vcpu-1gb 0 is not a price: expected a positive number"],
      [{ loadBalancerSizeUnits: { "lb-small": -1 } }, "loadBalancerSizeUnits.lb-small -1 is not a price: expected a positive number"],
      [{ loadBalancerSizeUnits: "lb-small" }, "loadBalancerSizeUnits is missing: expected an object of slug → number"],
      [{ loadBalancerSizeUnitMonthly: 0 }, "loadBalancerSizeUnitMonthly 0 is not a price: expected a positive number"],
      [{ volumeGibMonthly: "0.1" }, 'volumeGibMonthly "0.1" is not a price: expected a positive number'],
      [{ volumeGibMonthly: undefined }, "volumeGibMonthly undefined is not a price: expected a positive number"],
    ])("%j is rejected", (bad, message) => {
      const read = load({ ...good, ...bad });
      expect(read).toThrow(new Error(`price table ${join(dir, "prices.json")}: ${message}`));
    });
  });

  test("a droplet without a size and a load balancer of an unknown legacy size have no price", () => {
    const plan = planOf({
      digitalocean_droplet: { a: droplet({ size: null }) },
      digitalocean_loadbalancer: { lb: { name: "front", size: "lb-huge" }, unnamed: { size: "lb-small" }, plain: {} },
    });
    expect(estimateCost(plan, { ...prices, loadBalancerSizeUnits: { "lb-small": 2 }, loadBalancerSizeUnitMonthly: 10 }).lines).toEqual([
      { item: "droplet unknown size", quantity: 1 },
      { item: "load balancer front (size lb-huge)", quantity: 1 },
      { item: "load balancer unnamed (size units)", quantity: 2, unitPrice: 10, monthly: 20 },
      { item: "load balancer plain (size units)", quantity: 1, unitPrice: 10, monthly: 10 },
    ]);
  });
});

describe("firewall", () => {
  test("an inbound rule open to 0.0.0.0/0 or ::/0 is marked", () => {
    const plan = planOf({
      digitalocean_firewall: {
        f: { name: "fw", inbound_rule: [{ protocol: "tcp", port_range: "22", source_addresses: ["::/0"] }, { protocol: "tcp", port_range: "4222", source_addresses: ["10.0.0.0/8"] }] },
      },
    });
    expect(firewallReport(plan).inbound.map((opening) => [opening.port, opening.worldOpen])).toEqual([["22", true], ["4222", false]]);
    expect(renderSummary(plan, prices)).toContain(`| fw | 22 | tcp | ::/0 | ${WORLD_OPEN_MARKER} |`);
  });

  test("a tcp rule without a port range opens every port: shown as all, and marked when open to the world; icmp has no port", () => {
    const plan = planOf({
      digitalocean_firewall: {
        f: { name: "fw", inbound_rule: [{ protocol: "tcp", source_addresses: ["0.0.0.0/0"] }, { protocol: "icmp", source_addresses: ["10.0.0.0/8"] }] },
      },
    });
    expect(firewallReport(plan).inbound.map((opening) => [opening.port, opening.protocol, opening.worldOpen])).toEqual([["all", "tcp", true], ["-", "icmp", false]]);
    const summary = renderSummary(plan, prices);
    expect(summary).toContain(`| fw | all | tcp | 0.0.0.0/0 | ${WORLD_OPEN_MARKER} |`);
    expect(summary).toContain("1 inbound rule(s) open to the world.");
  });

  test.each(["::0/0", "0:0::/0", "1.2.3.4/0", "::ffff:0.0.0.0/96", "0.0.0.0/1, 128.0.0.0/1", "anyone", "2000::/3", "0.0.0.0/1, 128.0.0.0/2, 192.0.0.0/3", "0.0.0.0"])(
    "%s is open to the world too, and the summary does not say nothing is",
    (sources) => {
      const plan = planOf({
        digitalocean_firewall: { f: { name: "fw", inbound_rule: [{ protocol: "tcp", port_range: "22", source_addresses: sources.split(", ") }] } },
      });
      expect(firewallReport(plan).inbound.map((opening) => opening.worldOpen)).toEqual([true]);
      const summary = renderSummary(plan, prices);
      expect(summary).toContain(WORLD_OPEN_MARKER);
      expect(summary).not.toContain("Nothing is open to the world");
    },
  );

  test.each(["0.0.0.0/1", "203.0.113.0/24, 2001:db8::/32", "${var.admin_cidr}"])("%s is not open to the world", (sources) => {
    const plan = planOf({
      digitalocean_firewall: { f: { name: "fw", inbound_rule: [{ protocol: "tcp", port_range: "22", source_addresses: sources.split(", ") }] } },
    });
    expect(firewallReport(plan).inbound.map((opening) => opening.worldOpen)).toEqual([false]);
    expect(renderSummary(plan, prices)).toContain("Nothing is open to the world");
  });
});

describe("firewall sources in a state (Terraform's plan holds IDs and names, not references)", () => {
  // Built as valuesPlan builds a state: each resource's body carries its id.
  const state = planOf({
    digitalocean_loadbalancer: { lb: { id: "4de7ac8b-495b-4884-9a69-1050c6793cd6", name: "nats-lb" } },
    digitalocean_droplet: { d: { id: "412345678", name: "nats-1" } },
    digitalocean_tag: { t: { id: "nats", name: "nats" } },
    null_resource: { gate: { id: "5577006791947779410" } },
    digitalocean_firewall: {
      f: {
        id: "b1f7d0e2-0d4c-4ac1-8a53-5f6a2a2b7c11",
        name: "fw",
        inbound_rule: [
          { protocol: "tcp", port_range: "4222", source_load_balancer_uids: ["4de7ac8b-495b-4884-9a69-1050c6793cd6"] },
          { protocol: "tcp", port_range: "6222", source_tags: ["nats", "ops"], source_droplet_ids: ["412345678", "5577006791947779410"] },
        ],
      },
    },
  });

  test("an ID of a DigitalOcean resource reads as that resource, a tag the plan does not hold as a tag, any other ID as it is", () => {
    expect(firewallReport(state).inbound.map((opening) => opening.sources)).toEqual([
      ["load balancer nats-lb"],
      ["tag nats", "tag ops", "droplet nats-1", "5577006791947779410"],
    ]);
  });
});

describe("load balancer", () => {
  test("is read with its tag target, rules and health check in the plan's units", () => {
    const plan = planOf({
      digitalocean_tag: { t: { name: "nats-prod" } },
      digitalocean_loadbalancer: {
        lb: {
          name: "nats-lb",
          region: "fra1",
          droplet_tag: "${digitalocean_tag.t.name}",
          forwarding_rule: [{ entry_protocol: "tcp", entry_port: 4222, target_protocol: "tcp", target_port: 4333, tls_passthrough: true }],
          healthcheck: { protocol: "http", port: 8222, path: "/healthz", check_interval_seconds: 20, response_timeout_seconds: 7, healthy_threshold: 2, unhealthy_threshold: 6 },
          sticky_sessions: { type: "none" },
        },
        by_id: { region: "fra1", droplet_ids: [1, 2], forwarding_rule: [] },
      },
    });
    expect(describeLoadBalancers(plan)).toEqual([
      {
        name: "nats-lb",
        region: "fra1",
        targets: ["tag nats-prod"],
        rules: [{ entry: "tcp 4222", target: "tcp 4333", tlsPassthrough: true }],
        healthCheck: { protocol: "http", port: 8222, path: "/healthz", intervalSeconds: 20, timeoutSeconds: 7, healthyThreshold: 2, unhealthyThreshold: 6 },
        stickySessions: "none",
      },
      { name: "by_id", region: "fra1", targets: [], rules: [], healthCheck: undefined, stickySessions: undefined },
    ]);
  });

  test("targets by droplet id, a literal tag, a plain forwarding rule and a check without protocol", () => {
    const plan = planOf({
      digitalocean_droplet: { a: droplet({ name: "nats-1" }) },
      digitalocean_loadbalancer: {
        ids: { droplet_ids: ["${digitalocean_droplet.a.id}"], forwarding_rule: [{ entry_protocol: "tcp", entry_port: 4222, target_protocol: "tcp", target_port: 4222 }], healthcheck: { port: 4222 } },
        tagged: { droplet_tag: "nats-cluster" },
      },
    });
    expect(describeLoadBalancers(plan).map(({ name, targets, rules, healthCheck }) => ({ name, targets, rules, protocol: healthCheck?.protocol }))).toEqual([
      { name: "ids", targets: ["droplet nats-1"], rules: [{ entry: "tcp 4222", target: "tcp 4222", tlsPassthrough: false }], protocol: "?" },
      { name: "tagged", targets: ["tag nats-cluster"], rules: [], protocol: undefined },
    ]);
  });

  test("failover budget: fall checks an interval apart, the last one waiting the full timeout", () => {
    expect(failoverBudget(20, 7, 6)).toBe(127);
  });
});

describe("nats-server version", () => {
  test.each([
    ['method="release"\nversion="2.11.1"\n', "2.11.1"],
    ['method="apt"\nversion="2.10.24"\n', "apt"],
    ["curl https://github.com/nats-io/nats-server/releases/download/v2.9.25/x.tar.gz", "2.9.25"],
    ["#cloud-config\n", undefined],
  ])("is read from user_data %#", (userData, version) => {
    expect(natsVersionOf(userData)).toBe(version);
  });
});

test("a document that is not a JSON object is rejected, naming its source", () => {
  expect(() => parsePlan([], "x.json")).toThrow(/synthesized stack x.json is not a JSON object/);
});
