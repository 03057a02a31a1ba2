import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { checkHealth } from "../verify/checks/health";
import { checkMesh } from "../verify/checks/mesh";
import { checkRoundRobin } from "../verify/checks/round-robin";
import type { CheckContext } from "../verify/context";
import { httpGet, type HttpAnswer } from "../helpers/http";
import { describeSample, problemsAt, sampleThroughBalancer, serverIdOf, type Sampled } from "../verify/http";
import { Deadline } from "../helpers/retry";
import { fakeNats, stopFakeNats, type FakeNats } from "./fake-nats";
import { closedPort } from "./loopback";

// The HTTP side of `verify` against in-process fakes on 127.0.0.1: node:http servers that answer
// like nats-server monitors (/healthz, /varz, /routez), one that answers like a round-robin load
// balancer in front of several of them, and the fake NATS port of fake-nats.ts for the checks that
// connect. Every expected value is a literal written here; ports are the only values taken from
// the fakes.

/** What a fake HTTP server does with one request. */
type Reply =
  | { readonly status: number; readonly body: unknown }
  /** Never answers. */
  | "hang"
  /** Closes the connection without an answer. */
  | "drop";

type Handler = (path: string) => Reply;

interface FakeHttp {
  readonly url: string;
  /** Paths asked for, in order. */
  readonly paths: string[];
  readonly headers: IncomingHttpHeaders[];
}

const httpServers: Server[] = [];
afterEach(async () => {
  const closing = [
    stopFakeNats(),
    ...httpServers.splice(0).map((server) => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    }),
  ];
  await Promise.all(closing);
});

/** Starts an HTTP server on 127.0.0.1 that answers by `handler`; a string body is sent as is, anything else as JSON. */
async function serve(handler: Handler): Promise<FakeHttp> {
  const paths: string[] = [];
  const headers: IncomingHttpHeaders[] = [];
  const server = createServer((request, response) => {
    const path = request.url ?? "/";
    paths.push(path);
    headers.push(request.headers);
    const reply = handler(path);
    if (reply === "hang") return;
    if (reply === "drop") {
      request.socket.destroy();
      return;
    }
    const text = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
    response.writeHead(reply.status, { "content-type": typeof reply.body === "string" ? "text/plain" : "application/json" });
    response.end(text);
  });
  httpServers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, paths, headers };
}


/** What one fake nats-server monitor shows. */
interface MonitorSpec {
  readonly id: string;
  /** @default true */
  readonly healthy?: boolean;
  /** The `routes` field of /routez. @default [] */
  readonly routes?: unknown;
  /** @default 200 */
  readonly routezStatus?: number;
  /** @default 200 */
  readonly varzStatus?: number;
}

/** Answers like a nats-server monitor port. */
function monitor(spec: MonitorSpec): Handler {
  return (path) => {
    switch (path) {
      case "/healthz":
        return spec.healthy === false
          ? { status: 503, body: { status: "unavailable", error: "JetStream stream 'ORDERS' is not current" } }
          : { status: 200, body: { status: "ok" } };
      case "/varz":
        return { status: spec.varzStatus ?? 200, body: { server_id: spec.id, server_name: spec.id, version: "2.10.22", connections: 0 } };
      case "/routez": {
        const routes = spec.routes ?? [];
        return { status: spec.routezStatus ?? 200, body: { server_id: spec.id, num_routes: Array.isArray(routes) ? routes.length : 0, routes } };
      }
      default:
        return { status: 404, body: "404 page not found\n" };
    }
  };
}

/** Answers like a round-robin load balancer: request k goes to handler k mod n. */
function roundRobin(handlers: readonly Handler[]): Handler {
  let next = 0;
  return (path) => handlers[next++ % handlers.length](path);
}

/** /routez `routes` as nats-server 2.10+ lists them: pooled, 3 connections per peer. */
function pooledRoutes(...peers: string[]): object[] {
  return peers.flatMap((remote_id) => [1, 2, 3].map((rid) => ({ rid, remote_id, remote_name: remote_id })));
}

/** A Deadline whose every network step takes exactly `ms`, below the real one's 1 s floor. */
class FixedDeadline extends Deadline {
  constructor(private readonly ms: number) {
    super(60);
  }

  override stepMs(): number {
    return this.ms;
  }
}

function contextWith(fields: Partial<CheckContext>): CheckContext {
  return {
    natsUrl: "nats://127.0.0.1:1",
    nodeMonitors: [],
    expectNodes: 3,
    healthPath: "/healthz",
    jetstream: false,
    deadline: new Deadline(5),
    ...fields,
  };
}

// Long IDs, as nats-server makes them, so that the 8-character labels are seen.
const ID_A = "NAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
const ID_B = "NBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
const ID_C = "NCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC";

/** Waits (briefly) until the fake has no client connection left; returns how many stayed open. */
async function settledOpen(nats: FakeNats): Promise<number> {
  for (let i = 0; i < 40 && nats.open() > 0; i++) await new Promise((resolve) => setTimeout(resolve, 25));
  return nats.open();
}

describe("httpGet", () => {
  test("leaves no timer behind, answered or refused", async () => {
    const node = await serve(monitor({ id: "n1" }));
    const port = await closedPort();
    const timers = (): number => process.getActiveResourcesInfo().filter((resource) => resource === "Timeout").length;
    await httpGet(`${node.url}/varz`, 60_000);
    const before = timers();
    await httpGet(`${node.url}/varz`, 60_000);
    await httpGet(`${node.url}/healthz`, 60_000);
    await expect(httpGet(`http://127.0.0.1:${port}/varz`, 60_000)).rejects.toThrow("fetch failed");
    await expect(httpGet(`http://127.0.0.1:${port}/varz`, 60_000)).rejects.toThrow("fetch failed");
    expect(timers()).toBeLessThanOrEqual(before);
  });

  test("returns the status and the JSON object, asking for JSON", async () => {
    const node = await serve(monitor({ id: "n1", healthy: false }));
    await expect(httpGet(`${node.url}/healthz`, 2000)).resolves.toEqual({
      status: 503,
      json: { status: "unavailable", error: "JetStream stream 'ORDERS' is not current" },
    });
    expect(node.paths).toEqual(["/healthz"]);
    expect(node.headers[0].accept).toBe("application/json");
  });

  test("leaves json undefined for a body that is not a JSON object", async () => {
    const bodies = ["404 page not found\n", "[1,2]", "null", "\"ok\"", "42", ""];
    const node = await serve((path) => ({ status: 200, body: bodies[Number(path.slice(1))] }));
    for (let i = 0; i < bodies.length; i++) {
      await expect(httpGet(`${node.url}/${i}`, 2000)).resolves.toEqual({ status: 200, json: undefined });
    }
  });

  test("rejects with the URL and the timeout when no answer comes in time", async () => {
    const node = await serve(() => "hang");
    const started = Date.now();
    await expect(httpGet(`${node.url}/healthz`, 150)).rejects.toThrow(`no answer from ${node.url}/healthz within 150 ms`);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  test("waits up to its timeout for a slow answer", async () => {
    const server = createServer((_request, response) => {
      setTimeout(() => response.end(JSON.stringify({ status: "ok" })), 200);
    });
    httpServers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/healthz`;
    await expect(httpGet(url, 2000)).resolves.toEqual({ status: 200, json: { status: "ok" } });
    await expect(httpGet(url, 50)).rejects.toThrow(`no answer from ${url} within 50 ms`);
  });

  test("rejects when nothing listens", async () => {
    const port = await closedPort();
    await expect(httpGet(`http://127.0.0.1:${port}/varz`, 2000)).rejects.toThrow("fetch failed");
  });
});

describe("problemsAt", () => {
  test("asks every base for the path and keeps, in order, what the judge says and why there was no answer", async () => {
    const good = await serve(monitor({ id: "n1" }));
    const bad = await serve(monitor({ id: "n2", healthy: false }));
    const port = await closedPort();
    const closed = `http://127.0.0.1:${port}`;
    const judged: [string, HttpAnswer][] = [];
    const problems = await problemsAt([bad.url, closed, good.url], "/healthz", 2000, (base, answer) => {
      judged.push([base, answer]);
      return answer.status === 200 ? undefined : `${base} said ${answer.status}`;
    });
    expect(problems).toEqual([`${bad.url} said 503`, `${closed}: fetch failed (connect ECONNREFUSED 127.0.0.1:${port})`]);
    expect(good.paths).toEqual(["/healthz"]);
    expect(bad.paths).toEqual(["/healthz"]);
    expect(judged).toContainEqual([good.url, { status: 200, json: { status: "ok" } }]);
    expect(judged).toHaveLength(2);
  });

  test("returns nothing when every answer is fine, and names a timeout with its URL", async () => {
    const good = await serve(monitor({ id: "n1" }));
    await expect(problemsAt([good.url], "/varz", 2000, () => undefined)).resolves.toEqual([]);
    const silent = await serve(() => "hang");
    await expect(problemsAt([silent.url, good.url], "/varz", 100, () => undefined)).resolves.toEqual([
      `${silent.url}: no answer from ${silent.url}/varz within 100 ms`,
    ]);
  });
});

describe("serverIdOf", () => {
  test("the server_id when it is a string", () => {
    expect(serverIdOf({ status: 200, json: { server_id: "NABC" } })).toBe("NABC");
    expect(serverIdOf({ status: 503, json: { server_id: "" } })).toBe("");
    expect(serverIdOf({ status: 200, json: { server_id: 7 } })).toBeUndefined();
    expect(serverIdOf({ status: 200, json: { status: "ok" } })).toBeUndefined();
    expect(serverIdOf({ status: 200 })).toBeUndefined();
  });
});

describe("sampleThroughBalancer", () => {
  test("stops as soon as the wanted number of servers has answered", async () => {
    const lb = await serve(roundRobin([monitor({ id: "a" }), monitor({ id: "b" }), monitor({ id: "c" })]));
    const sampled = await sampleThroughBalancer(`${lb.url}/varz`, 2, 2000);
    expect([...sampled.byServer.keys()]).toEqual(["a", "b"]);
    expect(sampled.requests).toBe(2);
    expect(sampled.anonymous).toEqual([]);
    expect(sampled.lastError).toBeUndefined();
    expect(lb.paths).toEqual(["/varz", "/varz"]);
  });

  test("spends 4 × wanted + 4 requests when too few servers answer, keeping each server's last answer", async () => {
    const lb = await serve(roundRobin([monitor({ id: "a", varzStatus: 503 }), monitor({ id: "b" }), monitor({ id: "a" }), monitor({ id: "a" })]));
    const sampled = await sampleThroughBalancer(`${lb.url}/varz`, 3, 2000);
    expect(sampled.requests).toBe(16);
    expect(lb.paths).toHaveLength(16);
    expect([...sampled.byServer.keys()]).toEqual(["a", "b"]);
    // "a" answered 503 first and 200 last (request 16 went to the fourth handler).
    expect(sampled.byServer.get("a")?.status).toBe(200);
    expect(sampled.byServer.get("b")?.status).toBe(200);
    expect(sampled.anonymous).toEqual([]);
  });

  test("keeps answers without a server_id apart, and the last error", async () => {
    let request = 0;
    const lb = await serve((path) => {
      request++;
      if (request === 2) return "drop";
      return request === 3 ? monitor({ id: "a" })("/varz") : monitor({ id: "a" })(path);
    });
    const sampled = await sampleThroughBalancer(`${lb.url}/healthz`, 1, 2000);
    expect(sampled.requests).toBe(3);
    expect([...sampled.byServer.keys()]).toEqual(["a"]);
    expect(sampled.anonymous).toEqual([{ status: 200, json: { status: "ok" } }]);
    expect(sampled.lastError).toBe("fetch failed (other side closed)");
  });

  test("counts every refused request, up to the limit", async () => {
    const port = await closedPort();
    const sampled = await sampleThroughBalancer(`http://127.0.0.1:${port}/varz`, 1, 2000);
    expect(sampled.requests).toBe(8);
    expect(sampled.byServer.size).toBe(0);
    expect(sampled.anonymous).toEqual([]);
    expect(sampled.lastError).toBe(`fetch failed (connect ECONNREFUSED 127.0.0.1:${port})`);
  });
});

describe("describeSample", () => {
  const answer: HttpAnswer = { status: 200 };
  const sample = (ids: readonly string[], requests: number, lastError?: string): Sampled => ({
    byServer: new Map(ids.map((id) => [id, answer])),
    requests,
    anonymous: [],
    lastError,
  });

  test("how many servers of how many, in how many requests", () => {
    expect(describeSample(sample(["a", "b", "c"], 5), 3)).toBe("3/3 servers in 5 requests");
    expect(describeSample(sample(["a"], 1), 1)).toBe("1/1 servers in 1 request");
    expect(describeSample(sample([], 0), 2)).toBe("0/2 servers in 0 requests");
  });

  test("the last error only when servers are missing", () => {
    expect(describeSample(sample(["a"], 12, "fetch failed (other side closed)"), 2)).toBe("1/2 servers in 12 requests (last error: fetch failed (other side closed))");
    expect(describeSample(sample(["a", "b"], 3, "fetch failed (other side closed)"), 2)).toBe("2/2 servers in 3 requests");
    expect(describeSample(sample(["a", "b", "c"], 4, "fetch failed (other side closed)"), 2)).toBe("3/2 servers in 4 requests");
    expect(describeSample(sample([], 12), 2)).toBe("0/2 servers in 12 requests");
  });
});

describe("checkHealth from the node monitors", () => {
  test("every node answers 200", async () => {
    const nodes = await Promise.all(["a", "b", "c"].map((id) => serve(monitor({ id }))));
    const verdict = await checkHealth(contextWith({ nodeMonitors: nodes.map((n) => n.url) }));
    expect(verdict).toEqual({ ok: true, detail: "3/3 nodes answer 200 on /healthz" });
    expect(nodes.map((n) => n.paths)).toEqual([["/healthz"], ["/healthz"], ["/healthz"]]);
  });

  test("asks the configured health path", async () => {
    const nodes = await Promise.all(["a", "b"].map((id) => serve((path) => (path === "/healthz?js-enabled-only=true" ? { status: 200, body: { status: "ok" } } : monitor({ id, healthy: false })(path)))));
    const verdict = await checkHealth(contextWith({ nodeMonitors: nodes.map((n) => n.url), expectNodes: 2, healthPath: "/healthz?js-enabled-only=true" }));
    expect(verdict).toEqual({ ok: true, detail: "2/2 nodes answer 200 on /healthz?js-enabled-only=true" });
  });

  test("one node answers 503", async () => {
    const [a, b, c] = await Promise.all([serve(monitor({ id: "a" })), serve(monitor({ id: "b", healthy: false })), serve(monitor({ id: "c" }))]);
    const verdict = await checkHealth(contextWith({ nodeMonitors: [a.url, b.url, c.url] }));
    expect(verdict).toEqual({ ok: false, detail: `2/3 nodes answer 200 on /healthz; ${b.url} answered HTTP 503` });
  });

  test("one node is not listening and another answers 503", async () => {
    const [a, b] = await Promise.all([serve(monitor({ id: "a", healthy: false })), serve(monitor({ id: "b" }))]);
    const port = await closedPort();
    const verdict = await checkHealth(contextWith({ nodeMonitors: [a.url, `http://127.0.0.1:${port}`, b.url] }));
    expect(verdict).toEqual({
      ok: false,
      detail: `1/3 nodes answer 200 on /healthz; ${a.url} answered HTTP 503; http://127.0.0.1:${port}: fetch failed (connect ECONNREFUSED 127.0.0.1:${port})`,
    });
  });

  test("one node never answers within the step", async () => {
    const [a, b] = await Promise.all([serve(monitor({ id: "a" })), serve(() => "hang")]);
    const started = Date.now();
    const verdict = await checkHealth(contextWith({ nodeMonitors: [a.url, b.url], expectNodes: 2, deadline: new FixedDeadline(150) }));
    expect(verdict).toEqual({ ok: false, detail: `1/2 nodes answer 200 on /healthz; ${b.url}: no answer from ${b.url}/healthz within 150 ms` });
    expect(Date.now() - started).toBeLessThan(1500);
  });

  test("fewer or more healthy nodes than expected fail without a problem to name", async () => {
    const nodes = await Promise.all(["a", "b", "c"].map((id) => serve(monitor({ id }))));
    const urls = nodes.map((n) => n.url);
    await expect(checkHealth(contextWith({ nodeMonitors: urls.slice(0, 2), expectNodes: 3 }))).resolves.toEqual({ ok: false, detail: "2/3 nodes answer 200 on /healthz" });
    await expect(checkHealth(contextWith({ nodeMonitors: urls, expectNodes: 2 }))).resolves.toEqual({ ok: false, detail: "3/2 nodes answer 200 on /healthz" });
  });

  test("more node monitors than expected, one unhealthy: fails though as many as expected answer 200", async () => {
    const [a, b, c] = await Promise.all([serve(monitor({ id: "a" })), serve(monitor({ id: "b", healthy: false })), serve(monitor({ id: "c" }))]);
    const verdict = await checkHealth(contextWith({ nodeMonitors: [a.url, b.url, c.url], expectNodes: 2 }));
    expect(verdict).toEqual({ ok: false, detail: `2/2 nodes answer 200 on /healthz; ${b.url} answered HTTP 503` });
  });

  test("node monitors win over a published monitor port", async () => {
    const node = await serve(monitor({ id: "a" }));
    const port = await closedPort();
    const verdict = await checkHealth(contextWith({ nodeMonitors: [node.url], expectNodes: 1, lbMonitorUrl: `http://127.0.0.1:${port}` }));
    expect(verdict).toEqual({ ok: true, detail: "1/1 nodes answer 200 on /healthz" });
  });
});

describe("checkHealth through the load balancer", () => {
  test("with no monitor reachable it is left to the load balancer", async () => {
    await expect(checkHealth(contextWith({}))).resolves.toEqual({ ok: true, skipped: true, detail: "no node monitor is reachable from here (--nodes or --monitor-port reach one): the load balancer's own health check covers it" });
  });

  test("named answers: every server answers 200", async () => {
    const lb = await serve(roundRobin([ID_A, ID_B, ID_C].map((id) => monitor({ id }))));
    const verdict = await checkHealth(contextWith({ lbMonitorUrl: lb.url, healthPath: "/varz" }));
    expect(verdict).toEqual({ ok: true, detail: "3/3 servers answer 200 on /varz through the load balancer (3 requests)" });
    expect(lb.paths).toEqual(["/varz", "/varz", "/varz"]);
  });

  test("named answers: one server answers 503", async () => {
    const lb = await serve(roundRobin([monitor({ id: ID_A }), monitor({ id: ID_B, varzStatus: 503 }), monitor({ id: ID_C })]));
    const verdict = await checkHealth(contextWith({ lbMonitorUrl: lb.url, healthPath: "/varz" }));
    expect(verdict).toEqual({ ok: false, detail: "2/3 servers answer 200 on /varz through the load balancer (3 requests)" });
  });

  test("named answers: fewer servers than expected", async () => {
    const lb = await serve(roundRobin([monitor({ id: ID_A }), monitor({ id: ID_B })]));
    const verdict = await checkHealth(contextWith({ lbMonitorUrl: lb.url, healthPath: "/varz" }));
    expect(verdict).toEqual({ ok: false, detail: "2/3 servers answer 200 on /varz through the load balancer (16 requests)" });
  });

  test("named answers: one dropped request fails the check and is named", async () => {
    let request = 0;
    let served = 0;
    const nodes = [ID_A, ID_B, ID_C].map((id) => monitor({ id }));
    const lb = await serve((path) => (++request === 2 ? "drop" : nodes[served++ % 3](path)));
    const verdict = await checkHealth(contextWith({ lbMonitorUrl: lb.url, healthPath: "/varz" }));
    expect(verdict).toEqual({ ok: false, detail: "3/3 servers answer 200 on /varz through the load balancer (4 requests) (last error: fetch failed (other side closed))" });
  });

  test("named answers with one anonymous 503 among them fail the check", async () => {
    let request = 0;
    const lb = await serve(() => {
      request++;
      if (request === 2) return { status: 503, body: { status: "unavailable", error: "JetStream not current" } };
      return { status: 200, body: { server_id: `server-${request}` } };
    });
    const verdict = await checkHealth(contextWith({ lbMonitorUrl: lb.url, expectNodes: 2, healthPath: "/varz" }));
    expect(verdict).toEqual({ ok: false, detail: "2/2 servers answer 200 on /varz through the load balancer (3 requests)" });
  });

  test("anonymous answers: every request answered 200", async () => {
    const lb = await serve(roundRobin(["a", "b", "c"].map((id) => monitor({ id }))));
    const verdict = await checkHealth(contextWith({ lbMonitorUrl: lb.url }));
    expect(verdict).toEqual({ ok: true, detail: "16/16 requests answered 200 on /healthz through the load balancer (the answer does not name its server)" });
    expect(lb.paths).toHaveLength(16);
    expect(new Set(lb.paths)).toEqual(new Set(["/healthz"]));
  });

  test("anonymous answers: one node answering 503 shows in every third request", async () => {
    const lb = await serve(roundRobin([monitor({ id: "a" }), monitor({ id: "b" }), monitor({ id: "c", healthy: false })]));
    const verdict = await checkHealth(contextWith({ lbMonitorUrl: lb.url }));
    expect(verdict).toEqual({ ok: false, detail: "11/16 requests answered 200 on /healthz through the load balancer (the answer does not name its server)" });
  });

  test("anonymous answers: one dropped request fails the check and is named", async () => {
    let request = 0;
    const lb = await serve((path) => (++request === 5 ? "drop" : monitor({ id: "a" })(path)));
    const verdict = await checkHealth(contextWith({ lbMonitorUrl: lb.url, expectNodes: 1 }));
    expect(verdict).toEqual({
      ok: false,
      detail: "7/8 requests answered 200 on /healthz through the load balancer (the answer does not name its server) (last error: fetch failed (other side closed))",
    });
  });

  test("the published monitor port is closed", async () => {
    const port = await closedPort();
    const verdict = await checkHealth(contextWith({ lbMonitorUrl: `http://127.0.0.1:${port}`, expectNodes: 2 }));
    expect(verdict).toEqual({
      ok: false,
      detail: `0/12 requests answered 200 on /healthz through the load balancer (the answer does not name its server) (last error: fetch failed (connect ECONNREFUSED 127.0.0.1:${port}))`,
    });
  });

  test("the load balancer never answers within the step", async () => {
    const lb = await serve(() => "hang");
    const started = Date.now();
    const verdict = await checkHealth(contextWith({ lbMonitorUrl: lb.url, expectNodes: 1, deadline: new FixedDeadline(20) }));
    expect(verdict).toEqual({
      ok: false,
      detail: `0/8 requests answered 200 on /healthz through the load balancer (the answer does not name its server) (last error: no answer from ${lb.url}/healthz within 20 ms)`,
    });
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe("checkMesh from the node monitors", () => {
  test("every node is routed to every other node (pooled routes count once), and every server pair carries messages", async () => {
    const nodes = await Promise.all([
      serve(monitor({ id: ID_A, routes: pooledRoutes(ID_B, ID_C) })),
      serve(monitor({ id: ID_B, routes: pooledRoutes(ID_A, ID_C) })),
      serve(monitor({ id: ID_C, routes: pooledRoutes(ID_A, ID_B) })),
    ]);
    const nats = await fakeNats([{ id: ID_A }, { id: ID_B }, { id: ID_C }]);
    const verdict = await checkMesh(contextWith({ nodeMonitors: nodes.map((n) => n.url), natsUrl: nats.url }));
    expect(verdict).toEqual({ ok: true, detail: "each node's /routez: 3/3 nodes report 2 routes; messages between one connection per server: 6/6 server pairs carried messages" });
    expect(nodes.map((n) => n.paths)).toEqual([["/routez"], ["/routez"], ["/routez"]]);
    expect(await settledOpen(nats)).toBe(0);
  });

  test("two nodes report one route each", async () => {
    const nodes = await Promise.all([serve(monitor({ id: ID_A, routes: pooledRoutes(ID_B) })), serve(monitor({ id: ID_B, routes: pooledRoutes(ID_A) }))]);
    const nats = await fakeNats([{ id: ID_A }, { id: ID_B }]);
    const verdict = await checkMesh(contextWith({ nodeMonitors: nodes.map((n) => n.url), natsUrl: nats.url, expectNodes: 2 }));
    expect(verdict).toEqual({ ok: true, detail: "each node's /routez: 2/2 nodes report 1 route; messages between one connection per server: 2/2 server pairs carried messages" });
  });

  test("a partition that leaves every route listed fails: a server pair carries no message", async () => {
    // A cut route listener: the TCP connections stay ESTABLISHED, so /routez still lists them.
    const nodes = await Promise.all([
      serve(monitor({ id: ID_A, routes: pooledRoutes(ID_B, ID_C) })),
      serve(monitor({ id: ID_B, routes: pooledRoutes(ID_A, ID_C) })),
      serve(monitor({ id: ID_C, routes: pooledRoutes(ID_A, ID_B) })),
    ]);
    const nats = await fakeNats([{ id: ID_A, name: "n1" }, { id: ID_B, name: "n2" }, { id: ID_C, name: "n3" }], (from, to) => from !== to && (from === ID_A || to === ID_A));
    const verdict = await checkMesh(contextWith({ nodeMonitors: nodes.map((n) => n.url), natsUrl: nats.url, deadline: new FixedDeadline(300) }));
    expect(verdict).toEqual({
      ok: false,
      detail: "each node's /routez: 3/3 nodes report 2 routes; messages between one connection per server: 2/6 server pairs carried messages; missing n2 → n1, n3 → n1, n1 → n2, n1 → n3",
    });
    expect(await settledOpen(nats)).toBe(0);
  });

  test("entries without a string remote_id are not routes", async () => {
    const odd = [null, "route", 7, { rid: 1 }, { remote_id: 5 }, { remote_id: ID_B }];
    const nodes = await Promise.all([serve(monitor({ id: ID_A, routes: odd })), serve(monitor({ id: ID_B, routes: { remote_id: ID_A } }))]);
    const verdict = await checkMesh(contextWith({ nodeMonitors: nodes.map((n) => n.url), expectNodes: 2 }));
    expect(verdict).toEqual({ ok: false, detail: `each node's /routez: ${nodes[1].url} has 0 routes, expected 1` });
  });

  test("a route is missing on two nodes", async () => {
    const nodes = await Promise.all([
      serve(monitor({ id: ID_A, routes: pooledRoutes(ID_B) })),
      serve(monitor({ id: ID_B, routes: pooledRoutes(ID_A, ID_C) })),
      serve(monitor({ id: ID_C, routes: pooledRoutes(ID_B) })),
    ]);
    const verdict = await checkMesh(contextWith({ nodeMonitors: nodes.map((n) => n.url) }));
    expect(verdict).toEqual({ ok: false, detail: `each node's /routez: ${nodes[0].url} has 1 route, expected 2; ${nodes[2].url} has 1 route, expected 2` });
  });

  test("a node with more peers than expected is named", async () => {
    const nodes = await Promise.all([serve(monitor({ id: ID_A, routes: pooledRoutes(ID_B, ID_C) })), serve(monitor({ id: ID_B, routes: pooledRoutes(ID_A) }))]);
    const verdict = await checkMesh(contextWith({ nodeMonitors: nodes.map((n) => n.url), expectNodes: 2 }));
    expect(verdict).toEqual({ ok: false, detail: `each node's /routez: ${nodes[0].url} has 2 routes, expected 1` });
  });

  test("one node answers 503, one is not listening, one never answers", async () => {
    const [a, b] = await Promise.all([serve(monitor({ id: ID_A, routes: pooledRoutes(ID_B, ID_C), routezStatus: 503 })), serve(() => "hang")]);
    const port = await closedPort();
    const verdict = await checkMesh(contextWith({ nodeMonitors: [a.url, `http://127.0.0.1:${port}`, b.url], deadline: new FixedDeadline(120) }));
    expect(verdict).toEqual({
      ok: false,
      detail: `each node's /routez: ${a.url} answered HTTP 503; http://127.0.0.1:${port}: fetch failed (connect ECONNREFUSED 127.0.0.1:${port}); ${b.url}: no answer from ${b.url}/routez within 120 ms`,
    });
  });

  test("fewer or more node monitors than expected nodes, without asking them", async () => {
    const nodes = await Promise.all([serve(monitor({ id: ID_A })), serve(monitor({ id: ID_B }))]);
    const urls = nodes.map((n) => n.url);
    await expect(checkMesh(contextWith({ nodeMonitors: urls, expectNodes: 3 }))).resolves.toEqual({ ok: false, detail: "2 node monitors given for 3 expected nodes" });
    await expect(checkMesh(contextWith({ nodeMonitors: urls, expectNodes: 1 }))).resolves.toEqual({ ok: false, detail: "2 node monitors given for 1 expected nodes" });
    expect(nodes.map((n) => n.paths)).toEqual([[], []]);
  });

  test("node monitors win over a published monitor port", async () => {
    const nodes = await Promise.all([serve(monitor({ id: ID_A, routes: pooledRoutes(ID_B) })), serve(monitor({ id: ID_B, routes: pooledRoutes(ID_A) }))]);
    const port = await closedPort();
    const nats = await fakeNats([{ id: ID_A }, { id: ID_B }]);
    const verdict = await checkMesh(contextWith({ nodeMonitors: nodes.map((n) => n.url), natsUrl: nats.url, expectNodes: 2, lbMonitorUrl: `http://127.0.0.1:${port}` }));
    expect(verdict).toEqual({ ok: true, detail: "each node's /routez: 2/2 nodes report 1 route; messages between one connection per server: 2/2 server pairs carried messages" });
  });
});

describe("checkMesh through the load balancer", () => {
  test("every server reports routes to the others", async () => {
    const lb = await serve(roundRobin([
      monitor({ id: ID_A, routes: pooledRoutes(ID_B, ID_C) }),
      monitor({ id: ID_B, routes: pooledRoutes(ID_A, ID_C) }),
      monitor({ id: ID_C, routes: pooledRoutes(ID_A, ID_B) }),
    ]));
    const nats = await fakeNats([{ id: ID_A }, { id: ID_B }, { id: ID_C }]);
    const verdict = await checkMesh(contextWith({ lbMonitorUrl: lb.url, natsUrl: nats.url }));
    expect(verdict).toEqual({ ok: true, detail: "/routez through the load balancer: 3/3 servers report 2 routes (3 requests); messages between one connection per server: 6/6 server pairs carried messages" });
    expect(lb.paths).toEqual(["/routez", "/routez", "/routez"]);
  });

  test("one server in one request, and no pair of servers to check (not 0/0 pairs)", async () => {
    const lb = await serve(monitor({ id: ID_A, routes: [] }));
    const nats = await fakeNats([{ id: ID_A }]);
    const verdict = await checkMesh(contextWith({ lbMonitorUrl: lb.url, natsUrl: nats.url, expectNodes: 1 }));
    expect(verdict).toEqual({ ok: true, detail: "/routez through the load balancer: 1/1 servers report 0 routes (1 request); messages between one connection per server: reached the single server, no pair of servers to check" });
  });

  test("routes missing and a 503, named by the first 8 characters of the server_id", async () => {
    const lb = await serve(roundRobin([
      monitor({ id: ID_A, routes: pooledRoutes(ID_B, ID_C) }),
      monitor({ id: ID_B, routes: pooledRoutes(ID_A) }),
      monitor({ id: ID_C, routes: pooledRoutes(ID_A, ID_B), routezStatus: 503 }),
    ]));
    const verdict = await checkMesh(contextWith({ lbMonitorUrl: lb.url }));
    expect(verdict).toEqual({ ok: false, detail: "/routez through the load balancer: server NBBBBBBB has 1 route, expected 2; server NCCCCCCC answered HTTP 503" });
  });

  test("fewer servers than expected answer", async () => {
    const lb = await serve(roundRobin([monitor({ id: ID_A, routes: pooledRoutes(ID_B, ID_C) }), monitor({ id: ID_B, routes: pooledRoutes(ID_A, ID_C) })]));
    const verdict = await checkMesh(contextWith({ lbMonitorUrl: lb.url }));
    expect(verdict).toEqual({ ok: false, detail: "/routez through the load balancer: reached 2/3 servers in 16 requests" });
  });

  test("anonymous answers name no server", async () => {
    const lb = await serve(() => ({ status: 200, body: { num_routes: 2, routes: pooledRoutes(ID_B, ID_C) } }));
    const verdict = await checkMesh(contextWith({ lbMonitorUrl: lb.url, expectNodes: 1 }));
    expect(verdict).toEqual({ ok: false, detail: "/routez through the load balancer: reached 0/1 servers in 8 requests" });
  });

  test("the published monitor port is closed", async () => {
    const port = await closedPort();
    const verdict = await checkMesh(contextWith({ lbMonitorUrl: `http://127.0.0.1:${port}`, expectNodes: 2 }));
    expect(verdict).toEqual({ ok: false, detail: `/routez through the load balancer: reached 0/2 servers in 12 requests (last error: fetch failed (connect ECONNREFUSED 127.0.0.1:${port}))` });
  });

  test("the load balancer never answers within the step", async () => {
    const lb = await serve(() => "hang");
    const verdict = await checkMesh(contextWith({ lbMonitorUrl: lb.url, expectNodes: 1, deadline: new FixedDeadline(20) }));
    expect(verdict).toEqual({ ok: false, detail: `/routez through the load balancer: reached 0/1 servers in 8 requests (last error: no answer from ${lb.url}/routez within 20 ms)` });
  });
});

describe("checkMesh with messages alone (no monitor reachable)", () => {
  test("every server pair carries a message, and the connections are closed", async () => {
    const nats = await fakeNats([{ id: ID_A, name: "n1" }, { id: ID_B, name: "n2" }, { id: ID_C }]);
    const started = Date.now();
    const verdict = await checkMesh(contextWith({ natsUrl: nats.url }));
    expect(verdict).toEqual({ ok: true, detail: "messages between one connection per server: 6/6 server pairs carried messages" });
    // Done as soon as every pair has carried a message, well within the delivery budget (a 5 s step).
    expect(Date.now() - started).toBeLessThan(3000);
    expect(await settledOpen(nats)).toBe(0);
    expect(nats.unsubscribed()).toBe(3);
  });

  test("the pairs that carried nothing, by server name or the first 8 characters of the id, never a server with itself", async () => {
    const nats = await fakeNats(
      [{ id: ID_A, name: "n1" }, { id: ID_B, name: "n2" }, { id: ID_C }],
      (from, to) => (from === ID_A && to === ID_C) || (from === ID_C && to === ID_B) || (from === ID_C && to === ID_C),
    );
    // The delivery budget is one step of the deadline.
    const started = Date.now();
    const verdict = await checkMesh(contextWith({ natsUrl: nats.url, deadline: new FixedDeadline(400) }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(verdict).toEqual({
      ok: false,
      detail: "messages between one connection per server: 4/6 server pairs carried messages; missing NCCCCCCC → n2, n1 → NCCCCCCC",
    });
    expect(await settledOpen(nats)).toBe(0);
    expect(nats.unsubscribed()).toBe(3);
  });

  test("fewer servers than expected behind the client port", async () => {
    const nats = await fakeNats([{ id: ID_A, name: "n1" }]);
    const verdict = await checkMesh(contextWith({ natsUrl: nats.url, expectNodes: 2 }));
    expect(verdict).toEqual({ ok: false, detail: "messages between one connection per server: reached 1/2 servers in 12 connections" });
    expect(await settledOpen(nats)).toBe(0);
  });

  test("the client port is closed", async () => {
    const port = await closedPort();
    const verdict = await checkMesh(contextWith({ natsUrl: `nats://127.0.0.1:${port}`, expectNodes: 2 }));
    expect(verdict).toEqual({
      ok: false,
      detail: `messages between one connection per server: reached 0/2 servers in 12 connections (last error: connection refused (connect ECONNREFUSED 127.0.0.1:${port}))`,
    });
  });
});

describe("checkRoundRobin", () => {
  test("new connections reach every server; without a published monitor nothing else is asked", async () => {
    const nats = await fakeNats([{ id: ID_A }, { id: ID_B }, { id: ID_C }]);
    const verdict = await checkRoundRobin(contextWith({ natsUrl: nats.url }));
    expect(verdict).toEqual({ ok: true, detail: "3/3 servers in 3 connections" });
    expect(await settledOpen(nats)).toBe(0);
  });

  test("with a published monitor, /varz through it reaches every server too", async () => {
    const nats = await fakeNats([{ id: ID_A }, { id: ID_B }]);
    const lb = await serve(roundRobin([monitor({ id: ID_A }), monitor({ id: ID_B })]));
    const verdict = await checkRoundRobin(contextWith({ natsUrl: nats.url, lbMonitorUrl: lb.url, expectNodes: 2 }));
    expect(verdict).toEqual({ ok: true, detail: "2/2 servers in 2 connections; /varz through the load balancer: 2/2 servers in 2 requests" });
    expect(lb.paths).toEqual(["/varz", "/varz"]);
  });

  test("/varz through the load balancer reaches too few servers", async () => {
    const nats = await fakeNats([{ id: ID_A }, { id: ID_B }]);
    const lb = await serve(monitor({ id: ID_A }));
    const verdict = await checkRoundRobin(contextWith({ natsUrl: nats.url, lbMonitorUrl: lb.url, expectNodes: 2 }));
    expect(verdict).toEqual({ ok: false, detail: "2/2 servers in 2 connections; /varz through the load balancer: 1/2 servers in 12 requests" });
  });

  test("connections reach too few servers while /varz reaches them all", async () => {
    const nats = await fakeNats([{ id: ID_A }]);
    const lb = await serve(roundRobin([monitor({ id: ID_A }), monitor({ id: ID_B })]));
    const verdict = await checkRoundRobin(contextWith({ natsUrl: nats.url, lbMonitorUrl: lb.url, expectNodes: 2 }));
    expect(verdict).toEqual({ ok: false, detail: "1/2 servers in 12 connections; /varz through the load balancer: 2/2 servers in 2 requests" });
    expect(await settledOpen(nats)).toBe(0);
  });

  test("the client port and the monitor port are closed", async () => {
    const port = await closedPort();
    const verdict = await checkRoundRobin(contextWith({ natsUrl: `nats://127.0.0.1:${port}`, lbMonitorUrl: `http://127.0.0.1:${port}`, expectNodes: 1 }));
    expect(verdict).toEqual({
      ok: false,
      detail: `0/1 servers in 8 connections (last error: connection refused (connect ECONNREFUSED 127.0.0.1:${port})); /varz through the load balancer: 0/1 servers in 8 requests (last error: fetch failed (connect ECONNREFUSED 127.0.0.1:${port}))`,
    });
  });
});
