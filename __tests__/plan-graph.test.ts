import { DependencyGraph, dependencyGraph, deployFacts, deployOrder, upstreamOf, wavesOfType } from "../plan/graph";
import { planOf } from "./plan-fixtures";


/** A graph written out by hand: address → what it waits for, in insertion order. */
function graphOf(edges: Record<string, string[]>): DependencyGraph {
  return { dependsOn: new Map(Object.entries(edges)) };
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

describe("deploy order on hand-written graphs", () => {
  test("an empty graph has depth 0 and no critical path", () => {
    const order = deployOrder(graphOf({}));
    expect(order).toEqual({ wave: new Map(), depth: 0, criticalPath: [] });
  });

  test("a resource waiting for nothing is in wave 1", () => {
    expect(deployOrder(graphOf({ a: [] }))).toEqual({ wave: new Map([["a", 1]]), depth: 1, criticalPath: ["a"] });
  });

  test("a resource lands one wave after the latest thing it waits for, whatever the order of its dependencies", () => {
    const edges = { d: ["b", "c"], c: ["a"], b: [], a: [] };
    for (const order of [edges, { ...edges, d: ["c", "b"] }]) {
      const result = deployOrder(graphOf(order));
      expect([...result.wave].sort()).toEqual([["a", 1], ["b", 1], ["c", 2], ["d", 3]]);
      expect(result.depth).toBe(3);
      expect(result.criticalPath).toEqual(["a", "c", "d"]);
    }
  });

  test("of two equally long chains the critical path is the first one found", () => {
    expect(deployOrder(graphOf({ x1: [], x2: ["x1"], y1: [], y2: ["y1"] })).criticalPath).toEqual(["x1", "x2"]);
    expect(deployOrder(graphOf({ y1: [], y2: ["y1"], x1: [], x2: ["x1"] })).criticalPath).toEqual(["y1", "y2"]);
  });

  test("the critical path follows the dependency that set the wave, not a shorter one", () => {
    // c waits for a (wave 1) and b (wave 2): it follows b.
    expect(deployOrder(graphOf({ a: [], b: ["a"], c: ["a", "b"] })).criticalPath).toEqual(["a", "b", "c"]);
    // Of two dependencies in the same wave, the first listed.
    expect(deployOrder(graphOf({ x: [], y: [], c: ["x", "y"] })).criticalPath).toEqual(["x", "c"]);
  });

  test("a dependency outside the graph counts as waiting for nothing", () => {
    expect([...deployOrder(graphOf({ a: ["ghost"] })).wave]).toEqual([["ghost", 1], ["a", 2]]);
  });

  test("each resource is placed once, however many paths reach it (40 layers of two: 2^40 paths)", () => {
    const edges: Record<string, string[]> = { "l0-a": [], "l0-b": [] };
    for (let layer = 1; layer < 40; layer++) {
      const below = [`l${layer - 1}-a`, `l${layer - 1}-b`];
      edges[`l${layer}-a`] = below;
      edges[`l${layer}-b`] = below;
    }
    expect(deployOrder(graphOf(edges)).depth).toBe(40);
  });

  test("a self-dependency is a cycle", () => {
    expect(() => deployOrder(graphOf({ a: ["a"] }))).toThrow(new Error("dependency cycle: a → a"));
  });

  test("a longer cycle is named from where it was entered", () => {
    expect(() => deployOrder(graphOf({ a: ["b"], b: ["c"], c: ["a"] }))).toThrow(new Error("dependency cycle: a → b → c → a"));
  });

  test("upstreamOf follows every path once and excludes the start", () => {
    const graph = graphOf({ d: ["b", "c"], c: ["a"], b: ["a"], a: [] });
    expect([...upstreamOf(graph, "d")].sort()).toEqual(["a", "b", "c"]);
    expect([...upstreamOf(graph, "a")]).toEqual([]);
    expect([...upstreamOf(graph, "unknown")]).toEqual([]);
  });

  test("upstreamOf ends on a cycle (deployOrder is what rejects it)", () => {
    expect([...upstreamOf(graphOf({ a: ["b"], b: ["a"] }), "a")].sort()).toEqual(["a", "b"]);
  });

  test("wavesOfType lists the distinct waves of one type, ascending, by the type's full name", () => {
    const order = deployOrder(
      graphOf({
        "digitalocean_droplet.c": ["digitalocean_droplet.b"],
        "digitalocean_droplet.b": ["digitalocean_droplet.a"],
        "digitalocean_droplet.a": [],
        "digitalocean_droplet.a2": [],
        "digitalocean_droplet_snapshot.s": ["digitalocean_droplet.c"],
      }),
    );
    expect(wavesOfType(order, "digitalocean_droplet")).toEqual([1, 2, 3]);
    expect(wavesOfType(order, "digitalocean_droplet_snapshot")).toEqual([4]);
    expect(wavesOfType(order, "digitalocean_volume")).toEqual([]);
  });

  test("deployFacts: a firewall waiting for a droplet through another resource is named; one waiting for a tag is not", () => {
    const plan = planOf({
      digitalocean_tag: { t: { name: "n" } },
      digitalocean_droplet: { a: {}, b: { tags: ["${digitalocean_tag.t.name}"] } },
      null_resource: { gate: { triggers: { id: "${digitalocean_droplet.a.id}" } } },
      digitalocean_firewall: { late: { depends_on: ["null_resource.gate"] }, early: { tags: ["${digitalocean_tag.t.name}"] } },
    });
    expect(deployFacts(plan)).toEqual({
      depth: 3,
      criticalPath: ["digitalocean_droplet.a", "null_resource.gate", "digitalocean_firewall.late"],
      dropletWaves: 2,
      waitingForDroplets: ["digitalocean_firewall.late"],
    });
  });
});
