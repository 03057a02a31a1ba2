import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JetStreamApiError } from "@nats-io/jetstream";
import type { StreamInfo } from "@nats-io/jetstream";
import { replicaProblem, whenPlaceable } from "../verify/checks/jetstream";
import { remoteIds, routeProblem } from "../verify/checks/mesh";
import { formatCheck, parseVerifyArgs } from "../verify/cli";
import { credentialsFromEnv, intervalFromEnv, serverFromEnv } from "../verify/env";
import { percentile, plural } from "../verify/stats";
import { contextOf, verify } from "../verify/verify";

describe("percentile", () => {
  const samples = Array.from({ length: 50 }, (_unused, i) => 50 - i);

  test("nearest rank: median and p99 of 1..50", () => {
    expect(percentile(samples, 50)).toBe(25);
    expect(percentile(samples, 99)).toBe(50);
  });

  test("NaN without samples", () => {
    expect(percentile([], 50)).toBeNaN();
  });

  test("plural", () => {
    expect([plural(1, "route"), plural(2, "route"), plural(0, "route")]).toEqual(["1 route", "2 routes", "0 routes"]);
  });
});

describe("routeProblem", () => {
  const routez = (...remotes: string[]) => ({ status: 200, json: { routes: remotes.map((remote_id) => ({ remote_id })) } });

  test("accepts N-1 distinct routes, counting a duplicate route once", () => {
    expect(routeProblem("n1", routez("a", "b"), 3)).toBeUndefined();
    expect(routeProblem("n1", routez("a", "a"), 3)).toBe("n1 has 1 route, expected 2");
  });

  test("names a non-200 answer", () => {
    expect(routeProblem("n1", { status: 503 }, 3)).toBe("n1 answered HTTP 503");
  });
});

describe("replicaProblem", () => {
  const info = (cluster: object | undefined): StreamInfo => ({ cluster }) as unknown as StreamInfo;
  const replica = (name: string, current: boolean, lag = 0): object => ({ name, current, lag, active: 0 });

  test("names what keeps a stream from its current replicas", () => {
    expect(replicaProblem(info({ leader: "nats-1", replicas: [replica("nats-2", true), replica("nats-3", true)] }), 3)).toBeUndefined();
    expect(replicaProblem(info({ leader: "nats-1", replicas: [replica("nats-2", true), replica("nats-3", false, 7)] }), 3)).toBe("not current: nats-3 (lag 7)");
    expect(replicaProblem(info({ leader: "nats-1", replicas: [replica("nats-2", true)] }), 3)).toBe("leader nats-1 with 1 replicas, expected 2");
    expect(replicaProblem(info({ leader: "", replicas: [] }), 3)).toBe("no stream leader");
    expect(replicaProblem(info(undefined), 3)).toBe("not clustered");
    expect(replicaProblem(info(undefined), 1)).toBeUndefined();
  });
});

describe("whenPlaceable", () => {
  const noPeers = (): JetStreamApiError => new JetStreamApiError({ code: 400, err_code: 10005, description: "no suitable peers for placement, peer offline" });

  // jest's fake timers move setTimeout and Date.now, so the 250 ms between attempts costs no time.
  afterEach(() => jest.useRealTimers());

  test("asks again while the meta leader has no suitable peers, then returns what was created", async () => {
    jest.useFakeTimers();
    let calls = 0;
    const created = whenPlaceable(async () => {
      calls++;
      if (calls < 3) throw noPeers();
      return "stream";
    }, 5000);
    await jest.advanceTimersByTimeAsync(249);
    expect(calls).toBe(1);
    await jest.advanceTimersByTimeAsync(251);
    expect({ created: await created, calls }).toEqual({ created: "stream", calls: 3 });
  });

  test("throws any other jetstream error at once", async () => {
    let calls = 0;
    const other = new JetStreamApiError({ code: 400, err_code: 10058, description: "stream name already in use with a different configuration" });
    await expect(
      whenPlaceable(async () => {
        calls++;
        throw other;
      }, 5000),
    ).rejects.toBe(other);
    expect(calls).toBe(1);
  });

  test("gives up with the placement error once its time is over", async () => {
    jest.useFakeTimers();
    let calls = 0;
    const outcome = expect(
      whenPlaceable(async () => {
        calls++;
        throw noPeers();
      }, 600),
    ).rejects.toThrow("no suitable peers for placement");
    // Attempts at 0, 250, 500 and 750 ms: the last one starts past the 600 ms budget and is not retried.
    await jest.advanceTimersByTimeAsync(10_000);
    await outcome;
    expect(calls).toBe(4);
  });
});

describe("remoteIds", () => {
  test("counts peers, not pooled route connections (2.10+: 3 pooled plus one $SYS route per peer)", () => {
    const pooled = ["NA", "NB"].flatMap((remote_id) => [undefined, undefined, undefined, "$SYS"].map((account) => ({ remote_id, account })));
    expect(pooled).toHaveLength(8);
    expect(remoteIds(pooled)).toEqual(new Set(["NA", "NB"]));
  });

  test("ignores entries without a remote_id and answers without a list", () => {
    expect(remoteIds([{ remote_id: "NA" }, { ip: "127.0.0.1" }, null])).toEqual(new Set(["NA"]));
    expect(remoteIds(undefined)).toEqual(new Set());
  });
});

describe("credentialsFromEnv", () => {
  test("token, user with password, or nothing", () => {
    expect(credentialsFromEnv({ NATS_TOKEN: "t" })).toEqual({ token: "t" });
    expect(credentialsFromEnv({ NATS_USER: "u", NATS_PASSWORD: "p" })).toEqual({ user: "u", password: "p" });
    expect(credentialsFromEnv({})).toEqual({});
  });

  test.each([
    [{ NATS_USER: "u" }, /NATS_USER is set but NATS_PASSWORD is not/],
    [{ NATS_PASSWORD: "p" }, /NATS_PASSWORD is set but NATS_USER is not/],
    [{ NATS_TOKEN: "t", NATS_USER: "u", NATS_PASSWORD: "p" }, /either NATS_TOKEN or NATS_USER with NATS_PASSWORD, not both/],
  ])("refuses %j", (env, message) => {
    expect(() => credentialsFromEnv(env)).toThrow(message);
  });

  test("never puts a secret in its messages", () => {
    expect(() => credentialsFromEnv({ NATS_PASSWORD: "s3cret" })).toThrow(expect.objectContaining({ message: expect.not.stringContaining("s3cret") }));
  });

  const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

  test("NATS_CA: the PEM itself (as the readiness gate passes it) or a file; NATS_TLS_SERVER_NAME with it", () => {
    const dir = mkdtempSync(join(tmpdir(), "nats-ca-"));
    try {
      writeFileSync(join(dir, "ca.pem"), CA);
      expect(credentialsFromEnv({ NATS_TOKEN: "t", NATS_CA: CA, NATS_TLS_SERVER_NAME: "nats.internal" })).toEqual({ token: "t", tls: { ca: CA, serverName: "nats.internal" } });
      expect(credentialsFromEnv({ NATS_CA: join(dir, "ca.pem") })).toEqual({ tls: { ca: CA } });
      writeFileSync(join(dir, "key.pem"), "-----BEGIN EC PRIVATE KEY-----\nMHc\n-----END EC PRIVATE KEY-----\n");
      expect(() => credentialsFromEnv({ NATS_CA: join(dir, "key.pem") })).toThrow("NATS_CA holds a private key: give the CA certificate (terraform output -raw ca_certificate)");
      writeFileSync(join(dir, "empty.pem"), "");
      expect(() => credentialsFromEnv({ NATS_CA: join(dir, "empty.pem") })).toThrow(`NATS_CA file "${join(dir, "empty.pem")}" holds no PEM certificate`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test.each([
    [{ NATS_CA: "/nonexistent/ca.pem" }, /NATS_CA "\/nonexistent\/ca\.pem" is neither a PEM certificate nor a readable file: ENOENT/],
    [{ NATS_TLS_SERVER_NAME: "nats.internal" }, /NATS_TLS_SERVER_NAME is set but NATS_CA is not/],
    [{ NATS_CA: CA, NATS_TLS_SERVER_NAME: "bad name" }, /NATS_TLS_SERVER_NAME "bad name" is not a DNS name/],
  ])("refuses %j", (env, message) => {
    expect(() => credentialsFromEnv(env)).toThrow(message);
  });
});

describe("pub/sub app settings", () => {
  test("NATS_SERVER defaults to the twin's load balancer", () => {
    expect(serverFromEnv({})).toBe("nats://127.0.0.10:4222");
    expect(serverFromEnv({ NATS_SERVER: "nats://127.0.10.10:4222" })).toBe("nats://127.0.10.10:4222");
  });

  test("refuses a NATS_SERVER that is not a server URL", () => {
    expect(() => serverFromEnv({ NATS_SERVER: "http://x/y" })).toThrow('NATS_SERVER "http://x/y" is not a server URL: expected e.g. nats://203.0.113.7:4222');
  });

  test("PUBLISH_INTERVAL_MS", () => {
    expect(intervalFromEnv({}, "PUBLISH_INTERVAL_MS", 5000)).toBe(5000);
    expect(intervalFromEnv({ PUBLISH_INTERVAL_MS: "100" }, "PUBLISH_INTERVAL_MS", 5000)).toBe(100);
    expect(() => intervalFromEnv({ PUBLISH_INTERVAL_MS: "0" }, "PUBLISH_INTERVAL_MS", 5000)).toThrow('PUBLISH_INTERVAL_MS "0" is not an integer from 1 to 3600000');
  });
});

describe("parseVerifyArgs", () => {
  const parse = (argv: string[], env: Record<string, string> = {}) => parseVerifyArgs(argv, env);

  test("the readiness gate's command line", () => {
    expect(parse(["--lb", "203.0.113.7", "--expect-nodes", "3", "--client-port", "4222", "--timeout", "900"], { NATS_TOKEN: "t" })).toEqual({
      help: false,
      options: { lb: "203.0.113.7", expectNodes: 3, clientPort: 4222, timeoutSeconds: 900, credentials: { token: "t" } },
    });
  });

  test("--nodes: hosts get the monitor port, URLs stay, and they set the expected count", () => {
    const command = parse(["--lb", "lb.example.com", "--monitor-port", "9222", "--nodes", "10.0.0.1,10.0.0.2:8222,http://n3.example.com:8222/"]);
    expect(command).toMatchObject({
      options: { expectNodes: 3, monitorPort: 9222, nodeMonitors: ["http://10.0.0.1:9222", "http://10.0.0.2:8222", "http://n3.example.com:8222"] },
    });
  });

  test("defaults: 3 nodes, no credentials", () => {
    expect(parse(["--lb", "127.0.0.10"])).toEqual({ help: false, options: { lb: "127.0.0.10", expectNodes: 3, credentials: {} } });
  });

  test("--help", () => {
    expect(parse(["--help"])).toEqual({ help: true });
  });

  test.each([
    [["--lb", "x", "--expect-nodes", "x"], '--expect-nodes "x" is not an integer from 1 to 25'],
    [["--lb", "x", "--expect-nodes", "26"], '--expect-nodes "26" is not an integer from 1 to 25'],
    [["--lb", "x", "--expect-nodes", "2.5"], '--expect-nodes "2.5" is not an integer from 1 to 25'],
    [["--lb", "x", "--client-port", "0"], '--client-port "0" is not an integer from 1 to 65535'],
    [["--lb", "x", "--monitor-port", "70000"], '--monitor-port "70000" is not an integer from 1 to 65535'],
    [["--lb", "x", "--timeout=-5"], '--timeout "-5" is not an integer from 1 to 3600'],
    [["--lb", "x", "--timeout", "-5"], '--timeout needs a value (write --timeout=<value> for one that starts with "-")'],
    [["--lb", "a b"], '--lb "a b" is not a host name or IP address'],
    [["--lb", "nats://x"], '--lb "nats://x" is not a host name or IP address'],
    [["--lb", "x", "--nodes", "a/b"], '--nodes entry "a/b" is not a host, host:port or http:// URL'],
    [["--lb", "x", "--nodes", "a:99999"], '--nodes port of a "99999" is not an integer from 1 to 65535'],
    [["--lb", "x", "--expect-nodes", "3", "--nodes", "a,b"], "--nodes lists 2 nodes but --expect-nodes is 3: list every node or none"],
    [["--lb", "x", "--health-path", "healthz"], '--health-path "healthz" is not a path starting with "/"'],
    [["--lb", "x", "--credentials-file", "/nonexistent/gate"], '--credentials-file "/nonexistent/gate" cannot be read: ENOENT'],
    [["--lb", "x", "--credentials-file", "/dev/zero"], "--credentials-file /dev/zero is larger than 65536 bytes: it cannot be what was asked for"],
    [[], "--lb is required: the load balancer's host name or IP address"],
    [["--lb"], "--lb needs a value"],
    [["--lb", "x", "--verbose"], 'unknown option "--verbose": allowed are --lb, --expect-nodes, --client-port, --monitor-port, --timeout, --nodes, --health-path, --credentials-file, --jetstream, --help'],
    [["--lb", "x", "extra"], 'unexpected argument "extra": every value follows an option'],
  ])("refuses %j", (argv, message) => {
    expect(() => parse(argv)).toThrow(message);
  });

  test("--credentials-file: NAME=value lines instead of the environment, as the readiness gate writes them", () => {
    const dir = mkdtempSync(join(tmpdir(), "verify-credentials-"));
    try {
      const file = join(dir, "gate");
      writeFileSync(file, "NATS_USER=nats\nNATS_PASSWORD=Ab3xYz\nOTHER=1\n", { mode: 0o600 });
      expect(parse(["--lb", "x", "--credentials-file", file], { NATS_TOKEN: "from-env" })).toMatchObject({ options: { credentials: { user: "nats", password: "Ab3xYz" } } });
      writeFileSync(file, "NATS_USER=nats\n");
      expect(() => parse(["--lb", "x", "--credentials-file", file])).toThrow("NATS_USER is set but NATS_PASSWORD is not");
      // Up to 64 KiB is read (a comment pads it here), one byte more is refused.
      const line = "NATS_TOKEN=Zq9x8Wv7\n";
      writeFileSync(file, `${line}#${"x".repeat(64 * 1024 - line.length - 2)}\n`);
      expect(parse(["--lb", "x", "--credentials-file", file])).toMatchObject({ options: { credentials: { token: "Zq9x8Wv7" } } });
      writeFileSync(file, `${line}#${"x".repeat(64 * 1024 - line.length - 1)}\n`);
      expect(() => parse(["--lb", "x", "--credentials-file", file])).toThrow(`--credentials-file ${file} is larger than 65536 bytes: it cannot be what was asked for`);
      // The CA and server name are not secret: they stay in the environment (the gate's verify step).
      const ca = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
      writeFileSync(file, "NATS_TOKEN=Zq9x8Wv7\n");
      expect(parse(["--lb", "x", "--credentials-file", file], { NATS_CA: ca, NATS_TLS_SERVER_NAME: "nats.internal", NATS_USER: "from-env" })).toMatchObject({
        options: { credentials: { token: "Zq9x8Wv7", tls: { ca, serverName: "nats.internal" } } },
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("refuses a user without a password from the environment", () => {
    expect(() => parse(["--lb", "x"], { NATS_USER: "u" })).toThrow(/NATS_PASSWORD is not/);
  });
});

describe("formatCheck", () => {
  test("one aligned line per check", () => {
    expect(formatCheck({ name: "round robin", ok: true, detail: "3/3 servers in 3 connections" })).toBe("ok   round robin: 3/3 servers in 3 connections");
    expect(formatCheck({ name: "mesh", ok: false, detail: "n1 has 1 route, expected 2" })).toBe("FAIL mesh: n1 has 1 route, expected 2");
    expect(formatCheck({ name: "health", ok: true, skipped: true, detail: "no node monitor" })).toBe("skip health: no node monitor");
  });
});

describe("contextOf", () => {
  test("URLs for the load balancer; IPv6 in brackets; node URLs without trailing slash", () => {
    const ctx = contextOf({ lb: "::1", expectNodes: 2, monitorPort: 8222, nodeMonitors: ["http://[::1]:8222/"] });
    expect(ctx).toMatchObject({ natsUrl: "nats://[::1]:4222", lbMonitorUrl: "http://[::1]:8222", nodeMonitors: ["http://[::1]:8222"], healthPath: "/healthz" });
  });
});

describe("verify with nothing listening", () => {
  test("fails every network check within the budget, and says health is left to the load balancer", async () => {
    const started = Date.now();
    const result = await verify({ lb: "127.0.10.99", expectNodes: 2, timeoutSeconds: 2 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.ok).toBe(false);
    expect(result.checks.map((c) => [c.name, c.ok])).toEqual([["round robin", false], ["mesh", false], ["pub/sub", false], ["health", true], ["jetstream", true]]);
    // Not an "ok" beside three failures: nothing was checked.
    expect(result.checks[3].skipped).toBe(true);
    // Attempts are counted only when there was more than one: on a busy machine the first can take the 2 s.
    expect(result.checks[0].detail).toMatch(/^0\/2 servers in 12 connections \(last error: .+\)( \(still failing after \d+ attempts\))?$/);
    expect(result.checks[3].detail).toBe("no node monitor is reachable from here (--nodes or --monitor-port reach one): the load balancer's own health check covers it");
  });
});
