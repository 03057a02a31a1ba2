import { bootTwin, type Twin } from "../twin/twin";
import { credentialEnv, runNpmScript, runScript, stopAllStarted } from "./verify-support";

// Integration test: boots a twin and runs the CLI in child processes.
jest.setTimeout(120_000);

afterEach(stopAllStarted);

describe("bad arguments exit 2 with a message naming the value and what is allowed", () => {
  test.each([
    [["--lb", "127.0.0.10", "--expect-nodes", "x"], {}, '--expect-nodes "x" is not an integer from 1 to 25'],
    [["--expect-nodes", "3"], {}, "--lb is required: the load balancer's host name or IP address"],
    [["--lb", "127.0.0.10", "--port", "1"], {}, 'unknown option "--port": allowed are --lb,'],
    [["--lb", "127.0.0.10"], { NATS_USER: "nats" }, "NATS_USER is set but NATS_PASSWORD is not: set both, or NATS_TOKEN"],
  ])("%j %j", async (args, env, message) => {
    const run = runScript("verify", args, env);
    expect(await run.exited).toBe(2);
    expect(run.output()).toContain(message);
    expect(run.output()).toContain("usage: npm run verify -- --lb <host>");
  });

  test("through npm run, as the readiness gate calls it", async () => {
    const run = runNpmScript("verify", ["--lb", "127.0.0.10", "--expect-nodes", "x"]);
    expect(await run.exited).toBe(2);
    expect(run.output()).toContain('--expect-nodes "x" is not an integer from 1 to 25');
  });
});

test("--help prints the usage and exits 0", async () => {
  const run = runScript("verify", ["--help"]);
  expect(await run.exited).toBe(0);
  expect(run.output()).toMatch(/^usage: npm run verify -- --lb <host>/);
});

describe("against the default stack's twin", () => {
  const BASE = "127.0.11.40";
  let twin: Twin | undefined;

  beforeAll(async () => {
    twin = await bootTwin({ stack: "nats", addressBase: BASE, timeScale: 0.2 });
  });

  afterAll(async () => {
    await twin?.stop();
  });

  function env(): Record<string, string> {
    if (twin === undefined) throw new Error("the twin did not boot");
    return credentialEnv(twin);
  }

  test("exits 0 with one line per check (health skipped: no node monitor from here), credentials from NATS_TOKEN and never printed", async () => {
    const run = runScript("verify", ["--lb", BASE, "--expect-nodes", "3", "--timeout", "20", "--jetstream"], env());
    expect(await run.exited).toBe(0);
    const lines = run.output().trimEnd().split("\n");
    expect(lines.map((line) => line.slice(0, line.indexOf(":")))).toEqual(["ok   round robin", "ok   mesh", "ok   pub/sub", "skip health", "ok   jetstream"]);
    expect(lines[0]).toMatch(/^ok {3}round robin: 3\/3 servers in \d+ connections$/);
    // No node monitor from here: the stream's creation proves the meta leader.
    expect(lines[4]).toMatch(/^ok {3}jetstream: meta leader up \(the stream was created\); R3 stream on nats-\d, replicas nats-\d, nats-\d current: 20\/20 acknowledged, 20\/20 read back, deleted$/);
    expect(run.output()).not.toContain(env().NATS_TOKEN);
  });

  test("--nodes: each node's monitor, default port 8222", async () => {
    const nodes = ["127.0.11.41", "127.0.11.42", "127.0.11.43"].join(",");
    const run = runScript("verify", ["--lb", BASE, "--nodes", nodes, "--timeout", "20"], env());
    expect(await run.exited).toBe(0);
    expect(run.output()).toContain("ok   mesh: each node's /routez: 3/3 nodes report 2 routes");
    expect(run.output()).toContain("ok   health: 3/3 nodes answer 200 on /healthz");
  });

  test("a wrong token fails at once, not after --timeout, with a hint where the token comes from", async () => {
    // With --timeout 3600 a retrying verify would outlive this test.
    // The CA and server name are right (the default stack runs TLS): only the token is wrong.
    const run = runScript("verify", ["--lb", BASE, "--expect-nodes", "3", "--timeout", "3600"], { ...env(), NATS_TOKEN: "not-the-token" });
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/^FAIL round robin: Authorization Violation: the cluster wants client credentials: set NATS_TOKEN to the stack's client_secret output/m);
    expect(run.output()).not.toMatch(/still failing after/);
    expect(run.output()).not.toContain("not-the-token");
  });

  test("the subscriber without a token stops at once with the same hint", async () => {
    const { NATS_CA, NATS_TLS_SERVER_NAME } = env();
    const run = runScript("subscriber", [], { NATS_SERVER: `nats://${BASE}:4222`, NATS_CA, NATS_TLS_SERVER_NAME });
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/^subscriber: Authorization Violation: the cluster wants client credentials: set NATS_TOKEN/m);
  });

  test("exits 1 with FAIL lines when a node is missing, after reporting what it waits for", async () => {
    const run = runScript("verify", ["--lb", BASE, "--expect-nodes", "4", "--timeout", "3"], env());
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain("waiting for round robin: 3/4 servers in 20 connections");
    expect(run.output()).toMatch(/^FAIL round robin: 3\/4 servers in 20 connections \(still failing after \d+ attempts\)$/m);
    expect(run.output()).toMatch(/^FAIL mesh: /m);
  });
});
