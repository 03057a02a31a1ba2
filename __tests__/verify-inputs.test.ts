// Exact behaviour of verify's input handling (args, cli, env, errors) and of verify()'s retry
// loop. The checks are replaced by jest mocks and time is faked, so nothing touches the network.
import { getEventListeners } from "node:events";
import { UsageError, integerArg, parseCli, runCli, usageText } from "../verify/args";
import { checkHealth } from "../verify/checks/health";
import { checkJetStream } from "../verify/checks/jetstream";
import { checkMesh } from "../verify/checks/mesh";
import { checkPubSub } from "../verify/checks/pubsub";
import { checkRoundRobin } from "../verify/checks/round-robin";
import { USAGE, parseVerifyArgs } from "../verify/cli";
import { credentialsFromEnv, serverFromEnv } from "../verify/env";
import { JETSTREAM_NO_RESPONDERS, errorMessage } from "../helpers/errors";
import { describeFailure, isAuthorizationError } from "../verify/authorization";
import type { Verdict, VerifyOptions } from "../verify/types";
import { contextOf, verify } from "../verify/verify";
import * as retry from "../helpers/retry";

jest.mock("../verify/checks/round-robin", () => ({ checkRoundRobin: jest.fn() }));
jest.mock("../verify/checks/mesh", () => ({ checkMesh: jest.fn() }));
jest.mock("../verify/checks/pubsub", () => ({ checkPubSub: jest.fn() }));
jest.mock("../verify/checks/health", () => ({ checkHealth: jest.fn() }));
jest.mock("../verify/checks/jetstream", () => ({ checkJetStream: jest.fn() }));

const HINT =
  "the cluster wants client credentials: set NATS_TOKEN to the stack's client_secret output " +
  "(npx cdktf output nats, or terraform output -raw client_secret in its directory), or NATS_USER and NATS_PASSWORD";

const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

/** The name and message of what `fn` throws (fails the test when it throws nothing). */
function thrown(fn: () => unknown): readonly [string, string] {
  try {
    fn();
  } catch (error) {
    return [(error as Error).name, (error as Error).message];
  }
  throw new Error("expected a throw");
}

/** An argv whose iteration throws `error`: a parse failure that node:util never produces. */
function failingArgv(error: unknown): readonly string[] {
  return {
    [Symbol.iterator]() {
      throw error;
    },
  } as unknown as readonly string[];
}

describe("UsageError", () => {
  test("is named UsageError and exits 2", () => {
    const error = new UsageError("bad input");
    expect([error.name, error.message, error instanceof Error, UsageError.EXIT_CODE]).toEqual(["UsageError", "bad input", true, 2]);
  });
});

describe("integerArg", () => {
  test("accepts min and max themselves", () => {
    expect(integerArg("--n", "1", 1, 25)).toBe(1);
    expect(integerArg("--n", "25", 1, 25)).toBe(25);
    expect(integerArg("--n", "007", 1, 25)).toBe(7);
  });

  test.each([
    ["0", '--n "0" is not an integer from 1 to 25'],
    ["26", '--n "26" is not an integer from 1 to 25'],
    ["12x", '--n "12x" is not an integer from 1 to 25'],
    ["x12", '--n "x12" is not an integer from 1 to 25'],
    ["+12", '--n "+12" is not an integer from 1 to 25'],
    [" 12", '--n " 12" is not an integer from 1 to 25'],
    ["0x10", '--n "0x10" is not an integer from 1 to 25'],
    ["12 ", '--n "12 " is not an integer from 1 to 25'],
    ["1e1", '--n "1e1" is not an integer from 1 to 25'],
    ["5\n", '--n "5\\n" is not an integer from 1 to 25'],
    ["", '--n "" is not an integer from 1 to 25'],
  ])("refuses %j", (raw, message) => {
    expect(thrown(() => integerArg("--n", raw, 1, 25))).toEqual(["UsageError", message]);
  });

  test("refuses an integer beyond the safe range even without an upper bound", () => {
    expect(thrown(() => integerArg("--n", "9007199254740993", 0, Number.POSITIVE_INFINITY))).toEqual([
      "UsageError",
      '--n "9007199254740993" is not an integer from 0 to Infinity',
    ]);
  });
});

describe("usageText", () => {
  test("aligns descriptions one column past the longest flag; a description may span lines; no notes, no trailing blank", () => {
    const text = usageText("tool [--a X]", [
      ["--a", "first"],
      ["--longer-flag", "line one\nline two"],
    ]);
    expect(text).toBe(
      [
        "usage: tool [--a X]",
        "",
        "  --a            first",
        "  --longer-flag  line one",
        "                 line two",
        "  -h, --help     print this help and exit",
      ].join("\n"),
    );
  });

  test("an empty notes list adds nothing; -h, --help sets the width when it is the longest flag", () => {
    expect(usageText("tool", [["-v", "verbose"]], [])).toBe("usage: tool\n\n  -v          verbose\n  -h, --help  print this help and exit");
  });

  test("notes follow after a blank line", () => {
    expect(usageText("tool", [], ["note one", "note two"])).toBe("usage: tool\n\n  -h, --help  print this help and exit\n\nnote one\nnote two");
  });
});

describe("parseCli", () => {
  const OPTIONS = { name: { type: "string" }, on: { type: "boolean" } } as const;

  test("returns the values", () => {
    expect(parseCli(["--name", "x", "--on"], OPTIONS)).toEqual({ name: "x", on: true });
    expect(parseCli(["--name=-x"], OPTIONS)).toEqual({ name: "-x" });
  });

  test.each([
    [["-z"], 'unknown option "-z": allowed are --name, --on'],
    [["--other"], 'unknown option "--other": allowed are --name, --on'],
    [["--on", "loose"], 'unexpected argument "loose": every value follows an option'],
    [["--name"], '--name needs a value (write --name=<value> for one that starts with "-")'],
    [["--name", "-x"], '--name needs a value (write --name=<value> for one that starts with "-")'],
    [["--on=yes"], "--on is a switch and takes no value: write --on alone"],
    // parseArgs keeps the last of a repeated option: every CLI refuses the repeat instead.
    [["--name", "a", "--name", "b"], '--name is given 2 times ("a", "b"): give it once'],
    [["--name=a", "--on", "--name=a"], '--name is given 2 times ("a", "a"): give it once'],
    [["--on", "--on"], "--on is given 2 times: give it once"],
  ])("refuses %j", (argv, message) => {
    expect(thrown(() => parseCli(argv, OPTIONS))).toEqual(["UsageError", message]);
  });

  test("an option declared multiple may repeat", () => {
    expect(parseCli(["--name", "a", "--name", "b"], { name: { type: "string", multiple: true } })).toEqual({ name: ["a", "b"] });
  });

  test("any other failure: its message in lowercase (a thrown non-Error too)", () => {
    expect(thrown(() => parseCli(failingArgv("Plain String FAILURE"), OPTIONS))).toEqual(["UsageError", "plain string failure"]);
    const coded = Object.assign(new Error("Some Other Failure"), { code: "ERR_SOMETHING_ELSE" });
    expect(thrown(() => parseCli(failingArgv(coded), OPTIONS))).toEqual(["UsageError", "some other failure"]);
  });

  test("an unknown-option error without a quoted name names the empty string", () => {
    const unquoted = Object.assign(new Error("Unknown option"), { code: "ERR_PARSE_ARGS_UNKNOWN_OPTION" });
    expect(thrown(() => parseCli(failingArgv(unquoted), OPTIONS))).toEqual(["UsageError", 'unknown option "": allowed are --name, --on']);
  });
});

describe("runCli", () => {
  let exitCode: typeof process.exitCode;

  beforeEach(() => {
    exitCode = process.exitCode;
  });

  afterEach(() => {
    process.exitCode = exitCode;
    jest.restoreAllMocks();
  });

  test("a failure of several lines keeps its line breaks, with the control characters of each line escaped", async () => {
    const error = jest.spyOn(console, "error").mockImplementation(() => undefined);
    const code = await runCli("verify", "usage: npm run verify", async () => {
      throw new Error("tls handshake failed\nserver said: \u001b[2Jgone\r");
    });
    expect([code, process.exitCode]).toEqual([1, 1]);
    expect(error.mock.calls).toStrictEqual([["verify: tls handshake failed\nserver said: \\x1b[2Jgone\\x0d"]]);
  });
});

describe("verify's --help text", () => {
  test("the usage line, each option with its range and default, the credentials and the exit statuses", () => {
    expect(USAGE.split("\n")).toEqual([
      "usage: npm run verify -- --lb <host> [--expect-nodes N] [--client-port P] [--monitor-port P]",
      "         [--timeout S] [--nodes host1,host2,...] [--health-path /healthz] [--credentials-file FILE] [--jetstream]",
      "",
      "  --lb                load balancer host name or IP address (required)",
      "  --expect-nodes      NATS servers behind it, 1 to 25 (default: the number of --nodes, else 3)",
      "  --client-port       client port it forwards (default 4222)",
      "  --monitor-port      monitor port it forwards, if any (default: not published)",
      "  --timeout           seconds the whole run may take, retries included, 1 to 3600",
      "                      (default 60)",
      "  --nodes             node monitors reachable from here: hosts, host:port or http:// URLs",
      "                      (default port: --monitor-port, else 8222)",
      "  --health-path       path every node answers 200 on (default /healthz)",
      "  --credentials-file  read NATS_TOKEN, or NATS_USER and NATS_PASSWORD, from this file of",
      "                      NAME=value lines instead of the environment (the readiness gate does);",
      "                      NATS_CA and NATS_TLS_SERVER_NAME still come from the environment",
      "  --jetstream         the cluster runs JetStream: check its meta leader and a temporary",
      "                      stream of min(N, 3) replicas written and read through the load balancer",
      "  -h, --help          print this help and exit",
      "",
      "Credentials come from NATS_TOKEN, or NATS_USER and NATS_PASSWORD; with TLS, NATS_CA is the",
      "cluster's CA certificate (a file or the PEM) and NATS_TLS_SERVER_NAME the name to verify.",
      "Exit status: 0 every check passed, 1 a check failed, 2 bad arguments.",
    ]);
  });

  test("the defaults it states are the ones parseVerifyArgs and verify apply", () => {
    // --expect-nodes: the number of --nodes, else 3; a --nodes host's port: --monitor-port, else 8222.
    expect(parseVerifyArgs(["--lb", "x"], {})).toMatchObject({ options: { expectNodes: 3 } });
    expect(parseVerifyArgs(["--lb", "x", "--nodes", "n1"], {})).toMatchObject({ options: { expectNodes: 1, nodeMonitors: ["http://n1:8222"] } });
    expect(parseVerifyArgs(["--lb", "x", "--monitor-port", "9000", "--nodes", "n1"], {})).toMatchObject({ options: { nodeMonitors: ["http://n1:9000"] } });
    const ctx = contextOf({ lb: "x", expectNodes: 3 });
    expect([ctx.natsUrl, ctx.healthPath, ctx.lbMonitorUrl, ctx.deadline.seconds]).toEqual(["nats://x:4222", "/healthz", undefined, 60]);
  });
});

describe("parseVerifyArgs input validation", () => {
  const parse = (argv: string[]) => parseVerifyArgs(argv, {});
  const options = (argv: string[]): VerifyOptions => {
    const command = parse(argv);
    if (!command.help) return command.options;
    throw new Error("expected options, got help");
  };

  test("--lb: an IPv6 address or a host name", () => {
    expect(options(["--lb", "2001:db8::1"]).lb).toBe("2001:db8::1");
    expect(options(["--lb", "::1"]).lb).toBe("::1");
    expect(options(["--lb", "lb-1.example.com"]).lb).toBe("lb-1.example.com");
  });

  test.each([
    [" lb.example.com", '--lb " lb.example.com" is not a host name or IP address'],
    ["lb.example.com/", '--lb "lb.example.com/" is not a host name or IP address'],
    ["[::1]", '--lb "[::1]" is not a host name or IP address'],
  ])("--lb refuses %j", (lb, message) => {
    expect(thrown(() => parse(["--lb", lb]))).toEqual(["UsageError", message]);
  });

  test("--lb and --nodes hosts: names of up to 253 characters, labels of one character included", () => {
    const longest = `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(61)}`;
    expect(longest).toHaveLength(253);
    expect(options(["--lb", longest]).lb).toBe(longest);
    expect(options(["--lb", "a.b.c"]).lb).toBe("a.b.c");
    expect(options(["--lb", "x", "--nodes", "n.x,a.b-c.d:9000"]).nodeMonitors).toEqual(["http://n.x:8222", "http://a.b-c.d:9000"]);
    expect(thrown(() => parse(["--lb", `${longest}e`]))).toEqual(["UsageError", `--lb "${longest}e" is not a host name or IP address`]);
    expect(thrown(() => parse(["--lb", "x", "--nodes", `${longest}e`]))).toEqual(["UsageError", `--nodes entry "${longest}e" is not a host, host:port or http:// URL`]);
  });

  test("--nodes: entries are trimmed; hosts get the default monitor port; URLs with or without a trailing slash", () => {
    expect(options(["--lb", "x", "--nodes", " 10.0.0.1 , n2.example.com:9000 ,https://n3.example.com:8222,http://n4:8222/"])).toEqual({
      lb: "x",
      expectNodes: 4,
      nodeMonitors: ["http://10.0.0.1:8222", "http://n2.example.com:9000", "https://n3.example.com:8222", "http://n4:8222"],
      credentials: {},
    });
  });

  test.each([
    ["xhttp://n1:8222", '--nodes entry "xhttp://n1:8222" is not a host, host:port or http:// URL'],
    ["http://n1:8222/metrics", '--nodes entry "http://n1:8222/metrics" is not a host, host:port or http:// URL'],
    ["a:1:2", '--nodes entry "a:1:2" is not a host, host:port or http:// URL'],
    ["-a:8222", '--nodes entry "-a:8222" is not a host, host:port or http:// URL'],
    ["::1", '--nodes entry "::1" is not a host, host:port or http:// URL'],
    ["n1:", '--nodes port of n1 "" is not an integer from 1 to 65535'],
  ])("--nodes refuses %j", (nodes, message) => {
    expect(thrown(() => parse(["--lb", "x", "--expect-nodes", "1", `--nodes=${nodes}`]))).toEqual(["UsageError", message]);
  });

  test("--health-path: any path starting with / and without spaces, even / alone", () => {
    expect(options(["--lb", "x", "--health-path", "/ready"]).healthPath).toBe("/ready");
    expect(options(["--lb", "x", "--health-path", "/"]).healthPath).toBe("/");
    expect(options(["--lb", "x", "--health-path", "/v1/health?full=1"]).healthPath).toBe("/v1/health?full=1");
  });

  test.each([
    ["x/ready", '--health-path "x/ready" is not a path starting with "/"'],
    ["/ready now", '--health-path "/ready now" is not a path starting with "/"'],
    [" /ready", '--health-path " /ready" is not a path starting with "/"'],
    ["", '--health-path "" is not a path starting with "/"'],
  ])("--health-path refuses %j", (path, message) => {
    expect(thrown(() => parse(["--lb", "x", "--health-path", path]))).toEqual(["UsageError", message]);
  });

  test("numeric options accept their bounds", () => {
    expect(options(["--lb", "x", "--expect-nodes", "25", "--client-port", "65535", "--monitor-port", "1", "--timeout", "3600"])).toEqual({
      lb: "x",
      expectNodes: 25,
      clientPort: 65535,
      monitorPort: 1,
      timeoutSeconds: 3600,
      credentials: {},
    });
    expect(options(["--lb", "x", "--expect-nodes", "1", "--client-port", "1", "--timeout", "1"])).toMatchObject({ expectNodes: 1, clientPort: 1, timeoutSeconds: 1 });
  });
});

describe("credentialsFromEnv / serverFromEnv", () => {
  test("no tls key at all without NATS_CA", () => {
    expect(credentialsFromEnv({ NATS_TOKEN: "t" })).toStrictEqual({ token: "t" });
    expect(Object.keys(credentialsFromEnv({ NATS_USER: "u", NATS_PASSWORD: "p" }))).toEqual(["user", "password"]);
    expect(Object.keys(credentialsFromEnv({}))).toEqual([]);
  });

  test.each([
    [{ NATS_TOKEN: "t", NATS_USER: "u" }],
    [{ NATS_TOKEN: "t", NATS_PASSWORD: "p" }],
  ])("a token with a user or a password is refused: %j", (env) => {
    expect(thrown(() => credentialsFromEnv(env))).toEqual(["UsageError", "set either NATS_TOKEN or NATS_USER with NATS_PASSWORD, not both"]);
  });

  test("an inline PEM without a certificate is named without a file", () => {
    const pem = "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n";
    expect(thrown(() => credentialsFromEnv({ NATS_CA: pem }))).toEqual(["UsageError", "NATS_CA holds no PEM certificate (-----BEGIN CERTIFICATE-----)"]);
  });

  test("an empty NATS_TLS_SERVER_NAME is no server name", () => {
    expect(credentialsFromEnv({ NATS_CA: CA, NATS_TLS_SERVER_NAME: "" })).toStrictEqual({ tls: { ca: CA } });
  });

  test("NATS_TLS_SERVER_NAME: up to 253 characters of letters, digits, dots and hyphens", () => {
    const longest = `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(61)}`;
    expect(longest).toHaveLength(253);
    expect(credentialsFromEnv({ NATS_CA: CA, NATS_TLS_SERVER_NAME: longest })).toStrictEqual({ tls: { ca: CA, serverName: longest } });
    expect(credentialsFromEnv({ NATS_CA: CA, NATS_TLS_SERVER_NAME: "nats-1.internal" })).toStrictEqual({ tls: { ca: CA, serverName: "nats-1.internal" } });
    const tooLong = `${longest}e`;
    expect(thrown(() => credentialsFromEnv({ NATS_CA: CA, NATS_TLS_SERVER_NAME: tooLong }))).toEqual([
      "UsageError",
      `NATS_TLS_SERVER_NAME "${tooLong}" is not a DNS name such as nats.internal`,
    ]);
    expect(thrown(() => credentialsFromEnv({ NATS_CA: CA, NATS_TLS_SERVER_NAME: "nats_1.internal" }))).toEqual([
      "UsageError",
      'NATS_TLS_SERVER_NAME "nats_1.internal" is not a DNS name such as nats.internal',
    ]);
  });

  test("NATS_SERVER with or without nats://; empty means the twin's load balancer", () => {
    expect(serverFromEnv({ NATS_SERVER: "127.0.0.1:4222" })).toBe("127.0.0.1:4222");
    expect(serverFromEnv({ NATS_SERVER: "nats://lb.example.com:4222" })).toBe("nats://lb.example.com:4222");
    expect(serverFromEnv({ NATS_SERVER: "" })).toBe("nats://127.0.0.10:4222");
  });

  test.each(["tls://x:4222", "nats://x:4222/", "x y:4222"])("NATS_SERVER refuses %j", (server) => {
    expect(thrown(() => serverFromEnv({ NATS_SERVER: server }))).toEqual([
      "UsageError",
      `NATS_SERVER ${JSON.stringify(server)} is not a server URL: expected e.g. nats://203.0.113.7:4222`,
    ]);
  });
});

describe("errors", () => {
  test("errorMessage of values that are not objects, or objects without a usable message", () => {
    expect(errorMessage(null)).toBe("null");
    expect(errorMessage(undefined)).toBe("undefined");
    expect(errorMessage(42)).toBe("42");
    expect(errorMessage("plain words")).toBe("plain words");
    expect(errorMessage(new Error(""))).toBe("Error");
    expect(errorMessage({ message: "" })).toBe("[object Object]");
    expect(errorMessage({ message: 7 })).toBe("[object Object]");
    expect(errorMessage({})).toBe("[object Object]");
  });

  test("errorMessage appends any cause, whatever it is", () => {
    expect(errorMessage(new Error("fetch failed", { cause: new Error("connect ECONNREFUSED 127.0.0.1:8222") }))).toBe(
      "fetch failed (connect ECONNREFUSED 127.0.0.1:8222)",
    );
    expect(errorMessage({ message: "outer", cause: null })).toBe("outer (null)");
    expect(errorMessage({ message: "outer", cause: "ETIMEDOUT" })).toBe("outer (ETIMEDOUT)");
    expect(errorMessage({ message: "outer", cause: { message: "" } })).toBe("outer ([object Object])");
    expect(errorMessage({ message: "outer", cause: undefined })).toBe("outer");
  });

  test("errorMessage does not repeat a cause its message already quotes", () => {
    const cause = new Error("apt-get failed (exit 100): Failed to fetch");
    expect(errorMessage(new Error(`no nats-server 2.15.x: ${cause.message}\nthe twin's logs are kept in /tmp/x`, { cause }))).toBe(
      "no nats-server 2.15.x: apt-get failed (exit 100): Failed to fetch\nthe twin's logs are kept in /tmp/x",
    );
  });

  test("errorMessage says what nats.js's JetStreamNotEnabled means: no JetStream server answered", () => {
    // Named as nats.js names it (@nats-io/jetstream's jserrors.js), with the no-responders error as its cause.
    const error = Object.assign(new Error("jetstream is not enabled", { cause: new Error("503") }), { name: "JetStreamNotEnabled" });
    expect(errorMessage(error)).toBe(`jetstream is not enabled (${JETSTREAM_NO_RESPONDERS}) (503)`);
    expect(JETSTREAM_NO_RESPONDERS).toMatch(/^nats\.js says this when no server answered the JetStream request: no stream or meta leader is reachable, .*partitioned; it does not mean JetStream is off$/);
    expect(errorMessage(new Error("jetstream is not enabled"))).toBe("jetstream is not enabled");
  });

  test("isAuthorizationError: only an object named AuthorizationError", () => {
    expect(isAuthorizationError(null)).toBe(false);
    expect(isAuthorizationError(undefined)).toBe(false);
    expect(isAuthorizationError("AuthorizationError")).toBe(false);
    expect(isAuthorizationError({ name: "Error" })).toBe(false);
    expect(isAuthorizationError({ name: "AuthorizationError" })).toBe(true);
  });

  test("describeFailure adds the credentials hint to an authorization error only", () => {
    const denied = Object.assign(new Error("Authorization Violation"), { name: "AuthorizationError" });
    expect(describeFailure(denied)).toBe(`Authorization Violation: ${HINT}`);
    expect(describeFailure(new Error("Authorization Violation"))).toBe("Authorization Violation");
    expect(describeFailure(null)).toBe("null");
  });
});

describe("contextOf: the load balancer's host in URLs", () => {
  test("host names and IPv4 addresses stay bare; an IPv6 address gets brackets once", () => {
    expect(contextOf({ lb: "lb.example.com", expectNodes: 1 })).toMatchObject({ natsUrl: "nats://lb.example.com:4222", lbMonitorUrl: undefined });
    expect(contextOf({ lb: "127.0.0.1", expectNodes: 1, clientPort: 4223, monitorPort: 8222 })).toMatchObject({
      natsUrl: "nats://127.0.0.1:4223",
      lbMonitorUrl: "http://127.0.0.1:8222",
    });
    expect(contextOf({ lb: "[::1]", expectNodes: 1, monitorPort: 8222 })).toMatchObject({ natsUrl: "nats://[::1]:4222", lbMonitorUrl: "http://[::1]:8222" });
    expect(contextOf({ lb: "2001:db8::7", expectNodes: 1 }).natsUrl).toBe("nats://[2001:db8::7]:4222");
  });

  test("node monitor URLs lose every trailing slash", () => {
    expect(contextOf({ lb: "x", expectNodes: 2, nodeMonitors: ["http://n1:8222//", "http://n2:8222"] }).nodeMonitors).toEqual(["http://n1:8222", "http://n2:8222"]);
  });
});

describe("verify: results, retries and log lines (checks mocked, time faked)", () => {
  const mocks = {
    "round robin": checkRoundRobin as jest.MockedFunction<typeof checkRoundRobin>,
    mesh: checkMesh as jest.MockedFunction<typeof checkMesh>,
    "pub/sub": checkPubSub as jest.MockedFunction<typeof checkPubSub>,
    health: checkHealth as jest.MockedFunction<typeof checkHealth>,
    jetstream: checkJetStream as jest.MockedFunction<typeof checkJetStream>,
  };

  beforeEach(() => {
    jest.useFakeTimers({ now: 1_700_000_000_000 });
    for (const [name, mock] of Object.entries(mocks)) {
      mock.mockReset();
      mock.mockResolvedValue({ ok: true, detail: `${name} fine` });
    }
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  /** Runs verify to the end, letting fake time pass; returns its result and the log lines. */
  async function run(options: Omit<VerifyOptions, "log">): Promise<{ result: Awaited<ReturnType<typeof verify>>; lines: string[] }> {
    const lines: string[] = [];
    const pending = verify({ ...options, log: (line) => lines.push(line) });
    await jest.runAllTimersAsync();
    return { result: await pending, lines };
  }

  /** A check that answers these verdicts in turn, then the last one again. */
  function answers(...verdicts: Verdict[]): () => Promise<Verdict> {
    let i = 0;
    return async () => verdicts[Math.min(i++, verdicts.length - 1)];
  }

  test("every check passes at once: ok, the five results in order, each check run once, nothing logged", async () => {
    const { result, lines } = await run({ lb: "127.0.0.1", expectNodes: 3, timeoutSeconds: 60 });
    expect(result).toEqual({
      ok: true,
      checks: [
        { name: "round robin", ok: true, detail: "round robin fine" },
        { name: "mesh", ok: true, detail: "mesh fine" },
        { name: "pub/sub", ok: true, detail: "pub/sub fine" },
        { name: "health", ok: true, detail: "health fine" },
        { name: "jetstream", ok: true, detail: "jetstream fine" },
      ],
    });
    expect(Object.values(mocks).map((m) => m.mock.calls.length)).toEqual([1, 1, 1, 1, 1]);
    expect(lines).toEqual([]);
  });

  test("a failing check is retried each second while more than a second is left; a new detail is logged once", async () => {
    mocks.mesh.mockImplementation(answers({ ok: false, detail: "a" }, { ok: false, detail: "a" }, { ok: false, detail: "b" }));
    const { result, lines } = await run({ lb: "127.0.0.1", expectNodes: 3, timeoutSeconds: 3 });
    expect(mocks.mesh).toHaveBeenCalledTimes(3);
    expect(lines).toEqual(["waiting for mesh: a", "waiting for mesh: b"]);
    expect(result.ok).toBe(false);
    expect(result.checks[1]).toEqual({ name: "mesh", ok: false, detail: "b (still failing after 3 attempts)" });
    expect(result.checks.map((c) => c.ok)).toEqual([true, false, true, true, true]);
  });

  test("exactly one second left after an attempt: no further attempt", async () => {
    mocks["pub/sub"].mockResolvedValue({ ok: false, detail: "no message crossed" });
    const { result, lines } = await run({ lb: "127.0.0.1", expectNodes: 3, timeoutSeconds: 2 });
    expect(mocks["pub/sub"]).toHaveBeenCalledTimes(2);
    expect(lines).toEqual(["waiting for pub/sub: no message crossed"]);
    expect(result.checks[2]).toEqual({ name: "pub/sub", ok: false, detail: "no message crossed (still failing after 2 attempts)" });
  });

  test("a single failed attempt keeps its detail as it is", async () => {
    mocks.health.mockResolvedValue({ ok: false, detail: "n1 answered HTTP 503" });
    const { result, lines } = await run({ lb: "127.0.0.1", expectNodes: 3, timeoutSeconds: 1 });
    expect(mocks.health).toHaveBeenCalledTimes(1);
    expect(lines).toEqual(["waiting for health: n1 answered HTTP 503"]);
    expect(result.checks[3]).toEqual({ name: "health", ok: false, detail: "n1 answered HTTP 503" });
  });

  test("a check that throws fails with the error's message", async () => {
    mocks["round robin"].mockRejectedValue(new Error("connect ECONNREFUSED 127.0.0.1:4222"));
    const { result, lines } = await run({ lb: "127.0.0.1", expectNodes: 3, timeoutSeconds: 1 });
    expect(result.checks[0]).toEqual({ name: "round robin", ok: false, detail: "connect ECONNREFUSED 127.0.0.1:4222" });
    expect(result.ok).toBe(false);
    expect(lines).toEqual(["waiting for round robin: connect ECONNREFUSED 127.0.0.1:4222"]);
  });

  test("an authorization error ends the check at once, with the hint and without a log line", async () => {
    mocks.jetstream.mockRejectedValue(Object.assign(new Error("Authorization Violation"), { name: "AuthorizationError" }));
    const { result, lines } = await run({ lb: "127.0.0.1", expectNodes: 3, timeoutSeconds: 60 });
    expect(mocks.jetstream).toHaveBeenCalledTimes(1);
    expect(lines).toEqual([]);
    expect(result.checks[4]).toEqual({ name: "jetstream", ok: false, detail: `Authorization Violation: ${HINT}` });
    expect(result.ok).toBe(false);
  });

  test("the timeout bounds the whole run: a check still running at the deadline fails then, and the checks after it are not run", async () => {
    jest.useRealTimers();
    let signal: AbortSignal | undefined;
    mocks.mesh.mockImplementation((ctx) => {
      signal = ctx.deadline.signal;
      return new Promise<Verdict>(() => undefined);
    });
    const started = Date.now();
    const result = await verify({ lb: "127.0.0.1", expectNodes: 3, timeoutSeconds: 1 });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(result).toEqual({
      ok: false,
      checks: [
        { name: "round robin", ok: true, detail: "round robin fine" },
        { name: "mesh", ok: false, detail: "no verdict: the --timeout of 1 s ended during attempt 1" },
        { name: "pub/sub", ok: false, detail: "not run: the --timeout of 1 s ended before it started" },
        { name: "health", ok: false, detail: "not run: the --timeout of 1 s ended before it started" },
        { name: "jetstream", ok: false, detail: "not run: the --timeout of 1 s ended before it started" },
      ],
    });
    expect([mocks["pub/sub"], mocks.health, mocks.jetstream].map((m) => m.mock.calls.length)).toEqual([0, 0, 0]);
    // The check was told: its signal aborted at the deadline.
    expect(signal?.aborted).toBe(true);
  });

  test.each([
    // timeout, attempts: 5 s kept for each of the 4 checks after it, 1 s (a tenth of 10 s shared by 5) with --timeout 10
    [60, 40],
    [10, 6],
  ])("a check failing throughout stops retrying in time to leave each later check its share (--timeout %d: %d attempts)", async (timeoutSeconds, attempts) => {
    mocks["round robin"].mockResolvedValue({ ok: false, detail: "2/3 servers" });
    const { result } = await run({ lb: "127.0.0.1", expectNodes: 3, timeoutSeconds });
    expect(mocks["round robin"]).toHaveBeenCalledTimes(attempts);
    expect(result.checks.map((c) => [c.name, c.ok])).toEqual([["round robin", false], ["mesh", true], ["pub/sub", true], ["health", true], ["jetstream", true]]);
  });

  test("a run that ends before its deadline aborts its signal: nothing of it waits for the timeout", async () => {
    let signal: AbortSignal | undefined;
    mocks.jetstream.mockImplementation(async (ctx) => {
      signal = ctx.deadline.signal;
      return { ok: true, detail: "jetstream fine" };
    });
    await run({ lb: "127.0.0.1", expectNodes: 3, timeoutSeconds: 60 });
    expect(signal?.aborted).toBe(true);
  });

  test("a retry of a check cut by the deadline names the attempt before", async () => {
    // The deadline's AbortSignal.timeout runs on a real timer, which fake time does not move: here it
    // is a signal aborted by a faked setTimeout. The test above runs the real one, in real time.
    const timeout = jest.spyOn(AbortSignal, "timeout").mockImplementation((ms) => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(new DOMException("The operation was aborted due to timeout", "TimeoutError")), ms);
      return controller.signal;
    });
    try {
      let calls = 0;
      mocks["round robin"].mockImplementation(() => (++calls === 1 ? Promise.resolve({ ok: false, detail: "1/3 servers" }) : new Promise<Verdict>(() => undefined)));
      const { result } = await run({ lb: "127.0.0.1", expectNodes: 3, timeoutSeconds: 2 });
      expect(result.checks[0]).toEqual({ name: "round robin", ok: false, detail: "no verdict: the --timeout of 2 s ended during attempt 2 (attempt 1: 1/3 servers)" });
    } finally {
      timeout.mockRestore();
    }
  });

  test("a check failing 40 times leaves no abort listener behind per attempt (no listener leak warning)", async () => {
    const listeners: number[] = [];
    mocks["round robin"].mockImplementation(async (ctx) => {
      listeners.push(getEventListeners(ctx.deadline.signal, "abort").length);
      return { ok: false, detail: "2/3 servers" };
    });
    await run({ lb: "127.0.0.1", expectNodes: 3, timeoutSeconds: 60 });
    expect(listeners).toHaveLength(40);
    // withOwnSockets' one only, at every attempt: each earlier attempt removed its own when it settled.
    expect(new Set(listeners)).toEqual(new Set([1]));
  });

  test("a pause between attempts that ends after the deadline (a busy machine) gives no verdict for the attempt after it", async () => {
    const timeout = jest.spyOn(AbortSignal, "timeout").mockImplementation((ms) => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(new DOMException("The operation was aborted due to timeout", "TimeoutError")), ms);
      return controller.signal;
    });
    // The pause of 1 s wakes 1.5 s late, past the deadline of 2 s.
    const pause = jest.spyOn(retry, "sleep").mockImplementation((ms) => new Promise((resolve) => setTimeout(resolve, ms + 1500)));
    try {
      mocks["round robin"].mockResolvedValue({ ok: false, detail: "1/3 servers" });
      const { result } = await run({ lb: "127.0.0.1", expectNodes: 3, timeoutSeconds: 2 });
      expect(result.checks[0]).toEqual({ name: "round robin", ok: false, detail: "no verdict: the --timeout of 2 s ended during attempt 2 (attempt 1: 1/3 servers)" });
      expect(result.checks.slice(1).map((c) => c.detail)).toEqual(["mesh", "pub/sub", "health", "jetstream"].map(() => "not run: the --timeout of 2 s ended before it started"));
    } finally {
      timeout.mockRestore();
      pause.mockRestore();
    }
  });

  test("a check that passes on its second attempt is not retried again", async () => {
    mocks["round robin"].mockImplementation(answers({ ok: false, detail: "1/3 servers" }, { ok: true, detail: "3/3 servers" }));
    const { result, lines } = await run({ lb: "127.0.0.1", expectNodes: 3, timeoutSeconds: 60 });
    expect(mocks["round robin"]).toHaveBeenCalledTimes(2);
    expect(lines).toEqual(["waiting for round robin: 1/3 servers"]);
    expect(result.checks[0]).toEqual({ name: "round robin", ok: true, detail: "3/3 servers" });
    expect(result.ok).toBe(true);
  });
});
