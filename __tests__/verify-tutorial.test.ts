import { bootTwin, type Twin } from "../twin/twin";
import { verify } from "../verify/verify";
import { nodeMonitorsOf, optionsFor } from "./verify-support";

// Integration test: boots a twin (nats-server and HAProxy processes).
jest.setTimeout(120_000);

// The seed tutorial's stack: 2 nodes, the monitor published through the load balancer, no auth.
const BASE = "127.0.10.10";

let twin: Twin | undefined;
let early: ReturnType<typeof verify> | undefined;
const earlyLog: string[] = [];

beforeAll(async () => {
  // Like the readiness gate, start verifying before the load balancer listens.
  early = verify({ lb: BASE, expectNodes: 2, monitorPort: 8222, timeoutSeconds: 30, log: (line) => earlyLog.push(line) });
  twin = await bootTwin({ stack: "nats-tutorial", addressBase: BASE, timeScale: 0.2 });
});

afterAll(async () => {
  await early?.catch(() => undefined);
  await twin?.stop();
});

function booted(): Twin {
  if (twin === undefined) throw new Error("the twin did not boot");
  return twin;
}

test("retries while the load balancer refuses, then passes", async () => {
  const result = await early;
  expect(result?.ok).toBe(true);
  expect(earlyLog[0]).toMatch(/^waiting for round robin: 0\/2 servers in \d+ connections \(last error: .+\)/);
});

test("passes through the published monitor: /varz for round robin, /routez and messages for the mesh", async () => {
  const result = await verify(optionsFor(booted()));
  expect(result.ok).toBe(true);
  const details = Object.fromEntries(result.checks.map((c) => [c.name, c.detail]));
  expect(details["round robin"]).toMatch(/^2\/2 servers in [2-9] connections; \/varz through the load balancer: 2\/2 servers in [2-9] requests$/);
  expect(details.mesh).toMatch(/^\/routez through the load balancer: 2\/2 servers report 1 route \([2-9] requests\); messages between one connection per server: 2\/2 server pairs carried messages$/);
  expect(details["pub/sub"]).toMatch(/^50\/50 request\/reply round trips nats-droplet-[12] → nats-droplet-[12]: median \d+\.\d\d ms, p99 \d+\.\d\d ms$/);
  expect(details["pub/sub"]).toMatch(/(nats-droplet-1 → nats-droplet-2|nats-droplet-2 → nats-droplet-1)/);
  expect(details.health).toMatch(/^\d+\/\d+ requests answered 200 on \/healthz through the load balancer \(the answer does not name its server\)$/);
});

test("health on /varz tells the servers apart through the load balancer", async () => {
  const result = await verify(optionsFor(booted(), { healthPath: "/varz" }));
  expect(result.checks.find((c) => c.name === "health")).toEqual({ name: "health", ok: true, detail: expect.stringMatching(/^2\/2 servers answer 200 on \/varz through the load balancer/) });
});

test("asks each node directly when node monitors are given", async () => {
  const result = await verify(optionsFor(booted(), { nodeMonitors: nodeMonitorsOf(booted()) }));
  expect(result.ok).toBe(true);
  expect(result.checks.find((c) => c.name === "mesh")?.detail).toBe("each node's /routez: 2/2 nodes report 1 route; messages between one connection per server: 2/2 server pairs carried messages");
  expect(result.checks.find((c) => c.name === "health")?.detail).toBe("2/2 nodes answer 200 on /healthz");
});

test("fails round robin and mesh when more nodes are expected than run", async () => {
  const result = await verify(optionsFor(booted(), { expectNodes: 3, timeoutSeconds: 3 }));
  expect(result.ok).toBe(false);
  const failed = Object.fromEntries(result.checks.filter((c) => !c.ok).map((c) => [c.name, c.detail]));
  expect(Object.keys(failed)).toEqual(["round robin", "mesh"]);
  expect(failed["round robin"]).toMatch(/^2\/3 servers in 16 connections; \/varz through the load balancer: 2\/3 servers in 16 requests/);
  expect(failed.mesh).toMatch(/^\/routez through the load balancer: reached 2\/3 servers in 16 requests/);
});
