import { bootTwin, type Twin } from "../twin/twin";
import { verify, type CheckResult } from "../verify/verify";
import { nodeMonitorsOf, optionsFor } from "./verify-support";

// Integration test: boots a twin (nats-server and HAProxy processes).
jest.setTimeout(120_000);

// The default stack: 3 nodes, token auth, the monitor not published through the load balancer.
const BASE = "127.0.11.10";

let twin: Twin | undefined;

beforeAll(async () => {
  twin = await bootTwin({ stack: "nats", addressBase: BASE, timeScale: 0.2 });
});

afterAll(async () => {
  await twin?.stop();
});

function booted(): Twin {
  if (twin === undefined) throw new Error("the twin did not boot");
  return twin;
}

function byName(checks: CheckResult[]): Record<string, CheckResult> {
  return Object.fromEntries(checks.map((c) => [c.name, c]));
}

test("the twin uses token auth and publishes no monitor", () => {
  expect(booted().credentials.token).toEqual(expect.any(String));
  expect(booted().publishedMonitorPort).toBeUndefined();
});

test("passes with messages as the mesh check and health left to the load balancer", async () => {
  const result = await verify(optionsFor(booted()));
  expect(result.ok).toBe(true);
  const checks = byName(result.checks);
  expect(checks["round robin"].detail).toMatch(/^3\/3 servers in [3-9] connections$/);
  expect(checks.mesh.detail).toBe("messages between one connection per server: 6/6 server pairs carried messages");
  expect(checks["pub/sub"].detail).toMatch(/^50\/50 request\/reply round trips nats-\d → nats-\d: median \d+\.\d\d ms, p99 \d+\.\d\d ms$/);
  expect(checks.health).toMatchObject({ ok: true, skipped: true, detail: "no node monitor is reachable from here (--nodes or --monitor-port reach one): the load balancer's own health check covers it" });
});

test("asks each node's /routez and health path when they are reachable", async () => {
  const result = await verify(optionsFor(booted(), { nodeMonitors: nodeMonitorsOf(booted()) }));
  expect(result.ok).toBe(true);
  const checks = byName(result.checks);
  expect(checks.mesh.detail).toBe("each node's /routez: 3/3 nodes report 2 routes; messages between one connection per server: 6/6 server pairs carried messages");
  expect(checks.health.detail).toBe("3/3 nodes answer 200 on /healthz");
});

test.each([
  ["no credentials", {}],
  ["a wrong token", { token: "wrong" }],
])("fails every NATS check at once with %s, with a hint, and never shows the token", async (_name, credentials) => {
  // No retry fixes credentials: each NATS check fails at its first attempt, with the hint.
  const result = await verify(optionsFor(booted(), { credentials: { ...credentials, tls: booted().credentials.tls }, timeoutSeconds: 600 }));
  expect(result.ok).toBe(false);
  const checks = byName(result.checks);
  for (const name of ["round robin", "mesh", "pub/sub"]) {
    expect(checks[name]).toEqual({ name, ok: false, detail: expect.stringMatching(/^Authorization Violation: the cluster wants client credentials: set NATS_TOKEN/) });
  }
  expect(JSON.stringify(result)).not.toContain(booted().credentials.token);
});

test("fails while a node is down and passes again once it is back", async () => {
  const t = booted();
  await t.kill(1);
  // Round robin, failing throughout, stops retrying in time to leave each later check 3 s (a tenth of 30 s shared by 5).
  const down = await verify(optionsFor(t, { nodeMonitors: nodeMonitorsOf(t), timeoutSeconds: 30 }));
  expect(down.ok).toBe(false);
  const checks = byName(down.checks);
  expect(checks["round robin"]).toMatchObject({ ok: false, detail: expect.stringMatching(/^2\/3 servers in 16 connections/) });
  expect(checks.mesh).toMatchObject({ ok: false, detail: expect.stringContaining(`${nodeMonitorsOf(t)[1]}: fetch failed (connect ECONNREFUSED`) });
  expect(checks["pub/sub"].ok).toBe(true);
  // The full /healthz of the others may answer 503 too for a while: the dead node may have been
  // the JetStream meta leader, and they are electing another.
  expect(checks.health).toMatchObject({ ok: false, detail: expect.stringMatching(/^[0-2]\/3 nodes answer 200 on \/healthz; /) });
  expect(checks.health.detail).toContain(`${nodeMonitorsOf(t)[1]}: fetch failed (connect ECONNREFUSED`);

  const restarted = t.restart(1);
  const lines: string[] = [];
  const back = await verify(optionsFor(t, { nodeMonitors: nodeMonitorsOf(t), timeoutSeconds: 60, log: (line) => lines.push(line) }));
  await restarted;
  expect(back.checks.filter((c) => !c.ok)).toEqual([]);
  expect(lines.length).toBeGreaterThan(0);
});
