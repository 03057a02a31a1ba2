import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderHaproxyConfig, scaledCheck } from "../twin/haproxy";
import { Plan, readPlan } from "../twin/plan";

// The twin's reading of a plan and its HAProxy config, against a hand-written plan: every
// expected value below is a literal from that plan, scaled by hand.

const TAG = "${digitalocean_tag.tag_1.name}";
// The twin reads the release a droplet installs from its install script.
const USER_DATA = '#cloud-config\nwrite_files:\n  - content: |\n      version="2.15.1"\n';
const PLAN = {
  resource: {
    digitalocean_tag: { tag_1: { name: "nats-prod" } },
    digitalocean_droplet: {
      node_2: { name: "nats-2", user_data: USER_DATA, tags: [TAG] },
      node_10: { name: "nats-10", user_data: USER_DATA, tags: [TAG, "extra"] },
      node_1: { name: "nats-1", user_data: USER_DATA, tags: [TAG] },
    },
    digitalocean_loadbalancer: {
      lb: {
        name: "nats-lb",
        droplet_tag: TAG,
        forwarding_rule: [
          { entry_port: 4222, entry_protocol: "tcp", target_port: 4333, target_protocol: "tcp" },
          { entry_port: 8222, entry_protocol: "http", target_port: 8333, target_protocol: "http" },
        ],
        healthcheck: { protocol: "http", port: 8333, path: "/healthz", check_interval_seconds: 20, response_timeout_seconds: 7, healthy_threshold: 2, unhealthy_threshold: 6 },
      },
    },
    random_password: { route: {}, client: {} },
  },
};

const dir = mkdtempSync(join(tmpdir(), "twin-haproxy-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function planOf(json: object): Plan {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(json));
  return readPlan(file);
}

// Subjects are built inside the tests, not at describe level, so that a mutant (activated
// per test by Stryker) is seen by them.
describe("readPlan", () => {
  test("orders droplets by node number and resolves tag references", () => {
    const plan = planOf(PLAN);
    expect(plan.droplets.map((d) => [d.id, d.name, d.number, d.tags])).toEqual([
      ["node_1", "nats-1", 1, ["nats-prod"]],
      ["node_2", "nats-2", 2, ["nats-prod"]],
      ["node_10", "nats-10", 10, ["nats-prod", "extra"]],
    ]);
    expect(plan.passwords).toEqual(["route", "client"]);
  });

  test("reads the load balancer's rules and health check in the plan's units", () => {
    expect(planOf(PLAN).loadBalancer).toEqual({
      id: "lb",
      name: "nats-lb",
      internal: false,
      dropletTag: "nats-prod",
      forwardingRules: [
        { entryPort: 4222, entryProtocol: "tcp", targetPort: 4333 },
        { entryPort: 8222, entryProtocol: "http", targetPort: 8333 },
      ],
      healthCheck: { protocol: "http", port: 8333, path: "/healthz", intervalSeconds: 20, timeoutSeconds: 7, healthyThreshold: 2, unhealthyThreshold: 6 },
    });
  });

  test("fills in DigitalOcean's defaults for a health check without timers and thresholds", () => {
    const lb = { ...PLAN.resource.digitalocean_loadbalancer.lb, healthcheck: { protocol: "tcp", port: 4333 } };
    const bare = planOf({ resource: { ...PLAN.resource, digitalocean_loadbalancer: { lb } } });
    expect(bare.loadBalancer.healthCheck).toEqual({ protocol: "tcp", port: 4333, path: undefined, intervalSeconds: 10, timeoutSeconds: 5, healthyThreshold: 5, unhealthyThreshold: 3 });
  });

  test("a plan without random_password resources has no passwords", () => {
    const { random_password: _passwords, ...rest } = PLAN.resource;
    expect(planOf({ resource: rest }).passwords).toEqual([]);
  });

  test.each([
    ["no droplets", { digitalocean_droplet: {} }, /has no digitalocean_droplet resources/],
    ["two public load balancers", { digitalocean_loadbalancer: { a: PLAN.resource.digitalocean_loadbalancer.lb, b: PLAN.resource.digitalocean_loadbalancer.lb } }, /has 2 public digitalocean_loadbalancer resources: the twin needs exactly one/],
    ["a droplet without a node number", { digitalocean_droplet: { x: { name: "nats", user_data: "" } } }, /droplet name "nats" has no trailing node number/],
    ["a droplet whose number is not at the end", { digitalocean_droplet: { x: { name: "nats-1a", user_data: "" } } }, /droplet name "nats-1a" has no trailing node number/],
    ["a droplet without user data", { digitalocean_droplet: { x: { name: "nats-1" } } }, /droplet nats-1 has no user_data/],
    ["a tag reference to another plan", { digitalocean_tag: {} }, /tag \$\{digitalocean_tag\.tag_1\.name\} is not a literal or a reference/],
  ])("refuses a plan with %s", (_what, override, message) => {
    expect(() => planOf({ resource: { ...PLAN.resource, ...override } })).toThrow(message);
  });

  test.each([
    ["droplet_tag", { droplet_tag: undefined }, /load balancer lb has no droplet_tag: the twin targets droplets by tag only/],
    ["forwarding_rule", { forwarding_rule: [] }, /load balancer lb has no forwarding_rule/],
    ["healthcheck", { healthcheck: undefined }, /load balancer lb has no healthcheck/],
  ])("refuses a load balancer without %s", (_what, override, message) => {
    const lb = { ...PLAN.resource.digitalocean_loadbalancer.lb, ...override };
    expect(() => planOf({ resource: { ...PLAN.resource, digitalocean_loadbalancer: { lb } } })).toThrow(message);
  });
});

describe("the HAProxy config", () => {
  const lb = (): Plan["loadBalancer"] => planOf(PLAN).loadBalancer;

  test("scales the timers and keeps rise (healthy) and fall (unhealthy) apart", () => {
    expect(scaledCheck(lb(), 0.1)).toEqual({ protocol: "http", port: 8333, path: "/healthz", intervalMs: 2000, timeoutMs: 700, rise: 2, fall: 6 });
    expect(scaledCheck(lb(), 1)).toMatchObject({ intervalMs: 20000, timeoutMs: 7000 });
    expect(scaledCheck(lb(), 0.00001)).toMatchObject({ intervalMs: 1, timeoutMs: 1 });
  });

  test.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])("refuses the time scale %d", (scale) => {
    expect(() => scaledCheck(lb(), scale)).toThrow(`time scale ${scale} is not valid: expected a finite number above 0`);
  });

  test("refuses an https health check, which the twin cannot model", () => {
    expect(() => scaledCheck({ ...lb(), healthCheck: { ...lb().healthCheck, protocol: "https" } }, 1)).toThrow("health check protocol https is not supported by the twin: expected http or tcp");
  });

  test("has one frontend per rule, round robin to the rule's target port, and the plan's check on every server", () => {
    const servers = [
      { name: "nats-1", address: "127.0.0.11" },
      { name: "nats-2", address: "127.0.0.12" },
    ];
    const config = renderHaproxyConfig(lb(), "127.0.0.10", servers, scaledCheck(lb(), 0.1), "/run/twin.sock").split("\n");
    expect(config.slice(0, 10)).toEqual([
      "global",
      "  stats socket /run/twin.sock mode 600 level admin",
      "",
      "defaults",
      "  timeout connect 5s",
      "  timeout client 1h",
      "  timeout server 1h",
      "  timeout check 700ms",
      "",
      "frontend entry_4222",
    ]);
    expect(config[config.indexOf("backend rule_4222") - 1]).toBe("");
    expect(config.at(-1)).toBe("");
    const check = "check port 8333 inter 2000ms rise 2 fall 6";
    for (const [entry, target, mode] of [[4222, 4333, "tcp"], [8222, 8333, "http"]] as const) {
      const frontend = config.indexOf(`frontend entry_${entry}`);
      expect(config.slice(frontend + 1, frontend + 4)).toEqual([`  mode ${mode}`, `  bind 127.0.0.10:${entry}`, `  default_backend rule_${entry}`]);
      const backend = config.indexOf(`backend rule_${entry}`);
      expect(config.slice(backend + 1, backend + 7)).toEqual([
        `  mode ${mode}`,
        "  balance roundrobin",
        "  option httpchk GET /healthz",
        "  http-check expect status 200",
        `  server nats-1 127.0.0.11:${target} ${check}`,
        `  server nats-2 127.0.0.12:${target} ${check}`,
      ]);
    }
  });

  test("a tcp health check is a plain connect check on its port", () => {
    const tcp = { ...lb(), healthCheck: { ...lb().healthCheck, protocol: "tcp", port: 4333, path: undefined } };
    const config = renderHaproxyConfig(tcp, "127.0.0.10", [{ name: "nats-1", address: "127.0.0.11" }], scaledCheck(tcp, 1), "/s").split("\n");
    const backend = config.indexOf("backend rule_4222");
    expect(config.slice(backend + 1, backend + 4)).toEqual(["  mode tcp", "  balance roundrobin", "  server nats-1 127.0.0.11:4333 check port 4333 inter 20000ms rise 2 fall 6"]);
  });

  test("refuses a forwarding rule HAProxy cannot model", () => {
    const udp = { ...lb(), forwardingRules: [{ entryPort: 53, entryProtocol: "udp", targetPort: 53 }] };
    expect(() => renderHaproxyConfig(udp, "127.0.0.10", [], scaledCheck(lb(), 1), "/s")).toThrow("forwarding rule entry_protocol udp is not supported by the twin: expected tcp or http");
  });
});
