import { Droplet } from "@cdktf/provider-digitalocean/lib/droplet";
import { Loadbalancer } from "@cdktf/provider-digitalocean/lib/loadbalancer";
import { Testing } from "cdktf";
import { APP_STACKS, buildStacks } from "../constructs/nats-app";
import { NatsStack } from "../constructs/nats-stack";
import { DEFAULT_STACK, TUTORIAL_STACK } from "../constructs/stacks";
import { DEFAULT_HEALTH_CHECK_JSON, TerraformJson, clientLoadBalancer, onlyResource, resourcesOf, synthJson } from "./helpers";

/** Droplets and load balancer name the tag through the tag resource, which is named "nats". */
const TAG_REF = "${digitalocean_tag.cluster_nodes_tag_96D8DAC5.name}";

/** The part of the load balancer a reviewer must see change: rules, health check, targets. */
function lbBlock(stack: NatsStack): Record<string, unknown> {
  const lb = clientLoadBalancer(synthJson(stack));
  const { forwarding_rule, healthcheck, sticky_sessions, droplet_tag, region, name } = lb;
  return { name, region, droplet_tag, forwarding_rule, healthcheck, sticky_sessions };
}

describe("nats-tutorial stack", () => {
  const stack = new NatsStack(Testing.app(), "nats-tutorial", TUTORIAL_STACK);
  const synth = Testing.synth(stack, true);

  test("load balancer rules and health check", () => {
    expect(lbBlock(stack)).toMatchSnapshot();
  });

  test("load balancer equals the tutorial's API payload", () => {
    // The tutorial's POST /v2/load_balancers body, translated to the provider's attribute names.
    expect(synth).toHaveResourceWithProperties(Loadbalancer, {
      name: "nats-lb",
      region: "blr1",
      droplet_tag: TAG_REF,
      forwarding_rule: [
        { entry_protocol: "tcp", entry_port: 4222, target_protocol: "tcp", target_port: 4222, tls_passthrough: false },
        { entry_protocol: "http", entry_port: 8222, target_protocol: "http", target_port: 8222, tls_passthrough: false },
      ],
      healthcheck: {
        protocol: "http",
        port: 8222,
        path: "/varz",
        check_interval_seconds: 5,
        response_timeout_seconds: 5,
        healthy_threshold: 5,
        unhealthy_threshold: 3,
      },
      sticky_sessions: { type: "none" },
    });
    const lb = clientLoadBalancer(JSON.parse(synth));
    expect(lb).not.toHaveProperty("algorithm");
    expect(lb).not.toHaveProperty("depends_on");
  });

  test("two droplets as in the tutorial, with the current Ubuntu image", () => {
    const droplets = resourcesOf(JSON.parse(synth), "digitalocean_droplet");
    expect(droplets.map((d) => d.name)).toEqual(["nats-droplet-1", "nats-droplet-2"]);
    for (const name of ["nats-droplet-1", "nats-droplet-2"]) {
      expect(synth).toHaveResourceWithProperties(Droplet, {
        name,
        region: "blr1",
        size: "s-1vcpu-1gb",
        image: "ubuntu-24-04-x64",
        ipv6: true,
        // The tutorial's droplets run no metrics agent.
        monitoring: false,
        tags: [TAG_REF],
      });
    }
    expect(resourcesOf(JSON.parse(synth), "digitalocean_tag")).toEqual([expect.objectContaining({ name: "nats" })]);
  });

  test("cluster port 5222 and the tutorial's flags", () => {
    const [seed, other] = resourcesOf(JSON.parse(synth), "digitalocean_droplet").map((d) => String(d.user_data));
    expect(seed).toContain("-p 4222 -m 8222 --cluster_name nats --cluster nats://$PRIVATE_IP:5222");
    expect(other).toMatch(/--routes nats:\/\/\$\{digitalocean_droplet\.[\w-]+\.ipv4_address_private\}:5222/);
  });
});

describe("nats stack (the careful default)", () => {
  const stack = new NatsStack(Testing.app(), "nats", DEFAULT_STACK);
  const json = synthJson(stack);

  test("load balancer rules and health check", () => {
    expect(lbBlock(stack)).toMatchSnapshot();
  });

  test("forwards only the client port and checks /healthz without the jetstream meta leader", () => {
    expect(Testing.synth(stack)).toHaveResourceWithProperties(Loadbalancer, {
      forwarding_rule: [{ entry_protocol: "tcp", entry_port: 4222, target_protocol: "tcp", target_port: 4222, tls_passthrough: false }],
      healthcheck: { ...DEFAULT_HEALTH_CHECK_JSON, path: "/healthz?js-enabled-only=true" },
      sticky_sessions: { type: "none" },
    });
  });

  test("three droplets with cluster port 6222", () => {
    const droplets = resourcesOf(json, "digitalocean_droplet");
    expect(droplets).toHaveLength(3);
    for (const d of droplets) {
      expect(String(d.user_data)).toContain("--cluster_advertise $PRIVATE_IP:6222");
      expect(String(d.user_data)).toContain("  host: $PRIVATE_IP\n        port: 6222\n");
    }
  });

  test("firewall, auth and readiness gate are present", () => {
    expect(resourcesOf(json, "digitalocean_firewall")).toHaveLength(1);
    expect(resourcesOf(json, "random_password")).toHaveLength(2);
    expect(resourcesOf(json, "null_resource")).toHaveLength(1);
  });
});

test("synthesis needs no DigitalOcean token", () => {
  const saved = process.env.DIGITALOCEAN_TOKEN;
  delete process.env.DIGITALOCEAN_TOKEN;
  try {
    const json = synthJson(new NatsStack(Testing.app(), "nats", DEFAULT_STACK));
    expect(json.provider?.digitalocean).toEqual([{}]);
  } finally {
    if (saved !== undefined) process.env.DIGITALOCEAN_TOKEN = saved;
  }
});

describe.each([
  ["nats", DEFAULT_STACK],
  ["nats-tutorial", TUTORIAL_STACK],
])("%s readiness gate", (name, props) => {
  test("runs verify against the new load balancer after every droplet replacement", () => {
    const gate = onlyResource(synthJson(new NatsStack(Testing.app(), name, props)), "null_resource");
    expect(gate).toMatchSnapshot();
  });
});

describe("stacks that share an account", () => {
  /** Every tag and resource name a synthesized stack would create, read from its JSON. */
  function namesIn(json: TerraformJson): Record<string, string[]> {
    const names = (type: string) => resourcesOf(json, type).map((r) => String(r.name));
    return {
      tags: names("digitalocean_tag"),
      droplets: names("digitalocean_droplet"),
      loadBalancers: names("digitalocean_loadbalancer"),
      firewalls: names("digitalocean_firewall"),
      volumes: names("digitalocean_volume"),
    };
  }

  // main.ts's stacks, plus one a user adds from the default props under another id.
  const app = Testing.app();
  const problems = buildStacks(app, {}, { ...APP_STACKS, demo: DEFAULT_STACK });
  const stacks = app.node.children.filter((child): child is NatsStack => child instanceof NatsStack);
  const names = Object.fromEntries(stacks.map((stack) => [stack.node.id, namesIn(synthJson(stack))]));

  test("each stack gets its own names: the tutorial keeps tag nats, the others derive theirs from the stack id", () => {
    expect(problems).toEqual([]);
    expect(names).toEqual({
      nats: {
        tags: ["nats-cluster", "nats-cluster-seed"],
        droplets: ["nats-1", "nats-2", "nats-3"],
        loadBalancers: ["nats-cluster-lb", "nats-cluster-seed"],
        firewalls: ["nats-cluster-fw"],
        volumes: ["nats-1-data", "nats-2-data", "nats-3-data"],
      },
      "nats-tutorial": { tags: ["nats"], droplets: ["nats-droplet-1", "nats-droplet-2"], loadBalancers: ["nats-lb"], firewalls: [], volumes: [] },
      demo: {
        tags: ["demo-cluster", "demo-cluster-seed"],
        droplets: ["demo-1", "demo-2", "demo-3"],
        loadBalancers: ["demo-cluster-lb", "demo-cluster-seed"],
        firewalls: ["demo-cluster-fw"],
        volumes: ["demo-1-data", "demo-2-data", "demo-3-data"],
      },
    });
  });

  test.each(["tags", "droplets", "loadBalancers", "firewalls", "volumes"])("no two stacks share any of their %s", (kind) => {
    const all = Object.values(names).flatMap((byKind) => byKind[kind]);
    expect(new Set(all).size).toBe(all.length);
  });

  test("names are settings: NATS_TAG, NATS_NAME_PREFIX and NATS_LOAD_BALANCER_NAME", () => {
    const custom = Testing.app();
    expect(buildStacks(custom, { NATS_TAG: "edge", NATS_NAME_PREFIX: "edge-node", NATS_LOAD_BALANCER_NAME: "edge-entry" })).toEqual([]);
    const stack = custom.node.findChild("nats") as NatsStack;
    expect(namesIn(synthJson(stack))).toEqual({
      tags: ["edge", "edge-seed"],
      droplets: ["edge-node-1", "edge-node-2", "edge-node-3"],
      loadBalancers: ["edge-entry", "edge-seed"],
      firewalls: ["edge-fw"],
      volumes: ["edge-node-1-data", "edge-node-2-data", "edge-node-3-data"],
    });
  });
});
