import { TerraformStack, TerraformVariable, Testing } from "cdktf";
import { NatsCluster } from "../constructs/nats-cluster";
import { TerraformJson, clientLoadBalancer, resourcesOf, synthJson, testStack, validationProblems } from "./helpers";

describe("NatsCluster", () => {
  test("exposes droplets, load balancer, firewall, outputs and the gate", () => {
    const cluster = testStack({ nodeCount: 3 }).cluster;
    expect(cluster).toBeInstanceOf(NatsCluster);
    expect(cluster.droplets).toHaveLength(3);
    expect(cluster.loadBalancer).toBeDefined();
    expect(cluster.firewall).toBeDefined();
    expect(cluster.readinessGate).toBeDefined();
    expect(cluster.outputs.outputs.map((o) => o.friendlyUniqueId)).toEqual(["load_balancer_ip", "nats_url", "nodes", "ca_certificate", "tls_server_name", "client_secret"]);
  });

  test("monitoring off: tcp health check on the client port and no -m flag", () => {
    const json = synthJson(testStack({ monitoring: false }));
    expect(clientLoadBalancer(json).healthcheck).toMatchObject({ protocol: "tcp", port: 4222 });
    for (const d of resourcesOf(json, "digitalocean_droplet")) {
      const execStart = /^\s*ExecStart=.*$/m.exec(String(d.user_data))![0];
      expect(execStart).toContain("-p 4222 --cluster_name");
    }
  });

  test("publishing the monitor port adds an http rule and a monitoring URL", () => {
    const json = synthJson(testStack({ publishMonitor: true }));
    expect(clientLoadBalancer(json).forwarding_rule).toContainEqual(
      expect.objectContaining({ entry_protocol: "http", entry_port: 8222 }),
    );
    expect(json.output).toHaveProperty("monitoring_url");
  });

  test("rejects a published monitor port or an http check while monitoring is off", () => {
    expect(() => testStack({ monitoring: false, publishMonitor: true })).toThrow(/publishMonitor is true but monitoring is false/);
    expect(() => testStack({ monitoring: false, healthCheck: { protocol: "http" } })).toThrow(/healthCheck\.protocol "http" needs the monitor port, but monitoring is false/);
  });

  test("reports every problem of one configuration together", () => {
    const run = () => testStack({ nodeCount: 0, region: "Bangalore", clientPort: 70000, healthCheck: { unhealthyThreshold: 1 } });
    expect(run).toThrow(/nats\/cluster: 4 problems/);
    expect(run).toThrow(/nodeCount must be an integer from 1 to 25 \(every node routes to every other, so the mesh grows as n²\), got 0/);
    expect(run).toThrow(/region "Bangalore" is not valid: expected a region slug such as nyc3, fra1 or blr1/);
    expect(run).toThrow(/clientPort must be an integer from 1024 to 65535 .*, got 70000/);
    expect(run).toThrow(/healthCheck\.unhealthyThreshold must be an integer from 2 to 10, got 1/);
  });

  test("values known only at apply time are not judged at synth", () => {
    const stack = testStack({ readinessGate: false });
    const region = new TerraformVariable(stack, "region", { type: "string" });
    expect(() => new NatsCluster(stack, "other", { namePrefix: "other", region: region.stringValue, readinessGate: false })).not.toThrow();
  });

  test("an internal seed load balancer on the cluster port targets node 1 alone, by its seed tag", () => {
    const json = synthJson(testStack({ vpcUuid: "c1a5e5d0-1b2c-4d3e-8f90-123456789abc" }));
    const seed = resourcesOf(json, "digitalocean_loadbalancer").filter((lb) => lb.network === "INTERNAL");
    expect(seed).toEqual([
      expect.objectContaining({
        name: "nats-cluster-seed",
        region: "nyc3",
        vpc_uuid: "c1a5e5d0-1b2c-4d3e-8f90-123456789abc",
        droplet_tag: expect.stringMatching(/^\$\{digitalocean_tag\.cluster_seed-tag_\w+\.name\}$/),
        forwarding_rule: [{ entry_protocol: "tcp", entry_port: 6222, target_protocol: "tcp", target_port: 6222, tls_passthrough: false }],
        healthcheck: { protocol: "http", port: 8222, path: "/healthz?js-enabled-only=true", check_interval_seconds: 3, response_timeout_seconds: 3, healthy_threshold: 2, unhealthy_threshold: 2 },
      }),
    ]);
  });

  test("without jetstream the seed load balancer checks the plain /healthz", () => {
    const seed = resourcesOf(synthJson(testStack({ jetstream: false })), "digitalocean_loadbalancer").filter((lb) => lb.network === "INTERNAL");
    expect(seed.map((lb) => (lb.healthcheck as { path: string }).path)).toEqual(["/healthz"]);
  });

  test("the readiness gate changes no droplet: turning it on or off replaces nothing", () => {
    const droplets = (readinessGate: boolean): Record<string, unknown>[] => resourcesOf(synthJson(testStack({ readinessGate })), "digitalocean_droplet");
    const withGate = droplets(true);
    expect(withGate).toHaveLength(3);
    expect(droplets(false)).toEqual(withGate);
  });

  test("no seed load balancer for one node, with seedLoadBalancer false, and a tcp check on the client port without monitoring", () => {
    const internal = (props: object): Record<string, unknown>[] =>
      resourcesOf(synthJson(testStack(props)), "digitalocean_loadbalancer").filter((lb) => lb.network === "INTERNAL");
    expect(internal({ nodeCount: 1, jetstream: false, acknowledge: { "NATS-004": "test" } })).toEqual([]);
    // One jetstream node's configured route is to itself, never dialled: no load balancer for it.
    expect(internal({ nodeCount: 1, readinessGate: false, acknowledge: { "NATS-004": "test", "NATS-007": "test" } })).toEqual([]);
    expect(internal({ seedLoadBalancer: false, jetstream: false })).toEqual([]);
    expect(internal({ seedLoadBalancer: false })).toEqual([]);
    expect(internal({ monitoring: false })[0].healthcheck).toMatchObject({ protocol: "tcp", port: 4222 });
  });
});

describe("NatsCluster's names and derived-name checks", () => {
  const cluster = (props: ConstructorParameters<typeof NatsCluster>[2] = {}) => new NatsCluster(new TerraformStack(Testing.app(), "s"), "cluster", props);
  const problemsOf = (props: ConstructorParameters<typeof NatsCluster>[2]) => validationProblems(() => cluster(props));

  test("without a tag or name prefix every name derives from nats: tags, load balancers, firewall, volumes, the CA", () => {
    const made = cluster();
    expect(made.names).toEqual({
      tags: ["nats", "nats-seed"],
      droplets: ["nats-1", "nats-2", "nats-3"],
      loadBalancers: ["nats-lb", "nats-seed"],
      firewall: "nats-fw",
      volumes: ["nats-1-data", "nats-2-data", "nats-3-data"],
    });
    const json = JSON.parse(Testing.synth(TerraformStack.of(made))) as TerraformJson;
    expect(resourcesOf(json, "tls_self_signed_cert").map((ca) => (ca.subject as { common_name: string }[])[0].common_name)).toEqual(["nats NATS CA"]);
  });

  test("the name prefix names droplets, volumes and the CA; the cluster name the CA first; no volumes without jetstream", () => {
    expect(cluster({ namePrefix: "edge", nodeCount: 2 }).names).toMatchObject({ tags: ["edge", "edge-seed"], droplets: ["edge-1", "edge-2"], volumes: ["edge-1-data", "edge-2-data"] });
    expect(cluster({ namePrefix: "edge", jetstream: false }).names.volumes).toEqual([]);
    const ca = (props: ConstructorParameters<typeof NatsCluster>[2]) =>
      (resourcesOf(JSON.parse(Testing.synth(TerraformStack.of(cluster(props)))) as TerraformJson, "tls_self_signed_cert")[0].subject as { common_name: string }[])[0].common_name;
    expect(ca({ namePrefix: "edge" })).toBe("edge NATS CA");
    expect(ca({ namePrefix: "edge", clusterName: "east" })).toBe("east NATS CA");
  });

  test("a malformed tag is reported once, not again for each name made from it", () => {
    expect(problemsOf({ tag: "bad tag!" })).toEqual(['tag "bad tag!" is not valid: expected 1 to 255 letters, digits, colons, dashes or underscores']);
  });

  test("without a firewall its name is not checked", () => {
    expect(problemsOf({ tag: "My_Tag", firewall: false }).map((problem) => /makes the (.+?) "/.exec(problem)?.[1])).toEqual(["load balancer name", "seed load balancer name"]);
  });

  test("a tag too long for the seed tag says to choose a shorter one", () => {
    expect(problemsOf({ tag: "t".repeat(255) })).toContainEqual(
      `tag "${"t".repeat(255)}" makes the seed tag "${"t".repeat(255)}-seed", which digitalocean refuses (expected 1 to 255 letters, digits, colons, dashes or underscores): choose a shorter tag`,
    );
  });

  test("a health check without a protocol is http, which needs monitoring", () => {
    expect(problemsOf({ monitoring: false, healthCheck: { protocol: undefined, path: "/x" } })).toEqual([
      'healthCheck.protocol "http" needs the monitor port, but monitoring is false: use a tcp health check',
    ]);
  });

  test("volume props with jetstream off: remove it, or them", () => {
    expect(problemsOf({ jetstream: false, volumeSizeGib: 20 })).toEqual(["volumeSizeGib has no effect with jetstream off: no volumes are created; remove it"]);
    expect(problemsOf({ jetstream: false, volumeSizeGib: 20, protectVolumes: true })).toEqual(["volumeSizeGib, protectVolumes have no effect with jetstream off: no volumes are created; remove them"]);
  });
});
