import { PlanDiff, diffPlans } from "../plan/diff";
import { NO_FIREWALL, WORLD_OPEN_MARKER, provenanceSection, renderDiff, renderSummary } from "../plan/markdown";
import { DROPLET_BOOT_SECONDS, RollEstimate, rollEstimate } from "../plan/roll-estimate";
import type { SettingsRecord } from "../plan/settings-record";
import { Json, Plan, parsePlan } from "../helpers/tf-json";
import { synthJson, testStack } from "./helpers";
import { TEST_PRICES as PRICES, planOf } from "./plan-fixtures";

// Unit test: plans are synthesized in-process (cdktf Testing) or written as literals.



/** The lines every summary ends with, after the cost table. */
const PRICES_NOTE = "List prices as of 2024-01-31, check digitalocean.com/pricing. Bandwidth, backups and taxes are not included.";
const TLS_NOTE = "TLS per listener (`mutual`: both sides present and verify certificates; `-`: no such listener):";
const NO_VOLUME_PROTECTED = "No volume is protected: `cdktf destroy` deletes them with their JetStream data (`protectVolumes` prevents it).";

const lines = (...text: readonly string[]): string => `${text.join("\n")}\n`;
/** How every review's diagram starts: its heading, the block, Mermaid's settings, the clients. */
const DIAGRAM_START = ["### Diagram", "", "```mermaid", "---", "config:", "  flowchart:", "    wrappingWidth: 400", "---", "flowchart LR", '  clients(["clients"])'];

describe("renderSummary", () => {
  let defaultStack: Plan;
  beforeAll(() => {
    // The default stack without its readiness gate: bundling verify for the gate runs esbuild.
    // Testing.synth writes no stack metadata, so the plan is named after its source.
    defaultStack = parsePlan(synthJson(testStack({ readinessGate: false })), "nats");
  });

  test("of the default stack", () => {
    expect(renderSummary(defaultStack, PRICES)).toBe(
      lines(
        "## Plan: `nats`",
        "",
        ...DIAGRAM_START,
        '  lb1["load balancer nats-cluster-lb<br/>tcp 4222 → tcp 4222"]',
        '  lb2["seed load balancer nats-cluster-seed<br/>tcp 6222 → tcp 6222"]',
        '  subgraph droplets["droplets behind firewall nats-cluster-fw"]',
        '    fw["inbound:<br/>tcp 4222 ← load balancer nats-cluster-lb<br/>tcp 8222 ← load balancer nats-cluster-lb<br/>tcp 8222 ← load balancer nats-cluster-seed<br/>tcp 6222 ← tag nats-cluster<br/>tcp 6222 ← load balancer nats-cluster-seed"]',
        "    style fw fill:#ffffff,stroke:#999999,stroke-dasharray:3 3,text-align:left",
        '    n1["nats-1 (seed)<br/>s-1vcpu-1gb · nyc3<br/>nats-server 2.15.0"]',
        '    n1v1[("nats-1-data<br/>10 GiB")]',
        "    n1 --- n1v1",
        '    n2["nats-2<br/>s-1vcpu-1gb · nyc3<br/>nats-server 2.15.0"]',
        '    n2v1[("nats-2-data<br/>10 GiB")]',
        "    n2 --- n2v1",
        '    n3["nats-3<br/>s-1vcpu-1gb · nyc3<br/>nats-server 2.15.0"]',
        '    n3v1[("nats-3-data<br/>10 GiB")]',
        "    n3 --- n3v1",
        "  end",
        '  clients -->|"tcp 4222"| lb1',
        "  lb1 --> n1",
        "  lb1 --> n2",
        "  lb1 --> n3",
        "  lb2 --> n1",
        "  n2 -.->|routes| lb2",
        "  n3 -.->|routes| lb2",
        "```",
        "",
        "### Resources (24)",
        "",
        "| type | count |",
        "| --- | --- |",
        "| `digitalocean_droplet` | 3 |",
        "| `digitalocean_firewall` | 1 |",
        "| `digitalocean_loadbalancer` | 2 |",
        "| `digitalocean_tag` | 2 |",
        "| `digitalocean_volume` | 3 |",
        "| `random_password` | 2 |",
        "| `tls_cert_request` | 3 |",
        "| `tls_locally_signed_cert` | 3 |",
        "| `tls_private_key` | 4 |",
        "| `tls_self_signed_cert` | 1 |",
        "",
        "### Nodes (3)",
        "",
        "| name | size | region | image | nats-server | role |",
        "| --- | --- | --- | --- | --- | --- |",
        "| nats-1 | s-1vcpu-1gb | nyc3 | ubuntu-24-04-x64 | 2.15.0 | seed |",
        "| nats-2 | s-1vcpu-1gb | nyc3 | ubuntu-24-04-x64 | 2.15.0 | routes to nats-1 |",
        "| nats-3 | s-1vcpu-1gb | nyc3 | ubuntu-24-04-x64 | 2.15.0 | routes to nats-1 |",
        "",
        TLS_NOTE,
        "",
        "| name | client | routes | monitor |",
        "| --- | --- | --- | --- |",
        "| nats-1 | on | mutual | off (http) |",
        "| nats-2 | on | mutual | off (http) |",
        "| nats-3 | on | mutual | off (http) |",
        "",
        "### Load balancer `nats-cluster-lb` (nyc3)",
        "",
        "Targets: tag nats-cluster. Sticky sessions: none.",
        "",
        "| entry | target | TLS passthrough |",
        "| --- | --- | --- |",
        "| tcp 4222 | tcp 4222 | no |",
        "",
        "Health check: http :8222/healthz?js-enabled-only=true every 3 s, timeout 3 s, healthy after 5, unhealthy after 2: a dead node leaves rotation within 9 s.",
        "",
        "### Load balancer `nats-cluster-seed` (nyc3)",
        "",
        "Targets: tag nats-cluster-seed. Sticky sessions: none.",
        "",
        "| entry | target | TLS passthrough |",
        "| --- | --- | --- |",
        "| tcp 6222 | tcp 6222 | no |",
        "",
        "Health check: http :8222/healthz?js-enabled-only=true every 3 s, timeout 3 s, healthy after 2, unhealthy after 2: a dead node leaves rotation within 9 s.",
        "",
        "### Volumes (3)",
        "",
        "| name | size | filesystem | region | attached to | protected |",
        "| --- | --- | --- | --- | --- | --- |",
        "| nats-1-data | 10 GiB | ext4 | nyc3 | nats-1 | no |",
        "| nats-2-data | 10 GiB | ext4 | nyc3 | nats-2 | no |",
        "| nats-3-data | 10 GiB | ext4 | nyc3 | nats-3 | no |",
        "",
        NO_VOLUME_PROTECTED,
        "",
        "### Firewall inbound",
        "",
        "Nothing is open to the world.",
        "",
        "| firewall | port | protocol | sources |  |",
        "| --- | --- | --- | --- | --- |",
        "| nats-cluster-fw | 4222 | tcp | load balancer nats-cluster-lb |  |",
        "| nats-cluster-fw | 8222 | tcp | load balancer nats-cluster-lb, load balancer nats-cluster-seed |  |",
        "| nats-cluster-fw | 6222 | tcp | tag nats-cluster, load balancer nats-cluster-seed |  |",
        "",
        "### Outputs (6)",
        "",
        "| name | sensitive | description |",
        "| --- | --- | --- |",
        "| `ca_certificate` |  | CA certificate (PEM) clients trust: terraform output -raw ca_certificate > ca.pem |",
        "| `client_secret` | 🔒 sensitive | Client token or password: terraform output -raw client_secret |",
        "| `load_balancer_ip` |  | Public IPv4 address of the load balancer |",
        "| `nats_url` |  | Client URL: every client connects through the load balancer |",
        "| `nodes` |  | Each node's public and private IPv4 address, by droplet name |",
        "| `tls_server_name` |  | TLS server name clients pass when they connect to the load balancer's IP |",
        "",
        "### Monthly cost estimate (USD)",
        "",
        "| item | quantity | unit price / month | month |",
        "| --- | --- | --- | --- |",
        // 3 × 7.50; one size unit each at 11.25; 10 GiB × 0.15 = 1.50, × 3.
        "| droplet s-1vcpu-1gb | 3 | $7.50 | $22.50 |",
        "| load balancer nats-cluster-lb (size units) | 1 | $11.25 | $11.25 |",
        "| load balancer nats-cluster-seed (size units) | 1 | $11.25 | $11.25 |",
        "| volume 10 GiB | 3 | $1.50 | $4.50 |",
        "| **total** |  |  | **$49.50** |",
        "",
        PRICES_NOTE,
        "",
        "### Deploy order",
        "",
        "Critical path: 4 resources one after another (`tls_private_key.cluster_tls_ca-key_5F881A17` → `tls_self_signed_cert.cluster_tls_ca_539C0220` → `tls_locally_signed_cert.cluster_tls_node-1-cert_209C7760` → `digitalocean_droplet.cluster_nodes_node-1_9627E290`).",
        "",
        "Droplets are created in 1 wave(s). The load balancer and firewall do not wait for any droplet.",
      ),
    );
  });

  test("of a stack without a firewall, with attributes missing and sizes that have no price", () => {
    const plan = planOf(
      {
        // Listed before the droplets: the resource table is sorted by type, not in plan order.
        digitalocean_volume: {
          v1: { name: "data-1", size: 15, region: "ams3", initial_filesystem_type: "xfs", lifecycle: { prevent_destroy: true } },
          v2: {},
        },
        digitalocean_droplet: {
          a: { volume_ids: ["${digitalocean_volume.v1.id}"] },
          b: { name: "edge-1", size: "s-9vcpu-odd", region: "ams3", image: "debian-12-x64", user_data: 'method="apt"\n' },
        },
        digitalocean_loadbalancer: {
          bare_lb: {},
          legacy: {
            name: "old-lb",
            size: "lb-medium",
            region: "sfo3",
            droplet_ids: ["${digitalocean_droplet.a.id}"],
            healthcheck: { protocol: "tcp", port: 4222 },
            forwarding_rule: [{ entry_protocol: "tcp", entry_port: 4222, target_protocol: "tcp", target_port: 4223, tls_passthrough: true }],
            sticky_sessions: { type: "cookies" },
          },
          huge: { name: "huge-lb", size: "lb-huge" },
        },
      },
      { plain: { value: 1 }, secret: { value: "x", sensitive: true }, described: { value: 2, description: "one | two | three\nfour\nfive" } },
    );
    expect(renderSummary(plan, PRICES)).toBe(
      lines(
        "## Plan: `t`",
        "",
        ...DIAGRAM_START,
        '  lb1["load balancer bare_lb"]',
        '  lb2["load balancer old-lb<br/>tcp 4222 → tcp 4223"]',
        '  lb3["load balancer huge-lb"]',
        '  subgraph droplets["droplets: no firewall, every port open to the world"]',
        "    style droplets fill:#f8d7da,stroke:#b02a37,color:#58151c",
        '    n1["a<br/>nats-server unknown"]',
        '    n1v1[("data-1<br/>15 GiB")]',
        "    n1 --- n1v1",
        '    n2["edge-1<br/>s-9vcpu-odd · ams3<br/>nats-server apt"]',
        "  end",
        "  clients --> lb1",
        '  clients -->|"tcp 4222"| lb2',
        "  lb2 --> n1",
        "  clients --> lb3",
        "```",
        "",
        "### Resources (7)",
        "",
        "| type | count |",
        "| --- | --- |",
        "| `digitalocean_droplet` | 2 |",
        "| `digitalocean_loadbalancer` | 3 |",
        "| `digitalocean_volume` | 2 |",
        "",
        "### Nodes (2)",
        "",
        "| name | size | region | image | nats-server | role |",
        "| --- | --- | --- | --- | --- | --- |",
        "| a | ? | ? | ? | unknown | - |",
        "| edge-1 | s-9vcpu-odd | ams3 | debian-12-x64 | apt | - |",
        "",
        TLS_NOTE,
        "",
        "| name | client | routes | monitor |",
        "| --- | --- | --- | --- |",
        "| a | off | - | - |",
        "| edge-1 | off | - | - |",
        "",
        "### Load balancer `bare_lb` (no region)",
        "",
        "Targets: none. Sticky sessions: provider default.",
        "",
        "| entry | target | TLS passthrough |",
        "| --- | --- | --- |",
        "",
        "Health check: provider default (tcp on the first target port).",
        "",
        "### Load balancer `old-lb` (sfo3)",
        "",
        "Targets: droplet a. Sticky sessions: cookies.",
        "",
        "| entry | target | TLS passthrough |",
        "| --- | --- | --- |",
        "| tcp 4222 | tcp 4223 | yes |",
        "",
        "Health check: tcp :4222 every ? s, timeout ? s, healthy after ?, unhealthy after ?.",
        "",
        "### Load balancer `huge-lb` (no region)",
        "",
        "Targets: none. Sticky sessions: provider default.",
        "",
        "| entry | target | TLS passthrough |",
        "| --- | --- | --- |",
        "",
        "Health check: provider default (tcp on the first target port).",
        "",
        "### Volumes (2)",
        "",
        "| name | size | filesystem | region | attached to | protected |",
        "| --- | --- | --- | --- | --- | --- |",
        "| data-1 | 15 GiB | xfs | ams3 | a | yes (prevent_destroy) |",
        "| v2 | ? | none | ? | none | no |",
        "",
        "1 volume(s) are not protected: `cdktf destroy` deletes them with their JetStream data (`protectVolumes` prevents it).",
        "",
        "### Firewall",
        "",
        "**No firewall: every port is open** on every droplet, to the whole internet.",
        "",
        "### Outputs (3)",
        "",
        "| name | sensitive | description |",
        "| --- | --- | --- |",
        "| `plain` |  |  |",
        "| `secret` | 🔒 sensitive |  |",
        "| `described` |  | one \\| two \\| three four five |",
        "",
        "### Monthly cost estimate (USD)",
        "",
        "| item | quantity | unit price / month | month |",
        "| --- | --- | --- | --- |",
        "| droplet unknown size | 1 | unknown | unknown |",
        "| droplet s-9vcpu-odd | 1 | unknown | unknown |",
        // No size: one size unit. lb-medium: 3 size units × 11.25. lb-huge: not in the table.
        "| load balancer bare_lb (size units) | 1 | $11.25 | $11.25 |",
        "| load balancer old-lb (size units) | 3 | $11.25 | $33.75 |",
        "| load balancer huge-lb (size lb-huge) | 1 | unknown | unknown |",
        // 15 GiB × 0.15; the volume without a size is not priced.
        "| volume 15 GiB | 1 | $2.25 | $2.25 |",
        "| **total** |  |  | **unknown** (at least $47.25: some sizes have no price) |",
        "",
        PRICES_NOTE,
        "",
        "### Deploy order",
        "",
        "Critical path: 3 resources one after another (`digitalocean_volume.v1` → `digitalocean_droplet.a` → `digitalocean_loadbalancer.legacy`).",
        "",
        "Droplets are created in 2 wave(s). Waiting for droplets: `digitalocean_loadbalancer.legacy`.",
      ),
    );
    expect(NO_FIREWALL).toBe("**No firewall: every port is open** on every droplet, to the whole internet.");
  });

  test("of a firewall with ports open to the world, marked", () => {
    const plan = planOf({
      digitalocean_tag: { t: { name: "nats" } },
      digitalocean_firewall: {
        f: {
          name: "fw",
          inbound_rule: [
            { protocol: "tcp", port_range: "22", source_addresses: ["0.0.0.0/0", "::/0"] },
            { protocol: "tcp", port_range: "4222", source_tags: ["${digitalocean_tag.t.name}"] },
            { protocol: "icmp" },
            { protocol: "udp", port_range: "53", source_addresses: ["10.0.0.0/8", "1.2.3.4/0"] },
            { source_addresses: ["192.0.2.0/24"] },
          ],
        },
      },
    });
    expect(renderSummary(plan, PRICES)).toBe(
      lines(
        "## Plan: `t`",
        "",
        ...DIAGRAM_START,
        '  subgraph droplets["droplets behind firewall fw"]',
        '    fw["inbound:<br/>🌍 tcp 22 ← 0.0.0.0/0<br/>🌍 tcp 22 ← ::/0<br/>tcp 4222 ← tag nats<br/>icmp - ← none<br/>🌍 udp 53 ← 10.0.0.0/8<br/>🌍 udp 53 ← 1.2.3.4/0<br/>? all ← 192.0.2.0/24"]',
        "    style fw fill:#ffffff,stroke:#999999,stroke-dasharray:3 3,text-align:left",
        "  end",
        "```",
        "",
        "### Resources (2)",
        "",
        "| type | count |",
        "| --- | --- |",
        "| `digitalocean_firewall` | 1 |",
        "| `digitalocean_tag` | 1 |",
        "",
        "### Nodes (0)",
        "",
        "| name | size | region | image | nats-server | role |",
        "| --- | --- | --- | --- | --- | --- |",
        "",
        TLS_NOTE,
        "",
        "| name | client | routes | monitor |",
        "| --- | --- | --- | --- |",
        "",
        "### Firewall inbound",
        "",
        "2 inbound rule(s) open to the world.",
        "",
        "| firewall | port | protocol | sources |  |",
        "| --- | --- | --- | --- | --- |",
        "| fw | 22 | tcp | 0.0.0.0/0, ::/0 | 🌍 **open to the world** |",
        "| fw | 4222 | tcp | tag nats |  |",
        "| fw | - | icmp | none |  |",
        "| fw | 53 | udp | 10.0.0.0/8, 1.2.3.4/0 | 🌍 **open to the world** |",
        "| fw | all | ? | 192.0.2.0/24 |  |",
        "",
        "### Outputs (0)",
        "",
        "| name | sensitive | description |",
        "| --- | --- | --- |",
        "",
        "### Monthly cost estimate (USD)",
        "",
        "| item | quantity | unit price / month | month |",
        "| --- | --- | --- | --- |",
        "| **total** |  |  | **$0.00** |",
        "",
        PRICES_NOTE,
        "",
        "### Deploy order",
        "",
        "Critical path: 2 resources one after another (`digitalocean_tag.t` → `digitalocean_firewall.f`).",
        "",
        "Droplets are created in 0 wave(s). The load balancer and firewall do not wait for any droplet.",
      ),
    );
    expect(WORLD_OPEN_MARKER).toBe("🌍 **open to the world**");
  });

  test("counts a single world-open rule", () => {
    const plan = planOf({
      digitalocean_firewall: { f: { name: "fw", inbound_rule: [{ protocol: "tcp", port_range: "22", source_addresses: ["::/0"] }, { protocol: "tcp", port_range: "4222", source_addresses: ["10.0.0.0/8"] }] } },
    });
    expect(renderSummary(plan, PRICES)).toContain(
      lines("### Firewall inbound", "", "1 inbound rule(s) open to the world.", "", "| firewall | port | protocol | sources |  |", "| --- | --- | --- | --- | --- |", "| fw | 22 | tcp | ::/0 | 🌍 **open to the world** |", "| fw | 4222 | tcp | 10.0.0.0/8 |  |"),
    );
  });

  test("says when every volume is protected", () => {
    const plan = planOf({ digitalocean_volume: { v: { name: "data", size: 20, region: "fra1", initial_filesystem_type: "ext4", lifecycle: { prevent_destroy: true } } } });
    expect(renderSummary(plan, PRICES)).toContain(
      lines(
        "### Volumes (1)",
        "",
        "| name | size | filesystem | region | attached to | protected |",
        "| --- | --- | --- | --- | --- | --- |",
        "| data | 20 GiB | ext4 | fra1 | none | yes (prevent_destroy) |",
        "",
        "Every volume is protected: `cdktf destroy` fails instead of deleting JetStream's data.",
        "",
        "### Firewall",
      ),
    );
  });

  test("leaves the volumes section out when there is no volume", () => {
    const summary = renderSummary(planOf({ digitalocean_tag: { t: { name: "x" } } }), PRICES);
    expect(summary).not.toContain("### Volumes");
    expect(summary).toContain("| --- | --- | --- | --- |\n\n### Firewall\n\n");
  });

  test.each([
    [
      "every value: with the failover budget",
      { protocol: "http", port: 8222, path: "/healthz", check_interval_seconds: 3, response_timeout_seconds: 4, healthy_threshold: 5, unhealthy_threshold: 2 },
      // 2 failed checks 3 s apart, the last one waiting 4 s.
      "http :8222/healthz every 3 s, timeout 4 s, healthy after 5, unhealthy after 2: a dead node leaves rotation within 10 s.",
    ],
    ["no unhealthy threshold: no budget", { protocol: "tcp", check_interval_seconds: 3, response_timeout_seconds: 4, healthy_threshold: 5 }, "tcp :? every 3 s, timeout 4 s, healthy after 5, unhealthy after ?."],
    ["no interval: no budget", { protocol: "tcp", port: 4222, response_timeout_seconds: 4, unhealthy_threshold: 2 }, "tcp :4222 every ? s, timeout 4 s, healthy after ?, unhealthy after 2."],
    ["no timeout nor protocol: no budget", { check_interval_seconds: 3, unhealthy_threshold: 2 }, "? :? every 3 s, timeout ? s, healthy after ?, unhealthy after 2."],
  ])("shows a health check with %s", (_label, healthcheck, text) => {
    const plan = planOf({ digitalocean_loadbalancer: { lb: { name: "lb", region: "fra1", healthcheck } } });
    expect(renderSummary(plan, PRICES)).toContain(`\n\nHealth check: ${text}\n\n`);
  });
});

describe("renderDiff", () => {
  const droplet = (overrides: Record<string, Json> = {}): Record<string, Json> => ({ image: "ubuntu-24-04-x64", region: "nyc3", size: "s-1vcpu-1gb", user_data: "#cloud-config\n", ...overrides });
  const routesToSeed = "routes ${digitalocean_droplet.a.ipv4_address_private}";
  const estimate: RollEstimate = { lameDuckSeconds: 30, bootSeconds: 90, healthySeconds: 15, perNodeSeconds: 135 };

  /** Replaces the seed n-1 (a new image), and with it n-2 and n-3 that route to its address; replaces one volume, shrinks another. */
  const replacingDiff = (): PlanDiff => {
    const before = planOf({
      digitalocean_droplet: { a: droplet({ name: "n-1" }), b: droplet({ name: "n-2", user_data: routesToSeed }), c: droplet({ name: "n-3", user_data: routesToSeed }) },
      digitalocean_volume: { v: { name: "data-1", region: "nyc3", size: 10 }, w: { name: "data-2", region: "nyc3", size: 20 } },
      digitalocean_firewall: { f: { name: "fw", tags: ["a"] } },
      digitalocean_tag: { old: { name: "old-tag" } },
    });
    const after = planOf({
      digitalocean_droplet: { a: droplet({ name: "n-1", image: "debian-12-x64" }), b: droplet({ name: "n-2", user_data: routesToSeed }), c: droplet({ name: "n-3", user_data: routesToSeed }) },
      digitalocean_volume: { v: { name: "data-1", region: "sfo3", size: 10 }, w: { name: "data-2", region: "nyc3", size: 10 } },
      digitalocean_firewall: { f: { name: "fw-2", tags: ["a", "b"] } },
      digitalocean_tag: { extra: { name: "extra" } },
    });
    return diffPlans(before, after);
  };

  const REPLACING = lines(
    "## Changes against `old/cdk.tf.json`",
    "",
    "**1 to add, 2 to change in place, 4 to replace, 0 to roll, 0 refused, 1 to destroy.**",
    "",
    "> ⚠️ **`cdktf deploy` stops 3 droplets itself**, all at once (Terraform applies them in parallel): `n-1`, `n-2`, `n-3`. **An outage.**",
    "",
    '> ⚠️ volume `data-1` is replaced: **its JetStream data is lost** (region: "nyc3" → "sfo3" (forces replacement)).',
    "",
    "> ⚠️ volume `data-2` would shrink from 20 to 10 GiB: DigitalOcean volumes only grow, the provider refuses this plan.",
    "",
    "> ⚠️ **The seed `n-1` is replaced. Every node routes to its address** (`n-2`, `n-3`): each is replaced with it, or, where deploy leaves it to the roll, cut off from it.",
    "",
    "Droplets replaced (destroyed and re-created, new IP addresses): `n-1`, `n-2`, `n-3`.",
    "",
    "| droplet | what Terraform does |",
    "| --- | --- |",
    "| n-1 | changed by `cdktf deploy`: replaces (image) |",
    "| n-2 | changed by `cdktf deploy`: replaces (user_data) |",
    "| n-3 | changed by `cdktf deploy`: replaces (user_data) |",
    "",
    "| action | resource | name | why |",
    "| --- | --- | --- | --- |",
    "| remove | `digitalocean_tag.old` | old-tag | - |",
    '| replace | `digitalocean_droplet.a` | n-1 | image: "ubuntu-24-04-x64" → "debian-12-x64" (forces replacement) |',
    "| replace | `digitalocean_droplet.b` | n-2 | user_data: uses digitalocean_droplet.a.ipv4_address_private of replaced n-1, known after apply (forces replacement) |",
    "| replace | `digitalocean_droplet.c` | n-3 | user_data: uses digitalocean_droplet.a.ipv4_address_private of replaced n-1, known after apply (forces replacement) |",
    '| replace | `digitalocean_volume.v` | data-1 | region: "nyc3" → "sfo3" (forces replacement) |',
    '| update | `digitalocean_firewall.f` | fw-2 | name: "fw" → "fw-2" (updatable in place)<br>tags: ["a"] → ["a","b"] (updatable in place) |',
    "| update | `digitalocean_volume.w` | data-2 | size: 20 → 10 (updatable in place) |",
    "| add | `digitalocean_tag.extra` | extra | - |",
  );

  test("of a change that replaces nodes: warnings first, then the droplets, then every change", () => {
    expect(renderDiff(replacingDiff(), "old/cdk.tf.json")).toBe(REPLACING);
  });

  test("of a change that replaces nodes, given a roll estimate: the same, nothing is left to the roll", () => {
    expect(renderDiff(replacingDiff(), "old/cdk.tf.json", { stack: "nats", estimate })).toBe(REPLACING);
  });

  test("with no change", () => {
    const plan = planOf({ digitalocean_droplet: { a: droplet({ name: "n-1" }) }, digitalocean_tag: { t: { name: "x" } } });
    expect(renderDiff(diffPlans(plan, plan), "main")).toBe(
      lines("## Changes against `main`", "", "**0 to add, 0 to change in place, 0 to replace, 0 to roll, 0 refused, 0 to destroy.**", "", "No droplet is replaced."),
    );
  });

  test("of a new size under the old lifecycle (user_data, image, ssh_keys ignored): deploy powers every node off at once, never 'without an outage'", () => {
    const lifecycle = { ignore_changes: ["user_data", "image", "ssh_keys"] };
    const cluster = (size: string): Plan =>
      planOf({ digitalocean_droplet: Object.fromEntries(["n1", "n2", "n3"].map((id, i) => [id, droplet({ name: `n-${i + 1}`, size, user_data: `#cloud-config\n# ${size}\n`, lifecycle })])) });
    const markdown = renderDiff(diffPlans(cluster("s-1vcpu-1gb"), cluster("s-2vcpu-4gb")), "old", { stack: "nats", estimate });
    expect(markdown).toContain("> ⚠️ **`cdktf deploy` stops 3 droplets itself**, all at once (Terraform applies them in parallel): `n-1`, `n-2`, `n-3`. **An outage.**");
    expect(markdown).toContain("No droplet is replaced.");
    expect(markdown).toContain("| n-1 | changed by `cdktf deploy`: powers off (size); left to `npm run roll` (user_data): deploy keeps the running droplet |");
    expect(markdown).not.toContain("without an outage");
  });

  test("of one droplet deploy powers off: named, without claiming an outage-free change", () => {
    const plan = (size: string, userData: string): Plan =>
      planOf({ digitalocean_droplet: { a: droplet({ name: "n-1", size }), b: droplet({ name: "n-2", user_data: userData, lifecycle: { ignore_changes: ["user_data"] } }) } });
    const markdown = renderDiff(diffPlans(plan("s-1vcpu-1gb", "x"), plan("s-2vcpu-4gb", "y")), "old");
    expect(markdown).toContain("> ⚠️ **`cdktf deploy` stops `n-1` itself.**");
    expect(markdown).toContain("Left to `npm run roll`, one droplet at a time: `n-2`.");
    expect(markdown).not.toContain("without an outage");
  });

  describe("of droplets left to the roll", () => {
    const userData = (version: string): string =>
      [
        "#cloud-config",
        "write_files:",
        "  - path: /etc/nats-server/nats-server.conf",
        "    content: |",
        '      lame_duck_duration: "45s"',
        "  - path: /usr/local/bin/install-nats-server",
        "    content: |",
        '      method="release"',
        `      version="${version}"`,
        "",
      ].join("\n");
    /** `count` droplets whose user_data deploy ignores, running nats-server `version`, behind a load balancer healthy after 3 checks 4 s apart. */
    const rolling = (version: string, count: number): Plan =>
      planOf({
        digitalocean_droplet: Object.fromEntries(
          Array.from({ length: count }, (_unused, i) => [`n${i + 1}`, droplet({ name: `n-${i + 1}`, user_data: userData(version), lifecycle: { ignore_changes: ["user_data"] } })]),
        ),
        digitalocean_loadbalancer: { lb: { name: "lb", healthcheck: { protocol: "http", healthy_threshold: 3, check_interval_seconds: 4 } } },
      });
    const rollDiff = (count: number): PlanDiff => diffPlans(rolling("2.10.1", count), rolling("2.10.2", count));
    const why = "user_data: changed, nats-server 2.10.1 → 2.10.2 (forces replacement: left to npm run roll)";
    const changes = [
      "",
      "No droplet is replaced.",
      "",
      "| droplet | what Terraform does |",
      "| --- | --- |",
      "| n-1 | left to `npm run roll` (user_data): deploy keeps the running droplet |",
      "| n-2 | left to `npm run roll` (user_data): deploy keeps the running droplet |",
      "",
      "| action | resource | name | why |",
      "| --- | --- | --- | --- |",
      `| roll | \`digitalocean_droplet.n1\` | n-1 | ${why} |`,
      `| roll | \`digitalocean_droplet.n2\` | n-2 | ${why} |`,
    ];

    test("without a roll estimate: the generic command and no time", () => {
      expect(renderDiff(rollDiff(2), "old")).toBe(
        lines(
          "## Changes against `old`",
          "",
          "**0 to add, 0 to change in place, 0 to replace, 2 to roll, 0 refused, 0 to destroy.**",
          "",
          "Left to `npm run roll`, one droplet at a time, without an outage (`cdktf deploy` stops none of them): `n-1`, `n-2`.",
          ...changes,
        ),
      );
    });

    test("with the roll estimate of the plan: the stack's command and the time for every node", () => {
      // 45 s lame duck + 90 s boot + 3 × 4 s = 147 s per node; 2 nodes, 294 s: about 5 min.
      expect(renderDiff(rollDiff(2), "old", { stack: "nats-tutorial", estimate: rollEstimate(rolling("2.10.2", 2)) })).toBe(
        lines(
          "## Changes against `old`",
          "",
          "**0 to add, 0 to change in place, 0 to replace, 2 to roll, 0 refused, 0 to destroy.**",
          "",
          "Left to `npm run roll -- --stack nats-tutorial`, one droplet at a time, without an outage (`cdktf deploy` stops none of them): `n-1`, `n-2`. About 5 min: 147 s (lame duck up to 45 s, droplet create and boot about 90 s, healthy behind the load balancer after 12 s) per node.",
          ...changes,
        ),
      );
    });

    test.each([
      [1, { lameDuckSeconds: 28, bootSeconds: 90, healthySeconds: 1, perNodeSeconds: 119 }, "About 119 s: 119 s (lame duck up to 28 s, droplet create and boot about 90 s, healthy behind the load balancer after 1 s) per node."],
      [1, { lameDuckSeconds: 29, bootSeconds: 90, healthySeconds: 1, perNodeSeconds: 120 }, "About 2 min: 120 s (lame duck up to 29 s, droplet create and boot about 90 s, healthy behind the load balancer after 1 s) per node."],
      [1, { lameDuckSeconds: 40, bootSeconds: 90, healthySeconds: 10, perNodeSeconds: 140 }, "About 2 min: 140 s (lame duck up to 40 s, droplet create and boot about 90 s, healthy behind the load balancer after 10 s) per node."],
      [2, estimate, "About 5 min: 135 s (lame duck up to 30 s, droplet create and boot about 90 s, healthy behind the load balancer after 15 s) per node."],
      [2, { lameDuckSeconds: 0, bootSeconds: 50, healthySeconds: 9, perNodeSeconds: 59 }, "About 118 s: 59 s (lame duck up to 0 s, droplet create and boot about 50 s, healthy behind the load balancer after 9 s) per node."],
    ] as const)("%i node(s) at %j per node", (count, rollTime, time) => {
      const names = count === 1 ? "`n-1`" : "`n-1`, `n-2`";
      expect(renderDiff(rollDiff(count), "old", { stack: "nats", estimate: rollTime }).split("\n")[4]).toBe(
        `Left to \`npm run roll -- --stack nats\`, one droplet at a time, without an outage (\`cdktf deploy\` stops none of them): ${names}. ${time}`,
      );
    });
  });
  test("of droplets every plan refuses beside one left to the roll: the refusals first, and no claim of an outage-free roll", () => {
    const lifecycle = { ignore_changes: ["user_data", "region"] };
    const plan = (region: string, userData: string): Plan =>
      planOf({
        digitalocean_droplet: {
          a: droplet({ name: "n-1", region, lifecycle }),
          b: droplet({ name: "n-2", region, lifecycle }),
          c: droplet({ name: "n-3", user_data: userData, lifecycle }),
        },
      });
    const markdown = renderDiff(diffPlans(plan("nyc3", "x"), plan("sfo3", "y")), "old");
    expect(markdown.split("\n\n").slice(0, 5)).toEqual([
      "## Changes against `old`",
      "**0 to add, 0 to change in place, 0 to replace, 1 to roll, 2 refused, 0 to destroy.**",
      "> ⛔ **Refused: every plan fails** (`cdktf deploy` and `npm run roll` alike) for `n-1`, `n-2`; see the table below.",
      "Left to `npm run roll`, one droplet at a time: `n-3`.",
      "No droplet is replaced.",
    ]);
    expect(markdown).toContain("| refuse | `digitalocean_droplet.a` | n-1 | region: \"nyc3\" → \"sfo3\" (forces replacement: refused, every plan fails) |");
  });

  test("of droplets left to the roll where nodes route to another's own address: the roll refuses the stack, and the way out is named", () => {
    const lifecycle = { ignore_changes: ["user_data"] };
    const routes = (version: string): string => `routes \${digitalocean_droplet.a.ipv4_address_private}\n# ${version}\n`;
    const plan = (version: string): Plan =>
      planOf({
        digitalocean_droplet: {
          a: droplet({ name: "n-1", user_data: `#cloud-config\n# ${version}\n`, lifecycle }),
          b: droplet({ name: "n-2", user_data: routes(version), lifecycle }),
          c: droplet({ name: "n-3", user_data: routes(version), lifecycle }),
        },
      });
    const markdown = renderDiff(diffPlans(plan("1"), plan("2")), "old", { stack: "nats", estimate });
    expect(markdown.split("\n\n").slice(1, 4)).toEqual([
      "**0 to add, 0 to change in place, 0 to replace, 3 to roll, 0 refused, 0 to destroy.**",
      "> ⚠️ Left to `npm run roll -- --stack nats`, **which refuses this stack**: `n-2`, `n-3` route to another node's own address, so no change reaches one node at a time: `n-1`, `n-2`, `n-3`. " +
        "Deploy with the seed load balancer first, or replace them all at once with `terraform apply -replace=…`, **an outage**.",
      "No droplet is replaced.",
    ]);
    expect(markdown).not.toContain("one droplet at a time:");
  });

  test("of a droplet added and one removed: deploy creates the one and shuts the other down before destroying it", () => {
    const before = planOf({ digitalocean_droplet: { a: droplet({ name: "n-1" }), d: droplet({ name: "n-4" }) } });
    const after = planOf({ digitalocean_droplet: { a: droplet({ name: "n-1" }), c: droplet({ name: "n-3" }) } });
    expect(renderDiff(diffPlans(before, after), "old")).toBe(
      lines(
        "## Changes against `old`",
        "",
        "**1 to add, 0 to change in place, 0 to replace, 0 to roll, 0 refused, 1 to destroy.**",
        "",
        "No droplet is replaced.",
        "",
        "| droplet | what Terraform does |",
        "| --- | --- |",
        "| n-4 | destroyed by `cdktf deploy` (shut down first) |",
        "| n-3 | created by `cdktf deploy` |",
        "",
        "| action | resource | name | why |",
        "| --- | --- | --- | --- |",
        "| remove | `digitalocean_droplet.d` | n-4 | - |",
        "| add | `digitalocean_droplet.c` | n-3 | - |",
      ),
    );
  });
});

describe("provenanceSection: what the plan was made with, and why the review synthesized it again", () => {
  const at = new Date("2024-05-01T12:34:56.789Z");
  const defaults: SettingsRecord = { settings: [], variables: { NATS_NODE_COUNT: null } };
  const fiveInFra1: SettingsRecord = {
    settings: [
      { setting: "nodeCount", source: "NATS_NODE_COUNT", value: 5 },
      { setting: "region", source: "context nats.region", value: "fra1" },
    ],
    variables: { NATS_NODE_COUNT: "5" },
  };
  const MADE_WITH_FIVE = "Made with these settings (others at the stack's defaults): `NATS_NODE_COUNT` = `5`, `context nats.region` = `\"fra1\"`.";

  test("a plan of the stack's defaults, reviewed as it was made", () => {
    expect(provenanceSection({ plan: { record: defaults }, at })).toBe("Made with the stack's defaults (no setting was set).");
    expect(provenanceSection({ plan: { record: defaults }, at, differs: [] })).toBe("Made with the stack's defaults (no setting was set).");
  });

  test("a plan of some settings names each by where it came from, with its value as JSON", () => {
    expect(provenanceSection({ plan: { record: fiveInFra1 }, at })).toBe(MADE_WITH_FIVE);
  });

  test("settings of this environment that differ from the plan's are a warning, naming each", () => {
    const differs = ['NATS_NODE_COUNT is "7" here, "5" in the plan', 'NATS_REGION is "ams3" here, unset in the plan'];
    expect(provenanceSection({ plan: { record: fiveInFra1 }, at, differs })).toBe(
      [
        MADE_WITH_FIVE,
        "> ⚠️ **Not made with this environment's settings**: `NATS_NODE_COUNT is \"7\" here, \"5\" in the plan`, `NATS_REGION is \"ams3\" here, unset in the plan`. `npx cdktf synth` makes the plan they describe.",
      ].join("\n\n"),
    );
  });

  test("a plan synthesized again says when and why, and what the plan it replaced was made with", () => {
    const synthesized = { reason: "main.ts changed since the plan was made", before: defaults };
    expect(provenanceSection({ plan: { record: fiveInFra1, synthesized }, at, differs: ['NATS_REGION is "ams3" here, unset in the plan'] })).toBe(
      [
        MADE_WITH_FIVE,
        "> ⚠️ **Not made with this environment's settings**: `NATS_REGION is \"ams3\" here, unset in the plan`. `npx cdktf synth` makes the plan they describe.",
        "> 🔄 **Synthesized again** by plan:summary at 2024-05-01T12:34:56.789Z, with this environment's settings: main.ts changed since the plan was made. The plan it replaced was made with the stack's defaults (no setting was set).",
      ].join("\n\n"),
    );
  });

  test("a plan synthesized where there was none has no earlier settings to name", () => {
    const synthesized = { reason: "cdktf.out had no plan of stack nats" };
    expect(provenanceSection({ plan: { record: defaults, synthesized }, at })).toBe(
      [
        "Made with the stack's defaults (no setting was set).",
        "> 🔄 **Synthesized again** by plan:summary at 2024-05-01T12:34:56.789Z, with this environment's settings: cdktf.out had no plan of stack nats.",
      ].join("\n\n"),
    );
  });

  test("renderSummary puts it between the heading and the diagram", () => {
    const summary = renderSummary(planOf({}), PRICES, { provenance: { plan: { record: fiveInFra1 }, at } });
    expect(summary.startsWith(`## Plan: \`t\`\n\n${MADE_WITH_FIVE}\n\n### Diagram\n\n`)).toBe(true);
  });
});

describe("rendered lists of two", () => {
  test("a load balancer's droplets and a volume's droplets are joined with commas", () => {
    const volume = "${digitalocean_volume.v.id}";
    const summary = renderSummary(
      planOf({
        digitalocean_volume: { v: { name: "shared", size: 10, region: "nyc3", initial_filesystem_type: "ext4" } },
        digitalocean_droplet: { a: { name: "n-1", volume_ids: [volume] }, b: { name: "n-2", volume_ids: [volume] } },
        digitalocean_loadbalancer: { lb: { name: "lb", region: "nyc3", droplet_ids: ["${digitalocean_droplet.a.id}", "${digitalocean_droplet.b.id}"] } },
      }),
      PRICES,
    ).split("\n");
    expect(summary).toContain("Targets: droplet n-1, droplet n-2. Sticky sessions: provider default.");
    expect(summary).toContain("| shared | 10 GiB | ext4 | nyc3 | n-1, n-2 | no |");
  });
});

describe("rollEstimate", () => {
  const conf = (...confLines: readonly string[]): string =>
    ["#cloud-config", "write_files:", "  - path: /etc/nats-server/nats-server.conf", "    content: |", ...confLines.map((line) => `      ${line}`), ""].join("\n");

  test("of the default stack: lame duck 30 s, 90 s to boot, healthy after 5 checks 3 s apart", () => {
    const plan = parsePlan(synthJson(testStack({ readinessGate: false })), "default");
    expect(rollEstimate(plan)).toEqual({ lameDuckSeconds: 30, bootSeconds: 90, healthySeconds: 15, perNodeSeconds: 135 });
    expect(DROPLET_BOOT_SECONDS).toBe(90);
  });

  test("reads the first droplet's lame_duck_duration and the public load balancer's health check, not the internal one's", () => {
    const plan = planOf({
      digitalocean_droplet: { a: { user_data: conf("port: 4222", "lame_duck_duration: 45s") }, b: { user_data: conf('lame_duck_duration: "10s"') } },
      digitalocean_loadbalancer: {
        seed: { network: "INTERNAL", healthcheck: { healthy_threshold: 2, check_interval_seconds: 2 } },
        public: { network: "EXTERNAL", healthcheck: { healthy_threshold: 3, check_interval_seconds: 4 } },
      },
    });
    expect(rollEstimate(plan)).toEqual({ lameDuckSeconds: 45, bootSeconds: 90, healthySeconds: 12, perNodeSeconds: 147 });
  });

  test("without droplets or load balancers: nats-server's 120 s lame duck and 5 checks 10 s apart", () => {
    expect(rollEstimate(planOf({}))).toEqual({ lameDuckSeconds: 120, bootSeconds: 90, healthySeconds: 50, perNodeSeconds: 260 });
    expect(rollEstimate(planOf({ digitalocean_droplet: { a: {} } }))).toEqual({ lameDuckSeconds: 120, bootSeconds: 90, healthySeconds: 50, perNodeSeconds: 260 });
  });

  test("an internal load balancer alone gives the default health check", () => {
    const plan = planOf({ digitalocean_loadbalancer: { seed: { network: "INTERNAL", healthcheck: { healthy_threshold: 2, check_interval_seconds: 2 } } } });
    expect(rollEstimate(plan).healthySeconds).toBe(50);
  });

  test.each([
    [{ healthy_threshold: 3 }, 30],
    [{ check_interval_seconds: 4 }, 20],
    [{}, 50],
  ])("a health check %j: healthy after %i s", (healthcheck, seconds) => {
    expect(rollEstimate(planOf({ digitalocean_loadbalancer: { lb: { healthcheck } } })).healthySeconds).toBe(seconds);
  });

  test.each([
    ['lame_duck_duration:"7s"', 7],
    ["lame_duck_duration: 45s", 45],
    ['  lame_duck_duration: "300s"', 300],
    ["# lame_duck_duration: 99s", 120],
    ["lame_duck_grace_period: 10s", 120],
  ])("lame duck from the line %s: %i s", (line, seconds) => {
    // Not on the first line of user_data: the pattern reads every line.
    const userData = `#cloud-config\nport: 4222\n${line}\n`;
    expect(rollEstimate(planOf({ digitalocean_droplet: { a: { user_data: userData } } })).lameDuckSeconds).toBe(seconds);
  });
});
