import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Server, Socket, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { queryServerStates, renderHaproxyConfig, scaledCheck } from "../twin/haproxy";
import { Plan, PlanLoadBalancer, readPlan } from "../twin/plan";

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

describe("the HAProxy config, rendered whole", () => {
  // A load balancer written out by hand: one tcp rule, an http check without a path.
  const plain = (): PlanLoadBalancer => ({
    id: "lb",
    name: "nats-lb",
    internal: false,
    dropletTag: "nats",
    forwardingRules: [{ entryPort: 4222, entryProtocol: "tcp", targetPort: 4333 }],
    healthCheck: { protocol: "http", port: 8222, path: undefined, intervalSeconds: 3, timeoutSeconds: 5, healthyThreshold: 5, unhealthyThreshold: 2 },
  });

  test("scales to whole milliseconds, rounding halves up", () => {
    expect(scaledCheck(plain(), 0.5)).toEqual({ protocol: "http", port: 8222, path: undefined, intervalMs: 1500, timeoutMs: 2500, rise: 5, fall: 2 });
    expect(scaledCheck(plain(), 0.0005)).toEqual({ protocol: "http", port: 8222, path: undefined, intervalMs: 2, timeoutMs: 3, rise: 5, fall: 2 });
    expect(scaledCheck(plain(), Number.MIN_VALUE)).toMatchObject({ intervalMs: 1, timeoutMs: 1 });
    expect(scaledCheck(plain(), 2)).toMatchObject({ intervalMs: 6000, timeoutMs: 10000 });
  });

  test("a tcp check keeps its protocol and port", () => {
    const tcp = { ...plain(), healthCheck: { ...plain().healthCheck, protocol: "tcp", port: 4333 } };
    expect(scaledCheck(tcp, 1)).toEqual({ protocol: "tcp", port: 4333, path: undefined, intervalMs: 3000, timeoutMs: 5000, rise: 5, fall: 2 });
  });

  test("an http check without a path asks for /, and the servers keep their order", () => {
    const servers = [
      { name: "nats-1", address: "127.0.0.11" },
      { name: "nats-3", address: "127.0.0.13" },
      { name: "nats-2", address: "127.0.0.12" },
    ];
    expect(renderHaproxyConfig(plain(), "127.0.0.10", servers, scaledCheck(plain(), 0.5), "/tmp/t/haproxy-lb.sock")).toBe(
      [
        "global",
        "  stats socket /tmp/t/haproxy-lb.sock mode 600 level admin",
        "",
        "defaults",
        "  timeout connect 5s",
        "  timeout client 1h",
        "  timeout server 1h",
        "  timeout check 2500ms",
        "",
        "frontend entry_4222",
        "  mode tcp",
        "  bind 127.0.0.10:4222",
        "  default_backend rule_4222",
        "",
        "backend rule_4222",
        "  mode tcp",
        "  balance roundrobin",
        "  option httpchk GET /",
        "  http-check expect status 200",
        "  server nats-1 127.0.0.11:4333 check port 8222 inter 1500ms rise 5 fall 2",
        "  server nats-3 127.0.0.13:4333 check port 8222 inter 1500ms rise 5 fall 2",
        "  server nats-2 127.0.0.12:4333 check port 8222 inter 1500ms rise 5 fall 2",
        "",
      ].join("\n"),
    );
  });

  test("a backend without servers and a tcp check has no server and no check lines", () => {
    const tcp = { ...plain(), healthCheck: { ...plain().healthCheck, protocol: "tcp", port: 4333 } };
    expect(renderHaproxyConfig(tcp, "127.0.0.20", [], scaledCheck(tcp, 1), "/s")).toBe(
      [
        "global",
        "  stats socket /s mode 600 level admin",
        "",
        "defaults",
        "  timeout connect 5s",
        "  timeout client 1h",
        "  timeout server 1h",
        "  timeout check 5000ms",
        "",
        "frontend entry_4222",
        "  mode tcp",
        "  bind 127.0.0.20:4222",
        "  default_backend rule_4222",
        "",
        "backend rule_4222",
        "  mode tcp",
        "  balance roundrobin",
        "",
      ].join("\n"),
    );
  });

  test("refuses a forwarding rule after good ones", () => {
    const mixed = { ...plain(), forwardingRules: [...plain().forwardingRules, { entryPort: 443, entryProtocol: "https", targetPort: 4222 }] };
    expect(() => renderHaproxyConfig(mixed, "127.0.0.10", [], scaledCheck(plain(), 1), "/s")).toThrow("forwarding rule entry_protocol https is not supported by the twin: expected tcp or http");
  });
});

describe("queryServerStates", () => {
  // A stand-in for HAProxy's stats socket: a unix socket in a temp dir that answers `show stat`
  // with CSV like HAProxy's (a header, then one row per frontend, server and backend, the
  // status in column 18) and anything else with HAProxy's "Unknown command", then closes.
  const HEADER = "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status";
  const row = (proxy: string, server: string, status: string): string => `${proxy},${server},0,0,0,1,,1,0,0,,0,,0,0,0,0,${status},1,1,0,0,0,12,0,,1,3,1,,1,,2,0,,1,L4OK`;

  let dir: string;
  let servers: Server[] = [];
  const sockets: Socket[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "twin-stats-"));
  });

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    servers = [];
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /**
   * Listens on a fresh socket file; answers the first line it receives with `answer(line)`,
   * written in `pieces` parts, then closes. Returns the path and the lines received.
   */
  async function statsSocket(answer: (line: string) => string, pieces = 1): Promise<{ path: string; received: string[] }> {
    const path = join(dir, `s${servers.length}-${Math.random().toString(36).slice(2, 8)}.sock`);
    const received: string[] = [];
    const server = createServer({ allowHalfOpen: true }, (socket) => {
      sockets.push(socket);
      let input = "";
      socket.setEncoding("utf8");
      socket.on("data", (chunk: string) => {
        input += chunk;
        const newline = input.indexOf("\n");
        if (newline < 0 || received.length > 0) return;
        received.push(input.slice(0, newline + 1));
        const text = answer(input.slice(0, newline));
        const size = Math.ceil(text.length / pieces);
        const parts = Array.from({ length: pieces }, (_unused, i) => text.slice(i * size, (i + 1) * size));
        const writeNext = (): void => {
          const part = parts.shift();
          if (part === undefined) {
            socket.end();
            return;
          }
          socket.write(part, () => setTimeout(writeNext, 5));
        };
        writeNext();
      });
    });
    servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(path, () => resolve());
    });
    return { path, received };
  }

  const showStat = (csv: string) => (line: string): string => (line === "show stat" ? csv : "Unknown command. Please enter one of the following commands only :\n");

  test("sends show stat and reads each server's state, skipping frontends, backends and other proxies", async () => {
    const csv = [
      HEADER,
      row("entry_4222", "FRONTEND", "OPEN"),
      row("rule_4222", "nats-1", "UP"),
      row("rule_4222", "nats-2", "DOWN"),
      row("rule_4222", "nats-3", "UP 1/3"),
      row("rule_4222", "BACKEND", "UP"),
      row("seed", "nats-4", "UP"),
      row("stats", "FRONTEND", "OPEN"),
      "",
      "",
    ].join("\n");
    const { path, received } = await statsSocket(showStat(csv));
    await expect(queryServerStates(path)).resolves.toEqual({ "nats-1": "UP", "nats-2": "DOWN", "nats-3": "UP 1/3" });
    expect(received).toEqual(["show stat\n"]);
  });

  test("a server in several backends is UP only when UP in all of them, else its first other state", async () => {
    const csv = [
      HEADER,
      row("rule_4222", "FRONTEND", "OPEN"),
      row("rule_4222", "nats-1", "UP"),
      row("rule_4222", "nats-2", "UP"),
      row("rule_4222", "nats-3", "DOWN"),
      row("rule_4222", "nats-4", "no check"),
      row("rule_4222", "BACKEND", "UP"),
      row("rule_8222", "nats-1", "UP"),
      row("rule_8222", "nats-2", "DOWN 1/2"),
      row("rule_8222", "nats-3", "UP 2/3"),
      row("rule_8222", "nats-4", "MAINT"),
      row("rule_8222", "BACKEND", "DOWN"),
      row("rule_9222", "nats-2", "UP"),
      row("rule_9222", "nats-3", "UP"),
      "",
    ].join("\n");
    const { path } = await statsSocket(showStat(csv));
    await expect(queryServerStates(path)).resolves.toEqual({ "nats-1": "UP", "nats-2": "DOWN 1/2", "nats-3": "DOWN", "nats-4": "no check" });
  });

  test("reads an answer that arrives in pieces", async () => {
    const csv = [HEADER, row("rule_4222", "nats-1", "UP"), row("rule_4222", "nats-2", "DOWN"), row("rule_4222", "BACKEND", "UP"), ""].join("\n");
    const { path } = await statsSocket(showStat(csv), 7);
    await expect(queryServerStates(path)).resolves.toEqual({ "nats-1": "UP", "nats-2": "DOWN" });
  });

  test("an answer without servers has no states", async () => {
    const { path } = await statsSocket(showStat(`${HEADER}\n${row("entry_4222", "FRONTEND", "OPEN")}\n`));
    await expect(queryServerStates(path)).resolves.toEqual({});
    const { path: empty } = await statsSocket(() => "");
    await expect(queryServerStates(empty)).resolves.toEqual({});
  });

  test("fails when nothing listens on the socket", async () => {
    await expect(queryServerStates(join(dir, "absent.sock"))).rejects.toMatchObject({ code: "ENOENT" });
  });
});
