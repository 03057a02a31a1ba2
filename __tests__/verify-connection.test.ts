import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from "node:net";
import type { Status } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { UsageError } from "../verify/args";
import { checkJetStream } from "../verify/checks/jetstream";
import { checkPubSub } from "../verify/checks/pubsub";
import {
  DEFAULT_LAME_DUCK_MOVE_MS,
  RIDE_THROUGH_OPTIONS,
  closeAll,
  connectDistinct,
  credentialOptions,
  describeReach,
  explainTlsFailure,
  openDirect,
  reconnectOnLameDuck,
  serverLabel,
  type DistinctServers,
  type NatsConnection,
} from "../verify/connection";
import type { CheckContext } from "../verify/context";
import { errorMessage } from "../helpers/errors";
import { DRAIN_TIMEOUT_MS, SUBJECT, appUsage, connectApp, drainOnSignals, printStatus, runApp, untilClosed } from "../verify/pubsub-app";
import { Deadline } from "../helpers/retry";
import { closedPort } from "./loopback";

// `connect` stays the real one (tests against a closed loopback port and a silent listener use
// it) unless a test gives it an implementation: then it hands out fake connections, so that the
// options it is called with and what is done with the connections can be asserted. No NATS
// protocol is spoken by anything here.
jest.mock("@nats-io/transport-node", () => {
  const actual = jest.requireActual<typeof import("@nats-io/transport-node")>("@nats-io/transport-node");
  return { ...actual, connect: jest.fn(actual.connect) };
});

const realConnect = jest.requireActual<typeof import("@nats-io/transport-node")>("@nats-io/transport-node").connect;
const connectMock = jest.mocked(connect);

afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
  connectMock.mockReset();
  connectMock.mockImplementation(realConnect);
});

/** A server's INFO as far as the code under test reads it. */
interface FakeInfo {
  readonly server_id: string;
  readonly server_name: string;
}

/** A connection double: what the code under test calls, as jest mocks. */
interface Fake {
  info: FakeInfo | undefined;
  closedFlag: boolean;
  readonly statuses: Status[];
  readonly close: jest.Mock<Promise<void>, []>;
  readonly drain: jest.Mock<Promise<void>, []>;
  readonly reconnect: jest.Mock<Promise<void>, []>;
  readonly closed: jest.Mock<Promise<void | Error>, []>;
  readonly flush: jest.Mock<Promise<void>, []>;
  readonly request: jest.Mock<Promise<unknown>, [string, string, { timeout: number }]>;
  readonly subscribe: jest.Mock<{ unsubscribe: jest.Mock<void, []> }, [string, { callback: (err: Error | null, msg: { data: Uint8Array; respond: (data: Uint8Array) => boolean }) => void }]>;
  readonly unsubscribe: jest.Mock<void, []>;
  readonly getServer: jest.Mock<string, []>;
  readonly nc: NatsConnection;
}

function fake(info: FakeInfo | undefined, statuses: Status[] = []): Fake {
  const unsubscribe = jest.fn<void, []>();
  const double: Omit<Fake, "nc"> = {
    info,
    closedFlag: false,
    statuses,
    close: jest.fn(async () => undefined),
    drain: jest.fn(async () => undefined),
    reconnect: jest.fn(async () => undefined),
    closed: jest.fn(async () => undefined),
    flush: jest.fn(async () => undefined),
    request: jest.fn<ReturnType<Fake["request"]>, Parameters<Fake["request"]>>(async () => ({})),
    subscribe: jest.fn<ReturnType<Fake["subscribe"]>, Parameters<Fake["subscribe"]>>(() => ({ unsubscribe })),
    unsubscribe,
    getServer: jest.fn(() => "127.0.0.10:4222"),
  };
  const nc = {
    get info() {
      return double.info;
    },
    isClosed: () => double.closedFlag,
    status: () => (async function* () {
      for (const status of double.statuses) yield status;
    })(),
    close: double.close,
    drain: double.drain,
    reconnect: double.reconnect,
    closed: double.closed,
    flush: double.flush,
    request: double.request,
    subscribe: double.subscribe,
    getServer: double.getServer,
  } as unknown as NatsConnection;
  return Object.assign(double, { nc });
}

const NODE_1: FakeInfo = { server_id: "NAAAAAAAAAAAAAAA1", server_name: "nats-1" };
const NODE_2: FakeInfo = { server_id: "NBBBBBBBBBBBBBBB2", server_name: "nats-2" };


/** Lets pending promise callbacks and I/O callbacks run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function context(natsUrl: string, overrides: Partial<CheckContext> = {}): CheckContext {
  return { natsUrl, nodeMonitors: [], expectNodes: 3, healthPath: "/healthz", jetstream: false, deadline: new Deadline(1), ...overrides };
}

const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

describe("credentialOptions", () => {
  test("no credentials: no options", () => {
    expect(credentialOptions()).toStrictEqual({});
    expect(credentialOptions(undefined)).toStrictEqual({});
    expect(credentialOptions({})).toStrictEqual({});
  });

  test("a token, which wins over a user and password", () => {
    expect(credentialOptions({ token: "s3cret" })).toStrictEqual({ token: "s3cret" });
    expect(credentialOptions({ token: "s3cret", user: "nats", password: "pw" })).toStrictEqual({ token: "s3cret" });
    expect(credentialOptions({ token: "" })).toStrictEqual({ token: "" });
  });

  test("a user with its password as `pass`", () => {
    expect(credentialOptions({ user: "nats", password: "pw" })).toStrictEqual({ user: "nats", pass: "pw" });
    expect(credentialOptions({ user: "nats" })).toStrictEqual({ user: "nats", pass: undefined });
    expect(credentialOptions({ password: "pw" })).toStrictEqual({});
  });

  test("TLS: the CA, and the server name as node:tls's `servername`", () => {
    expect(credentialOptions({ tls: { ca: CA } })).toStrictEqual({ tls: { ca: CA } });
    expect(credentialOptions({ tls: { ca: CA, serverName: "nats.internal" } })).toStrictEqual({ tls: { ca: CA, servername: "nats.internal" } });
    expect(credentialOptions({ tls: { ca: CA, serverName: "" } })).toStrictEqual({ tls: { ca: CA, servername: "" } });
  });

  test("TLS together with a token or a user", () => {
    expect(credentialOptions({ token: "s3cret", tls: { ca: CA, serverName: "nats.internal" } })).toStrictEqual({
      token: "s3cret",
      tls: { ca: CA, servername: "nats.internal" },
    });
    expect(credentialOptions({ user: "nats", password: "pw", tls: { ca: CA } })).toStrictEqual({ user: "nats", pass: "pw", tls: { ca: CA } });
  });
});

describe("constants", () => {
  test("ride-through settings and the lame duck move delay", () => {
    expect(RIDE_THROUGH_OPTIONS).toStrictEqual({ maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    expect(DEFAULT_LAME_DUCK_MOVE_MS).toBe(9000);
    expect(SUBJECT).toBe("foo");
  });
});

describe("explainTlsFailure", () => {
  const NO_CA =
    "the server requires TLS with a certificate from the cluster's CA, and NATS_CA is not set: set NATS_CA to the CA certificate file or PEM (terraform output -raw ca_certificate)";
  const WRONG_NAME =
    "the server's certificate does not carry the name asked for: set NATS_TLS_SERVER_NAME to the cluster's server name (terraform output -raw tls_server_name)";
  const WRONG_CA = "the server's certificate does not chain to the CA in NATS_CA: use the cluster's CA (terraform output -raw ca_certificate)";
  const coded = (message: string, code: unknown, cause?: unknown): Error => Object.assign(new Error(message), { code }, cause === undefined ? {} : { cause });
  const message = (value: unknown): string => (value as Error).message;

  test("returns other errors unchanged", () => {
    const refused = coded("connection refused", "ECONNREFUSED");
    expect(explainTlsFailure(refused, undefined)).toBe(refused);
    const plain = new Error("timeout");
    expect(explainTlsFailure(plain, { tls: { ca: CA } })).toBe(plain);
    const numeric = coded("odd", 42);
    expect(explainTlsFailure(numeric, undefined)).toBe(numeric);
    const lowercase = coded("odd", "self_signed_cert");
    expect(explainTlsFailure(lowercase, undefined)).toBe(lowercase);
  });

  test("returns values that are not objects unchanged", () => {
    expect(explainTlsFailure("ERR_TLS_CERT_ALTNAME_INVALID", undefined)).toBe("ERR_TLS_CERT_ALTNAME_INVALID");
    expect(explainTlsFailure(null, undefined)).toBeNull();
    expect(explainTlsFailure(undefined, undefined)).toBeUndefined();
    const withNullCause = coded("odd", "ECONNRESET", null);
    expect(explainTlsFailure(withNullCause, undefined)).toBe(withNullCause);
  });

  test("without a CA: says to set NATS_CA, whatever the certificate code", () => {
    expect(message(explainTlsFailure(coded("self-signed certificate in certificate chain", "SELF_SIGNED_CERT_IN_CHAIN"), undefined))).toBe(
      `${NO_CA} (self-signed certificate in certificate chain)`,
    );
    expect(message(explainTlsFailure(coded("bad name", "ERR_TLS_CERT_ALTNAME_INVALID"), {}))).toBe(`${NO_CA} (bad name)`);
    expect(message(explainTlsFailure(coded("bad name", "ERR_TLS_CERT_ALTNAME_INVALID"), { token: "t" }))).toBe(`${NO_CA} (bad name)`);
  });

  test("with a CA: the server name for a name mismatch, else the CA", () => {
    const tls = { tls: { ca: CA } };
    expect(message(explainTlsFailure(coded("Hostname/IP does not match", "ERR_TLS_CERT_ALTNAME_INVALID"), tls))).toBe(`${WRONG_NAME} (Hostname/IP does not match)`);
    expect(message(explainTlsFailure(coded("unable to verify", "UNABLE_TO_VERIFY_LEAF_SIGNATURE"), tls))).toBe(`${WRONG_CA} (unable to verify)`);
    expect(message(explainTlsFailure(coded("other altname", "X_ALTNAME_Y"), tls))).toBe(`${WRONG_CA} (other altname)`);
  });

  test.each(["X_CERT_Y", "X_SIGNATURE_Y", "X_ALTNAME_Y", "X_ISSUER_Y"])("recognizes %s as a certificate failure", (code) => {
    expect(message(explainTlsFailure(coded("failed", code), undefined))).toBe(`${NO_CA} (failed)`);
  });

  test("finds the code on the cause, and prefers the error's own", () => {
    const wrapped = coded("connection failed", "ECONNRESET", coded("certificate has expired", "CERT_HAS_EXPIRED"));
    expect(message(explainTlsFailure(wrapped, { tls: { ca: CA } }))).toBe(`${WRONG_CA} (connection failed (certificate has expired))`);
    const uncoded = Object.assign(new Error("connection failed"), { cause: coded("Hostname/IP does not match", "ERR_TLS_CERT_ALTNAME_INVALID") });
    expect(message(explainTlsFailure(uncoded, { tls: { ca: CA } }))).toBe(`${WRONG_NAME} (connection failed (Hostname/IP does not match))`);
    const both = coded("outer", "X_CERT_Y", coded("inner", "ERR_TLS_CERT_ALTNAME_INVALID"));
    expect(message(explainTlsFailure(both, { tls: { ca: CA } }))).toBe(`${WRONG_CA} (outer (inner))`);
  });

  test("returns an Error", () => {
    expect(explainTlsFailure(coded("x", "X_CERT_Y"), undefined)).toBeInstanceOf(Error);
  });
});

describe("serverLabel", () => {
  test("the server's name when it has one of its own, else the first 8 characters of its ID", () => {
    expect(serverLabel(fake(undefined).nc)).toBe("unknown server");
    expect(serverLabel(fake({ server_id: "NABCDEFGHIJKLMNOP", server_name: "nats-1" }).nc)).toBe("nats-1");
    expect(serverLabel(fake({ server_id: "NABCDEFGHIJKLMNOP", server_name: "" }).nc)).toBe("NABCDEFG");
    expect(serverLabel(fake({ server_id: "NABCDEFGHIJKLMNOP", server_name: "NABCDEFGHIJKLMNOP" }).nc)).toBe("NABCDEFG");
    expect(serverLabel(fake({ server_id: "NABC", server_name: "" }).nc)).toBe("NABC");
  });
});

describe("describeReach", () => {
  const reach = (servers: number, attempts: number, lastError?: string): DistinctServers => ({
    byServer: new Map(Array.from({ length: servers }, (_unused, i) => [`N${i}`, fake(undefined).nc])),
    attempts,
    lastError,
  });

  test("short of the wanted servers: with the last error when there was one", () => {
    expect(describeReach(reach(1, 5, "connection refused"), 2)).toBe("1/2 servers in 5 connections (last error: connection refused)");
    expect(describeReach(reach(0, 1), 1)).toBe("0/1 servers in 1 connection");
  });

  test("all wanted servers reached: the error is left out", () => {
    expect(describeReach(reach(2, 3, "timeout"), 2)).toBe("2/2 servers in 3 connections");
    expect(describeReach(reach(3, 3, "timeout"), 2)).toBe("3/2 servers in 3 connections");
  });
});

describe("closeAll", () => {
  test("closes every connection, also after one fails to close", async () => {
    const [a, b, c] = [fake(NODE_1), fake(NODE_2), fake(undefined)];
    b.close.mockRejectedValue(new Error("already closed"));
    await expect(closeAll(new Map([["a", a.nc], ["b", b.nc], ["c", c.nc]]).values())).resolves.toBeUndefined();
    expect([a.close.mock.calls.length, b.close.mock.calls.length, c.close.mock.calls.length]).toEqual([1, 1, 1]);
  });

  test("waits for the closes", async () => {
    const a = fake(NODE_1);
    let closed = false;
    a.close.mockImplementation(() => new Promise<void>((resolve) => setTimeout(() => {
      closed = true;
      resolve();
    }, 20)));
    await closeAll([a.nc]);
    expect(closed).toBe(true);
  });

  test("nothing to close", async () => {
    await expect(closeAll([])).resolves.toBeUndefined();
  });
});

describe("reconnectOnLameDuck", () => {
  const ldm: Status = { type: "ldm", server: "nats://127.0.0.11:4222" };

  test("moves the connection once afterMs has passed after a lame duck announcement", async () => {
    jest.useFakeTimers();
    const conn = fake(NODE_1, [{ type: "disconnect", server: "nats://127.0.0.11:4222" }, ldm]);
    await reconnectOnLameDuck(conn.nc, 500);
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(499);
    expect(conn.reconnect).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(conn.reconnect).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(10_000);
    expect(conn.reconnect).toHaveBeenCalledTimes(1);
  });

  test("waits DEFAULT_LAME_DUCK_MOVE_MS (9 s) by default", async () => {
    jest.useFakeTimers();
    const conn = fake(NODE_1, [ldm]);
    await reconnectOnLameDuck(conn.nc);
    jest.advanceTimersByTime(8999);
    expect(conn.reconnect).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(conn.reconnect).toHaveBeenCalledTimes(1);
  });

  test("ignores every other status", async () => {
    jest.useFakeTimers();
    const others: Status[] = [
      { type: "disconnect", server: "a" },
      { type: "reconnect", server: "b" },
      { type: "reconnecting" },
      { type: "update", added: ["c"] },
      { type: "staleConnection" },
      { type: "close" },
    ];
    const conn = fake(NODE_1, others);
    await reconnectOnLameDuck(conn.nc, 100);
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(10_000);
    expect(conn.reconnect).not.toHaveBeenCalled();
  });

  test("stays when the connection has moved to another server meanwhile", async () => {
    jest.useFakeTimers();
    const conn = fake(NODE_1, [ldm]);
    await reconnectOnLameDuck(conn.nc, 100);
    conn.info = NODE_2;
    jest.advanceTimersByTime(100);
    expect(conn.reconnect).not.toHaveBeenCalled();
  });

  test("stays when the connection has lost its server info meanwhile", async () => {
    jest.useFakeTimers();
    const conn = fake(NODE_1, [ldm]);
    await reconnectOnLameDuck(conn.nc, 100);
    conn.info = undefined;
    jest.advanceTimersByTime(100);
    expect(conn.reconnect).not.toHaveBeenCalled();
  });

  test("does nothing once the connection is closed", async () => {
    jest.useFakeTimers();
    const conn = fake(NODE_1, [ldm]);
    await reconnectOnLameDuck(conn.nc, 100);
    conn.closedFlag = true;
    jest.advanceTimersByTime(100);
    expect(conn.reconnect).not.toHaveBeenCalled();
  });

  test("a connection without server info moves if it still has none", async () => {
    jest.useFakeTimers();
    const conn = fake(undefined, [ldm]);
    await reconnectOnLameDuck(conn.nc, 100);
    jest.advanceTimersByTime(100);
    expect(conn.reconnect).toHaveBeenCalledTimes(1);
  });

  test("one move per announcement; a failed reconnect is swallowed", async () => {
    jest.useFakeTimers();
    const conn = fake(NODE_1, [ldm, ldm]);
    conn.reconnect.mockRejectedValue(new Error("closed"));
    await reconnectOnLameDuck(conn.nc, 100);
    jest.advanceTimersByTime(100);
    expect(conn.reconnect).toHaveBeenCalledTimes(2);
    await jest.advanceTimersByTimeAsync(0);
  });

  test("does not keep the process alive", async () => {
    const conn = fake(NODE_1, [ldm]);
    const spy = jest.spyOn(global, "setTimeout");
    await reconnectOnLameDuck(conn.nc, 60_000);
    const timer = spy.mock.results[0].value as NodeJS.Timeout;
    expect(spy.mock.calls[0][1]).toBe(60_000);
    expect(timer.hasRef()).toBe(false);
    clearTimeout(timer);
  });
});

describe("against a closed loopback port", () => {
  test("openDirect rejects with nats.js's connection refused, unexplained", async () => {
    const port = await closedPort();
    const error = await openDirect(`nats://127.0.0.1:${port}`, { token: "t", tls: { ca: CA } }, 1000).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect({ name: (error as Error).name, message: errorMessage(error) }).toEqual({
      name: "ConnectionError",
      message: `connection refused (connect ECONNREFUSED 127.0.0.1:${port})`,
    });
  });

  test("connectDistinct spends 4 × wanted + 4 attempts and keeps the last error", async () => {
    const port = await closedPort();
    const server = `nats://127.0.0.1:${port}`;
    const one = await connectDistinct({ server, wanted: 1, timeoutMs: 1000 });
    expect(one).toStrictEqual({ byServer: new Map(), attempts: 8, lastError: `connection refused (connect ECONNREFUSED 127.0.0.1:${port})` });
    const two = await connectDistinct({ server, wanted: 2, timeoutMs: 1000 });
    expect(two).toStrictEqual({ byServer: new Map(), attempts: 12, lastError: `connection refused (connect ECONNREFUSED 127.0.0.1:${port})` });
    expect(await connectDistinct({ server, wanted: 0, timeoutMs: 1000 })).toStrictEqual({ byServer: new Map(), attempts: 0, lastError: undefined });
  });

  test("checkPubSub: connections to 2 servers (1 for a single node), none reached", async () => {
    const port = await closedPort();
    const refused = `connection refused (connect ECONNREFUSED 127.0.0.1:${port})`;
    expect(await checkPubSub(context(`nats://127.0.0.1:${port}`))).toStrictEqual({ ok: false, detail: `reached 0/2 servers in 12 connections (last error: ${refused})` });
    expect(await checkPubSub(context(`nats://127.0.0.1:${port}`, { expectNodes: 2 }))).toStrictEqual({
      ok: false,
      detail: `reached 0/2 servers in 12 connections (last error: ${refused})`,
    });
    expect(await checkPubSub(context(`nats://127.0.0.1:${port}`, { expectNodes: 1 }))).toStrictEqual({
      ok: false,
      detail: `reached 0/1 servers in 8 connections (last error: ${refused})`,
    });
  });

  test("checkJetStream without node monitors rejects with the connection error", async () => {
    const port = await closedPort();
    await expect(checkJetStream(context(`nats://127.0.0.1:${port}`, { jetstream: true }))).rejects.toThrow("connection refused");
  });

  test("connectApp rejects with the connection error", async () => {
    const port = await closedPort();
    const error = await connectApp("pub", { NATS_SERVER: `nats://127.0.0.1:${port}` }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(errorMessage(error)).toBe(`connection refused (connect ECONNREFUSED 127.0.0.1:${port})`);
  });
});

describe("against a listener that never answers", () => {
  let silent: NetServer;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    silent = createNetServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  test("openDirect gives up after timeoutMs", async () => {
    const { port } = silent.address() as AddressInfo;
    const started = Date.now();
    const error = await openDirect(`nats://127.0.0.1:${port}`, undefined, 300).then(
      () => undefined,
      (e: unknown) => e,
    );
    const elapsed = Date.now() - started;
    expect({ name: (error as Error).name, message: errorMessage(error) }).toEqual({ name: "TimeoutError", message: "timeout" });
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(3000);
  });
});

/** Makes an unplanned call of `connect` fail instead of reaching out. */
function refuseUnplannedConnects(): void {
  connectMock.mockImplementation(async () => {
    throw new Error("unplanned connect");
  });
}

describe("with fake connections", () => {
  beforeEach(refuseUnplannedConnects);

  test("openDirect: one connection that never reconnects and ignores gossiped servers", async () => {
    const conn = fake(NODE_1);
    connectMock.mockResolvedValue(conn.nc);
    await expect(openDirect("nats://127.0.10.10:4222", { token: "s3cret", tls: { ca: CA, serverName: "nats.internal" } }, 1234)).resolves.toBe(conn.nc);
    expect(connectMock.mock.calls).toStrictEqual([
      [
        {
          servers: "nats://127.0.10.10:4222",
          token: "s3cret",
          tls: { ca: CA, servername: "nats.internal" },
          name: "nats-verify",
          timeout: 1234,
          reconnect: false,
          ignoreClusterUpdates: true,
        },
      ],
    ]);
  });

  test("openDirect explains a certificate failure", async () => {
    connectMock.mockRejectedValue(Object.assign(new Error("Hostname/IP does not match"), { code: "ERR_TLS_CERT_ALTNAME_INVALID" }));
    await expect(openDirect("nats://127.0.0.10:4222", { tls: { ca: CA } }, 1000)).rejects.toThrow(
      "the server's certificate does not carry the name asked for: set NATS_TLS_SERVER_NAME to the cluster's server name (terraform output -raw tls_server_name) (Hostname/IP does not match)",
    );
  });

  test("connectDistinct keeps one connection per server and closes the duplicates", async () => {
    const [a1, a2, refusedThenB] = [fake(NODE_1), fake(NODE_1), fake(NODE_2)];
    connectMock
      .mockResolvedValueOnce(a1.nc)
      .mockResolvedValueOnce(a2.nc)
      .mockRejectedValueOnce(new Error("connection refused"))
      .mockResolvedValueOnce(refusedThenB.nc);
    const reached = await connectDistinct({ server: "nats://127.0.0.10:4222", credentials: { user: "u", password: "p" }, wanted: 2, timeoutMs: 700 });
    expect({ servers: [...reached.byServer.entries()], attempts: reached.attempts, lastError: reached.lastError }).toStrictEqual({
      servers: [
        [NODE_1.server_id, a1.nc],
        [NODE_2.server_id, refusedThenB.nc],
      ],
      attempts: 4,
      lastError: "connection refused",
    });
    expect([a1.close.mock.calls.length, a2.close.mock.calls.length, refusedThenB.close.mock.calls.length]).toEqual([0, 1, 0]);
    expect(connectMock.mock.calls[0]).toStrictEqual([
      { servers: "nats://127.0.0.10:4222", user: "u", pass: "p", name: "nats-verify", timeout: 700, reconnect: false, ignoreClusterUpdates: true },
    ]);
  });

  test("connectDistinct gives up after 4 × wanted + 4 connections to the same server", async () => {
    const conns: Fake[] = [];
    connectMock.mockImplementation(async () => {
      const conn = fake(NODE_1);
      conns.push(conn);
      return conn.nc;
    });
    const reached = await connectDistinct({ server: "nats://127.0.0.10:4222", wanted: 2, timeoutMs: 700 });
    expect({ servers: [...reached.byServer.keys()], attempts: reached.attempts, lastError: reached.lastError }).toStrictEqual({
      servers: [NODE_1.server_id],
      attempts: 12,
      lastError: undefined,
    });
    expect(conns.map((conn) => conn.close.mock.calls.length)).toEqual([0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
  });

  test("connectDistinct files a connection without server info under an empty ID", async () => {
    const conn = fake(undefined);
    connectMock.mockResolvedValue(conn.nc);
    const reached = await connectDistinct({ server: "nats://127.0.0.10:4222", wanted: 1, timeoutMs: 700 });
    expect([...reached.byServer.entries()]).toStrictEqual([["", conn.nc]]);
    expect(reached.attempts).toBe(1);
  });

  test("connectDistinct: an authorization error closes every connection and is thrown at once", async () => {
    const [a1, a2] = [fake(NODE_1), fake(NODE_1)];
    const violation = Object.assign(new Error("Authorization Violation"), { name: "AuthorizationError" });
    connectMock.mockResolvedValueOnce(a1.nc).mockResolvedValueOnce(a2.nc).mockRejectedValueOnce(violation);
    await expect(connectDistinct({ server: "nats://127.0.0.10:4222", wanted: 3, timeoutMs: 700 })).rejects.toBe(violation);
    expect(connectMock).toHaveBeenCalledTimes(3);
    expect([a1.close.mock.calls.length, a2.close.mock.calls.length]).toEqual([1, 1]);
  });

  test("checkPubSub: 50 request/reply round trips from one server to the other", async () => {
    jest.useFakeTimers();
    const [subscriber, publisher] = [fake(NODE_1), fake(NODE_2)];
    connectMock.mockResolvedValueOnce(subscriber.nc).mockResolvedValueOnce(publisher.nc);
    publisher.request.mockImplementation(async (_subject, data) => {
      const sample = /^sample (\d+)$/.exec(data);
      if (sample !== null) jest.advanceTimersByTime(Number(sample[1]) + 1);
      return {};
    });
    const verdict = await checkPubSub(context("nats://127.0.0.10:4222", { deadline: new Deadline(60) }));
    expect(verdict).toStrictEqual({ ok: true, detail: "50/50 request/reply round trips nats-2 → nats-1: median 25.00 ms, p99 50.00 ms" });
    const subject = subscriber.subscribe.mock.calls[0][0];
    expect(subject).toMatch(/^_verify\.pubsub\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(publisher.request.mock.calls.slice(0, 3)).toStrictEqual([
      [subject, "ping", { timeout: 2000 }],
      [subject, "sample 0", { timeout: 2000 }],
      [subject, "sample 1", { timeout: 2000 }],
    ]);
    expect(publisher.request.mock.calls.at(-1)).toStrictEqual([subject, "sample 49", { timeout: 2000 }]);
    expect(publisher.request).toHaveBeenCalledTimes(51);
    expect(subscriber.flush).toHaveBeenCalledTimes(1);
    expect(subscriber.unsubscribe).toHaveBeenCalledTimes(1);
    expect([subscriber.close.mock.calls.length, publisher.close.mock.calls.length]).toEqual([1, 1]);
  });

  test("checkPubSub: the subscriber answers each request with its data", async () => {
    const [subscriber, publisher] = [fake(NODE_1), fake(NODE_2)];
    connectMock.mockResolvedValueOnce(subscriber.nc).mockResolvedValueOnce(publisher.nc);
    await checkPubSub(context("nats://127.0.0.10:4222"));
    const { callback } = subscriber.subscribe.mock.calls[0][1];
    const data = new TextEncoder().encode("hello");
    const respond = jest.fn(() => true);
    callback(null, { data, respond });
    expect(respond.mock.calls).toStrictEqual([[data]]);
  });

  test("checkPubSub on a single node: the subscriber's connection publishes too", async () => {
    jest.useFakeTimers();
    const only = fake(NODE_1);
    connectMock.mockResolvedValueOnce(only.nc);
    const verdict = await checkPubSub(context("nats://127.0.0.10:4222", { expectNodes: 1 }));
    expect(verdict).toStrictEqual({ ok: true, detail: "50/50 request/reply round trips nats-1 → nats-1: median 0.00 ms, p99 0.00 ms" });
    expect(connectMock).toHaveBeenCalledTimes(1);
    expect(only.request).toHaveBeenCalledTimes(51);
  });

  test("checkPubSub: a failed request is the verdict", async () => {
    const [subscriber, publisher] = [fake(NODE_1), fake(NODE_2)];
    connectMock.mockResolvedValueOnce(subscriber.nc).mockResolvedValueOnce(publisher.nc);
    publisher.request.mockImplementation(async (_subject, data) => {
      if (data === "sample 3") throw new Error("timeout");
      return {};
    });
    expect(await checkPubSub(context("nats://127.0.0.10:4222"))).toStrictEqual({ ok: false, detail: "nats-2 → nats-1: timeout" });
    expect(publisher.request).toHaveBeenCalledTimes(5);
    expect(subscriber.unsubscribe).toHaveBeenCalledTimes(1);
    expect([subscriber.close.mock.calls.length, publisher.close.mock.calls.length]).toEqual([1, 1]);
  });

  test("checkPubSub: no reply within 5 s, asking again every 20 ms with what is left of the budget", async () => {
    jest.useFakeTimers();
    const [subscriber, publisher] = [fake(NODE_1), fake(NODE_2)];
    connectMock.mockResolvedValueOnce(subscriber.nc).mockResolvedValueOnce(publisher.nc);
    let calls = 0;
    publisher.request.mockImplementation(async () => {
      calls++;
      throw new Error(`no responders ${calls}`);
    });
    const verdict = checkPubSub(context("nats://127.0.0.10:4222", { deadline: new Deadline(60) }));
    await jest.advanceTimersByTimeAsync(5000);
    expect(await verdict).toStrictEqual({ ok: false, detail: "nats-2 → nats-1: no reply within 5000 ms (no responders 250)" });
    const timeouts = publisher.request.mock.calls.map(([, , options]) => options.timeout);
    expect(timeouts.length).toBe(250);
    expect([timeouts[0], timeouts[149], timeouts[150], timeouts[151], timeouts[249]]).toEqual([2000, 2000, 2000, 1980, 20]);
    expect(subscriber.unsubscribe).toHaveBeenCalledTimes(1);
  });

  test("checkPubSub: 1.5 s left of the deadline: waits for a reply that long at most, each request ending by then", async () => {
    jest.useFakeTimers();
    const [subscriber, publisher] = [fake(NODE_1), fake(NODE_2)];
    connectMock.mockResolvedValueOnce(subscriber.nc).mockResolvedValueOnce(publisher.nc);
    publisher.request.mockRejectedValue(new Error("no responders"));
    const verdict = checkPubSub(context("nats://127.0.0.10:4222", { deadline: new Deadline(1.5) }));
    await jest.advanceTimersByTimeAsync(1500);
    expect(await verdict).toStrictEqual({ ok: false, detail: "nats-2 → nats-1: no reply within 1500 ms (no responders)" });
    const timeouts = publisher.request.mock.calls.map(([, , options]) => options.timeout);
    expect([timeouts[0], timeouts.at(-1)]).toEqual([1500, 20]);
    expect(Math.max(...timeouts)).toBe(1500);
  });

  test("checkPubSub: the round trips wait no longer than what is left of the deadline", async () => {
    jest.useFakeTimers();
    const [subscriber, publisher] = [fake(NODE_1), fake(NODE_2)];
    connectMock.mockResolvedValueOnce(subscriber.nc).mockResolvedValueOnce(publisher.nc);
    publisher.request.mockImplementation(async () => {
      jest.advanceTimersByTime(100);
      return {};
    });
    await checkPubSub(context("nats://127.0.0.10:4222", { deadline: new Deadline(3) }));
    const timeouts = publisher.request.mock.calls.map(([, , options]) => options.timeout);
    // The ping, then 50 samples 100 ms apart: 2 s each while more is left, then what is left.
    expect(timeouts.slice(0, 11)).toEqual(Array.from({ length: 11 }, () => 2000));
    expect(timeouts.slice(11, 14)).toEqual([1900, 1800, 1700]);
    expect(timeouts.at(-1)).toBe(1);
  });

  test("checkPubSub: one server reached of two", async () => {
    const conns: Fake[] = [];
    connectMock.mockImplementation(async () => {
      const conn = fake(NODE_1);
      conns.push(conn);
      return conn.nc;
    });
    expect(await checkPubSub(context("nats://127.0.0.10:4222"))).toStrictEqual({ ok: false, detail: "reached 1/2 servers in 12 connections" });
    expect(conns[0].subscribe).not.toHaveBeenCalled();
    expect(conns.every((conn) => conn.close.mock.calls.length === 1)).toBe(true);
  });
});

describe("checkJetStream before any connection", () => {
  let server: HttpServer;
  let base: string;
  /** path prefix → [status, body] */
  const answers: Record<string, readonly [number, string]> = {
    "/leader-1": [200, JSON.stringify({ meta_cluster: { leader: "nats-1" } })],
    "/leader-1b": [200, JSON.stringify({ meta_cluster: { leader: "nats-1" } })],
    "/leader-2": [200, JSON.stringify({ meta_cluster: { leader: "nats-2" } })],
    "/unavailable": [503, JSON.stringify({ disabled: true, meta_cluster: { leader: "nats-1" } })],
    "/disabled": [200, JSON.stringify({ disabled: true, meta_cluster: { leader: "nats-1" } })],
    "/disabled-string": [200, JSON.stringify({ disabled: "true", meta_cluster: { leader: "nats-1" } })],
    "/no-leader": [200, JSON.stringify({ meta_cluster: { leader: "" } })],
    "/no-meta": [200, JSON.stringify({ server_id: "NX" })],
    "/not-json": [200, "jetstream"],
  };

  beforeAll(async () => {
    server = createHttpServer((request, response) => {
      const [status, body] = answers[(request.url ?? "").replace(/\/jsz$/, "")] ?? [404, "{}"];
      response.writeHead(status, { "content-type": "application/json" }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const check = (monitors: readonly string[], natsUrl = "nats://127.0.0.1:1") =>
    checkJetStream(context(natsUrl, { jetstream: true, nodeMonitors: monitors.map((path) => `${base}${path}`), deadline: new Deadline(60) }));

  test("not expected: not checked", async () => {
    expect(await checkJetStream(context("nats://127.0.0.1:1"))).toStrictEqual({ ok: true, detail: "not checked: jetstream not expected (--jetstream)" });
    expect(connectMock).not.toHaveBeenCalled();
  });

  test("every node's problem with the meta leader, in the nodes' order", async () => {
    expect(await check(["/unavailable", "/disabled", "/no-leader", "/no-meta", "/not-json", "/leader-1"])).toStrictEqual({
      ok: false,
      detail: [
        `${base}/unavailable/jsz answered HTTP 503`,
        `${base}/disabled has jetstream disabled`,
        `${base}/no-leader knows no meta leader`,
        `${base}/no-meta knows no meta leader`,
        `${base}/not-json knows no meta leader`,
      ].join("; "),
    });
    expect(connectMock).not.toHaveBeenCalled();
  });

  test("nodes that disagree on the meta leader", async () => {
    expect(await check(["/leader-1", "/leader-2", "/leader-1b"])).toStrictEqual({ ok: false, detail: "nodes disagree on the meta leader: nats-1, nats-2" });
    expect(connectMock).not.toHaveBeenCalled();
  });

  test("an unreachable node monitor", async () => {
    const port = await closedPort();
    const monitor = `http://127.0.0.1:${port}`;
    expect(await checkJetStream(context("nats://127.0.0.1:1", { jetstream: true, nodeMonitors: [monitor] }))).toStrictEqual({
      ok: false,
      detail: `${monitor}: fetch failed (connect ECONNREFUSED 127.0.0.1:${port})`,
    });
  });

  test("one meta leader agreed on: goes on to connect through the load balancer", async () => {
    const refused = new Error("connection refused");
    connectMock.mockRejectedValue(refused);
    await expect(check(["/leader-1", "/leader-1b", "/disabled-string"], "nats://127.0.0.10:4222")).rejects.toBe(refused);
    expect(connectMock.mock.calls).toStrictEqual([
      [{ servers: "nats://127.0.0.10:4222", name: "nats-verify", timeout: 5000, reconnect: false, ignoreClusterUpdates: true }],
    ]);
  });
});

describe("connectApp", () => {
  beforeEach(refuseUnplannedConnects);

  test("refuses a bad environment before connecting", async () => {
    await expect(connectApp("pub", { NATS_SERVER: "http://x/y", NATS_USER: "u" })).rejects.toThrow(
      new UsageError('NATS_SERVER "http://x/y" is not a server URL: expected e.g. nats://203.0.113.7:4222'),
    );
    await expect(connectApp("pub", { NATS_USER: "u" })).rejects.toThrow("NATS_USER is set but NATS_PASSWORD is not: set both, or NATS_TOKEN");
    await expect(connectApp("pub", { NATS_TLS_SERVER_NAME: "nats.internal" })).rejects.toBeInstanceOf(UsageError);
    expect(connectMock).not.toHaveBeenCalled();
  });

  test("connects to the twin's load balancer by default, riding through rolls, and says where it landed", async () => {
    jest.useFakeTimers();
    const log = jest.spyOn(console, "log").mockImplementation(() => undefined);
    const conn = fake(NODE_1, [{ type: "ldm", server: "nats://127.0.0.11:4222" }]);
    connectMock.mockResolvedValue(conn.nc);
    await expect(connectApp("pub", {})).resolves.toBe(conn.nc);
    expect(connectMock.mock.calls).toStrictEqual([[{ servers: "nats://127.0.0.10:4222", name: "pub", maxReconnectAttempts: -1, reconnectTimeWait: 250 }]]);
    expect(log.mock.calls).toStrictEqual([["pub: connected to 127.0.0.10:4222 (server nats-1, id NAAAAAAAAAAAAAAA1)"]]);
    // It leaves a server in lame duck mode after the default delay.
    await jest.advanceTimersByTimeAsync(9000);
    expect(conn.reconnect).toHaveBeenCalledTimes(1);
  });

  test("passes NATS_SERVER and the credentials; names a server without info", async () => {
    const log = jest.spyOn(console, "log").mockImplementation(() => undefined);
    const conn = fake(undefined);
    conn.getServer.mockReturnValue("127.0.10.10:4222");
    connectMock.mockResolvedValue(conn.nc);
    await connectApp("sub", { NATS_SERVER: "nats://127.0.10.10:4222", NATS_TOKEN: "s3cret", NATS_CA: CA, NATS_TLS_SERVER_NAME: "nats.internal" });
    expect(connectMock.mock.calls).toStrictEqual([
      [
        {
          servers: "nats://127.0.10.10:4222",
          name: "sub",
          maxReconnectAttempts: -1,
          reconnectTimeWait: 250,
          token: "s3cret",
          tls: { ca: CA, servername: "nats.internal" },
        },
      ],
    ]);
    expect(log.mock.calls).toStrictEqual([["sub: connected to 127.0.10.10:4222 (no server info)"]]);
  });

  test("explains a certificate failure", async () => {
    connectMock.mockRejectedValue(Object.assign(new Error("self-signed certificate"), { code: "DEPTH_ZERO_SELF_SIGNED_CERT" }));
    await expect(connectApp("pub", {})).rejects.toThrow(
      "the server requires TLS with a certificate from the cluster's CA, and NATS_CA is not set: set NATS_CA to the CA certificate file or PEM (terraform output -raw ca_certificate) (self-signed certificate)",
    );
  });
});

describe("appUsage", () => {
  const COMMON = [
    "usage: [NATS_SERVER=nats://<load balancer>:4222] [NATS_TOKEN=...] npm run publisher",
    "",
    "  -h, --help  print this help and exit",
    "",
    "Environment:",
    "  NATS_SERVER           the load balancer (default nats://127.0.0.10:4222, the twin's)",
    "  NATS_TOKEN            client token (the default stack's client_secret output),",
    "                        or NATS_USER and NATS_PASSWORD",
    "  NATS_CA               the cluster's CA certificate, a file or the PEM itself (the default",
    "                        stack's ca_certificate output; required when the servers require TLS)",
    "  NATS_TLS_SERVER_NAME  the name the servers' certificates are checked for (the default",
    "                        stack's tls_server_name output, nats.internal)",
  ];

  test("the common variables", () => {
    expect(appUsage("publisher")).toBe(COMMON.join("\n"));
  });

  test("with the app's own variables after them", () => {
    expect(appUsage("publisher", ["  PUBLISH_INTERVAL_MS  between messages (default 1000)"])).toBe(
      [...COMMON, "  PUBLISH_INTERVAL_MS  between messages (default 1000)"].join("\n"),
    );
  });
});

describe("printStatus", () => {
  test("prints cluster updates, disconnects, reconnects with the server now used, lame duck notices and server errors, nothing else", async () => {
    const log = jest.spyOn(console, "log").mockImplementation(() => undefined);
    const conn = fake(NODE_1, [
      { type: "update", added: ["nats://10.0.0.2:4222", "nats://10.0.0.3:4222"], deleted: ["nats://10.0.0.1:4222"] },
      { type: "update", added: ["nats://10.0.0.4:4222"] },
      { type: "update", deleted: ["nats://10.0.0.5:4222"] },
      { type: "update" },
      { type: "ldm", server: "nats://10.0.0.1:4222" },
      { type: "reconnecting" },
      { type: "disconnect", server: "nats://10.0.0.1:4222" },
      { type: "reconnect", server: "nats://10.0.0.2:4222" },
      { type: "error", error: new Error("'Permissions Violation for Publish to \"x\"'") },
      { type: "ping", pendingPings: 1 },
      { type: "close" },
    ]);
    const error = jest.spyOn(console, "error").mockImplementation(() => undefined);
    const connected: boolean[] = [];
    await printStatus("sub", conn.nc, (now) => connected.push(now));
    expect(log.mock.calls).toStrictEqual([
      ["sub: cluster update: +nats://10.0.0.2:4222 +nats://10.0.0.3:4222 -nats://10.0.0.1:4222"],
      ["sub: cluster update: +nats://10.0.0.4:4222"],
      ["sub: cluster update: -nats://10.0.0.5:4222"],
      ["sub: cluster update: "],
      ["sub: server nats-1, id NAAAAAAAAAAAAAAA1 is in lame duck mode (shutting down): moving to another server in 9 s"],
      ["sub: disconnected from nats://10.0.0.1:4222 (server nats-1, id NAAAAAAAAAAAAAAA1): on no server now, reconnecting every 250 ms"],
      ["sub: reconnected to nats://10.0.0.2:4222 (server nats-1, id NAAAAAAAAAAAAAAA1)"],
    ]);
    expect(error.mock.calls).toStrictEqual([["sub: server error: 'Permissions Violation for Publish to \"x\"'"]]);
    expect(connected).toEqual([false, true]);
  });
});

describe("untilClosed", () => {
  test("resolves on a clean close", async () => {
    const conn = fake(NODE_1);
    await expect(untilClosed(conn.nc)).resolves.toBeUndefined();
  });

  test("rejects with the error the connection closed on", async () => {
    const conn = fake(NODE_1);
    const error = new Error("stale connection");
    conn.closed.mockResolvedValue(error);
    await expect(untilClosed(conn.nc)).rejects.toBe(error);
  });
});

describe("drainOnSignals", () => {
  const SIGNALS = ["SIGINT", "SIGTERM"] as const;
  let saved: Map<string, ((...args: unknown[]) => void)[]>;

  beforeEach(() => {
    // Only this test's handlers may see the signals it emits.
    saved = new Map(SIGNALS.map((signal) => [signal, process.listeners(signal) as ((...args: unknown[]) => void)[]]));
    for (const signal of SIGNALS) process.removeAllListeners(signal);
  });

  afterEach(() => {
    for (const signal of SIGNALS) {
      process.removeAllListeners(signal);
      for (const listener of saved.get(signal) ?? []) process.on(signal, listener);
    }
  });

  test.each(SIGNALS)("%s: stops producing, drains, then says closed; both handlers are gone", async (signal) => {
    const log = jest.spyOn(console, "log").mockImplementation(() => undefined);
    const order: string[] = [];
    const conn = fake(NODE_1);
    conn.drain.mockImplementation(async () => {
      order.push("drain");
    });
    drainOnSignals("pub", conn.nc, () => order.push("stop"));
    expect([process.listenerCount("SIGINT"), process.listenerCount("SIGTERM")]).toEqual([1, 1]);
    process.emit(signal, signal);
    expect([process.listenerCount("SIGINT"), process.listenerCount("SIGTERM")]).toEqual([0, 0]);
    await settle();
    expect(order).toEqual(["stop", "drain"]);
    expect(log.mock.calls).toStrictEqual([[`pub: ${signal}, draining`], ["pub: closed"]]);
  });

  test("a failed drain is reported on stderr and the connection closed instead; stopping is optional", async () => {
    const log = jest.spyOn(console, "log").mockImplementation(() => undefined);
    const error = jest.spyOn(console, "error").mockImplementation(() => undefined);
    const conn = fake(NODE_1);
    conn.drain.mockRejectedValue(new Error("connection disconnected"));
    drainOnSignals("sub", conn.nc);
    process.emit("SIGTERM", "SIGTERM");
    await settle();
    expect(conn.drain).toHaveBeenCalledTimes(1);
    expect(conn.close).toHaveBeenCalledTimes(1);
    expect(log.mock.calls).toStrictEqual([["sub: SIGTERM, draining"]]);
    expect(error.mock.calls).toStrictEqual([["sub: drain failed: connection disconnected; closing without it (messages not yet sent are lost)"]]);
  });

  test("a drain that hangs (no server reachable) is given up after DRAIN_TIMEOUT_MS and the connection closed", async () => {
    jest.useFakeTimers({ doNotFake: ["setImmediate"] });
    try {
      const error = jest.spyOn(console, "error").mockImplementation(() => undefined);
      jest.spyOn(console, "log").mockImplementation(() => undefined);
      const conn = fake(NODE_1);
      conn.drain.mockReturnValue(new Promise<void>(() => undefined));
      drainOnSignals("sub", conn.nc);
      process.emit("SIGINT", "SIGINT");
      jest.advanceTimersByTime(DRAIN_TIMEOUT_MS - 1);
      await settle();
      expect(conn.close).not.toHaveBeenCalled();
      jest.advanceTimersByTime(1);
      await settle();
      expect(conn.close).toHaveBeenCalledTimes(1);
      expect(error.mock.calls).toStrictEqual([["sub: drain failed: no server took it within 5 s; closing without it (messages not yet sent are lost)"]]);
    } finally {
      jest.useRealTimers();
    }
  });

  test("a drain that succeeds leaves no timer behind: the app exits then, not DRAIN_TIMEOUT_MS later", async () => {
    jest.useFakeTimers({ doNotFake: ["setImmediate"] });
    try {
      jest.spyOn(console, "log").mockImplementation(() => undefined);
      const conn = fake(NODE_1);
      drainOnSignals("pub", conn.nc);
      process.emit("SIGTERM", "SIGTERM");
      expect(jest.getTimerCount()).toBe(1);
      await settle();
      expect(conn.drain).toHaveBeenCalledTimes(1);
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  test("nothing happens before a signal", () => {
    const conn = fake(NODE_1);
    const stop = jest.fn();
    drainOnSignals("pub", conn.nc, stop);
    expect(stop).not.toHaveBeenCalled();
    expect(conn.drain).not.toHaveBeenCalled();
  });
});

describe("runApp", () => {
  let argv: string[];
  let exitCode: typeof process.exitCode;

  beforeEach(() => {
    argv = process.argv;
    exitCode = process.exitCode;
  });

  afterEach(() => {
    process.argv = argv;
    process.exitCode = exitCode;
  });

  const run = async (args: readonly string[], main: () => Promise<void>): Promise<number | string | undefined> => {
    process.argv = ["node", "publisher.ts", ...args];
    runApp("publisher", "usage: npm run publisher", main);
    await settle();
    return process.exitCode;
  };

  test("--help prints the usage and runs nothing", async () => {
    const log = jest.spyOn(console, "log").mockImplementation(() => undefined);
    const main = jest.fn(async () => undefined);
    expect(await run(["--help"], main)).toBe(0);
    expect(await run(["-h"], main)).toBe(0);
    expect(main).not.toHaveBeenCalled();
    expect(log.mock.calls).toStrictEqual([["usage: npm run publisher"], ["usage: npm run publisher"]]);
  });

  test("runs main and exits 0", async () => {
    const log = jest.spyOn(console, "log").mockImplementation(() => undefined);
    const main = jest.fn(async () => undefined);
    expect(await run([], main)).toBe(0);
    expect(main).toHaveBeenCalledTimes(1);
    expect(log).not.toHaveBeenCalled();
  });

  test("an unknown option: the usage and status 2", async () => {
    const error = jest.spyOn(console, "error").mockImplementation(() => undefined);
    const main = jest.fn(async () => undefined);
    expect(await run(["--verbose"], main)).toBe(2);
    expect(main).not.toHaveBeenCalled();
    expect(error.mock.calls).toStrictEqual([['publisher: unknown option "--verbose": allowed are --help\n\nusage: npm run publisher']]);
  });

  test("a failing main: status 1", async () => {
    const error = jest.spyOn(console, "error").mockImplementation(() => undefined);
    expect(await run([], async () => {
      throw new Error("connection refused");
    })).toBe(1);
    expect(error.mock.calls).toStrictEqual([["publisher: connection refused"]]);
  });
});
