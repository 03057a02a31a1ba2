import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dependencyGraph, deployFacts, deployOrder, upstreamOf } from "../plan/graph";
import { stackFile, synthesize } from "../plan/synth";
import { Json, Plan, loadPlan, parsePlan } from "../plan/tf-json";

// Integration test: synthesizes the app in a child process.
jest.setTimeout(60_000);

function planOf(resource: Record<string, Record<string, Json>>): Plan {
  return parsePlan({ resource }, "test");
}

describe("dependency graph", () => {
  const plan = planOf({
    digitalocean_tag: { t: { name: "nats" } },
    digitalocean_droplet: {
      a: { tags: ["${digitalocean_tag.t.name}"] },
      b: { user_data: "--routes nats://${digitalocean_droplet.a.ipv4_address_private}:6222 and ${var.unknown}" },
    },
    null_resource: { g: { triggers: { all: '${join(",", [digitalocean_droplet.a.id, digitalocean_droplet.b.id])}' } } },
    digitalocean_loadbalancer: { lb: { droplet_tag: "nats", depends_on: ["digitalocean_tag.t"] } },
  });

  test("has edges from ${type.name...} references, inside functions too, and from depends_on", () => {
    const graph = dependencyGraph(plan);
    expect(graph.dependsOn.get("digitalocean_droplet.b")).toEqual(["digitalocean_droplet.a"]);
    expect(graph.dependsOn.get("null_resource.g")).toEqual(["digitalocean_droplet.a", "digitalocean_droplet.b"]);
    expect(graph.dependsOn.get("digitalocean_loadbalancer.lb")).toEqual(["digitalocean_tag.t"]);
    expect([...upstreamOf(graph, "null_resource.g")].sort()).toEqual(["digitalocean_droplet.a", "digitalocean_droplet.b", "digitalocean_tag.t"]);
  });

  test("orders resources in waves and finds the critical path", () => {
    const order = deployOrder(dependencyGraph(plan));
    expect(order.depth).toBe(4);
    expect(order.criticalPath).toEqual(["digitalocean_tag.t", "digitalocean_droplet.a", "digitalocean_droplet.b", "null_resource.g"]);
    expect(deployFacts(plan)).toMatchObject({ depth: 4, dropletWaves: 2, waitingForDroplets: [] });
  });

  test("reports a load balancer that waits for a droplet", () => {
    const waiting = planOf({ digitalocean_droplet: { a: {} }, digitalocean_loadbalancer: { lb: { droplet_ids: ["${digitalocean_droplet.a.id}"] } } });
    expect(deployFacts(waiting).waitingForDroplets).toEqual(["digitalocean_loadbalancer.lb"]);
  });

  test("rejects a cycle, naming it", () => {
    const cycle = planOf({ null_resource: { a: { triggers: { x: "${null_resource.b.id}" } }, b: { triggers: { x: "${null_resource.a.id}" } } } });
    expect(() => deployOrder(dependencyGraph(cycle))).toThrow(/dependency cycle: null_resource.a → null_resource.b → null_resource.a/);
  });
});

describe("the synthesized default stack", () => {
  const work = mkdtempSync(join(tmpdir(), "plan-graph-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test("has the same depth at 3, 11 and 25 nodes, droplets in one wave (they route through the seed load balancer), load balancer and firewall independent of droplets", () => {
    const facts = [3, 11, 25].map((nodes) => {
      const outdir = synthesize({ outdir: join(work, String(nodes)), env: { NATS_NODE_COUNT: String(nodes) } }).outdir;
      return deployFacts(loadPlan(stackFile(outdir, "nats")));
    });
    expect(new Set(facts.map((f) => f.depth)).size).toBe(1);
    // Every node, node 1 included (JetStream's route to itself), waits only for the seed load
    // balancer and its own volume: all droplets are created at once.
    for (const f of facts) {
      expect(f).toMatchObject({ dropletWaves: 1, waitingForDroplets: [] });
      // With TLS the droplets wait for their certificates, which wait for nothing the cloud creates.
      // (The CA's chain and a node key's chain through its request are equally long.)
      expect(f.criticalPath.map((address) => address.split(".")[0]).join(" → ")).toMatch(
        /^tls_private_key → tls_(self_signed_cert|cert_request) → tls_locally_signed_cert → digitalocean_droplet → null_resource$/,
      );
    }
  });
});
