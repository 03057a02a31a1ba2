import { TerraformVariable } from "cdktf";
import { NatsCluster } from "../constructs/nats-cluster";
import { clientLoadBalancer, resourcesOf, synthJson, testStack } from "./helpers";

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

  test("no seed load balancer for one node, with seedLoadBalancer false, and a tcp check on the client port without monitoring", () => {
    const internal = (props: object): Record<string, unknown>[] =>
      resourcesOf(synthJson(testStack(props)), "digitalocean_loadbalancer").filter((lb) => lb.network === "INTERNAL");
    expect(internal({ nodeCount: 1, jetstream: false, acknowledge: { "NATS-004": "test" } })).toEqual([]);
    // One jetstream node's configured route is to itself, never dialled: no load balancer for it.
    expect(internal({ nodeCount: 1, acknowledge: { "NATS-004": "test", "NATS-007": "test" } })).toEqual([]);
    expect(internal({ seedLoadBalancer: false, jetstream: false })).toEqual([]);
    expect(internal({ seedLoadBalancer: false })).toEqual([]);
    expect(internal({ monitoring: false })[0].healthcheck).toMatchObject({ protocol: "tcp", port: 4222 });
  });
});
