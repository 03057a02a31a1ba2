import crypto from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { JetStreamApiError, jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager, type StreamConfig } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { checkJetStream, replicaProblem } from "../verify/checks/jetstream";
import type { NatsConnection } from "../verify/connection";
import type { CheckContext } from "../verify/context";
import { Deadline } from "../helpers/retry";
import type { Verdict } from "../verify/types";

// checkJetStream past the connection, against an in-memory JetStream: `connect` hands out a
// connection double, and `jetstreamManager` / `jetstream` hand out a stream API whose answers
// each test sets. The rest of @nats-io/jetstream (JetStreamApiError, StorageType) stays real.
// Time is jest's fake clock (the checks sleep between polls), except where an in-process
// node:http server plays the node monitors. No NATS protocol is spoken by anything here.
jest.mock("@nats-io/transport-node", () => {
  const actual = jest.requireActual<typeof import("@nats-io/transport-node")>("@nats-io/transport-node");
  return { ...actual, connect: jest.fn() };
});
jest.mock("@nats-io/jetstream", () => {
  const actual = jest.requireActual<typeof import("@nats-io/jetstream")>("@nats-io/jetstream");
  return { ...actual, jetstreamManager: jest.fn(), jetstream: jest.fn() };
});

const connectMock = jest.mocked(connect);
const managerMock = jest.mocked(jetstreamManager);
const clientMock = jest.mocked(jetstream);

const UUID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
const NAME = "VERIFY_0f1e2d3c4b5a69788796a5b4c3d2e1f0";
const SUBJECT = "_verify.jetstream.VERIFY_0f1e2d3c4b5a69788796a5b4c3d2e1f0";
const NATS_URL = "nats://127.0.0.10:4222";
const CREATED = "meta leader up (the stream was created)";
const WRITTEN = "20/20 acknowledged, 20/20 read back, deleted";

interface Peer {
  readonly name: string;
  readonly current: boolean;
  readonly offline?: boolean;
  readonly lag?: number;
}

interface Cluster {
  readonly leader?: string;
  readonly replicas?: readonly Peer[];
}

/** What `streams.info` answers: the stream's cluster, or none (not clustered). */
type Placement = Cluster | undefined;

const peer = (name: string, current = true, lag?: number, offline?: boolean): Peer => ({ name, current, lag, offline });
const CURRENT_R3: Cluster = { leader: "n1", replicas: [peer("n2"), peer("n3")] };
const BEHIND_R3: Cluster = { leader: "n1", replicas: [peer("n2"), peer("n3", false, 5)] };

/** The connection and JetStream doubles of one test, with what was done to them. */
interface Fakes {
  readonly nc: NatsConnection;
  readonly close: jest.Mock<Promise<void>, []>;
  readonly add: jest.Mock<Promise<object>, [Partial<StreamConfig>]>;
  readonly info: jest.Mock<Promise<{ cluster?: Cluster }>, [string]>;
  readonly remove: jest.Mock<Promise<boolean>, [string]>;
  readonly getMessage: jest.Mock<Promise<{ string(): string } | null>, [string, { seq: number }]>;
  readonly publish: jest.Mock<Promise<{ stream: string; seq: number }>, [string, string]>;
  /** seq → body of what was published. */
  readonly stored: Map<number, string>;
}

/**
 * Doubles answering like a healthy cluster: `placements` are what `info` answers in turn (the
 * last one from then on); publishes are acknowledged by the stream created, from seq 101 on,
 * and read back as published.
 */
function fakes(placements: readonly Placement[] = [CURRENT_R3]): Fakes {
  const stored = new Map<number, string>();
  let created = "";
  let asked = 0;
  const close = jest.fn(async () => undefined);
  const nc = { close } as unknown as NatsConnection;
  const double: Omit<Fakes, "nc" | "close" | "stored"> = {
    add: jest.fn(async (config: Partial<StreamConfig>) => {
      created = config.name ?? "";
      return {};
    }),
    info: jest.fn(async (_stream: string): Promise<{ cluster?: Cluster }> => {
      const cluster = placements[Math.min(asked++, placements.length - 1)];
      return cluster === undefined ? {} : { cluster };
    }),
    remove: jest.fn(async (_stream: string) => true as boolean),
    getMessage: jest.fn(async (_stream: string, { seq }: { seq: number }) => {
      const body = stored.get(seq);
      return body === undefined ? null : { string: () => body };
    }),
    publish: jest.fn(async (_subject: string, body: string) => {
      const seq = 101 + stored.size;
      stored.set(seq, body);
      return { stream: created, seq };
    }),
  };
  connectMock.mockResolvedValue(nc as never);
  managerMock.mockResolvedValue({
    streams: { add: double.add, info: double.info, delete: double.remove, getMessage: double.getMessage },
  } as unknown as JetStreamManager);
  clientMock.mockReturnValue({ publish: double.publish } as unknown as JetStreamClient);
  return { ...double, nc, close, stored };
}

function context(fields: Partial<CheckContext> = {}): CheckContext {
  return { natsUrl: NATS_URL, nodeMonitors: [], expectNodes: 3, healthPath: "/healthz", jetstream: true, deadline: new Deadline(10), ...fields };
}

/** The fake clock's start. */
const T0 = 1_700_000_000_000;

/**
 * Runs checkJetStream on the fake clock (starting at T0, standing still but for the timers it
 * runs) with a context whose deadline of `deadlineSeconds` starts on that clock, and settles it.
 */
async function onFakeClock(fields: Partial<Omit<CheckContext, "deadline">> = {}, deadlineSeconds = 10): Promise<Verdict> {
  jest.useFakeTimers({ now: T0, doNotFake: ["nextTick", "setImmediate", "queueMicrotask"] });
  const running = checkJetStream(context({ ...fields, deadline: new Deadline(deadlineSeconds) }));
  const settled = running.then(
    (verdict) => ({ verdict }),
    (error: unknown) => ({ error }),
  );
  await jest.runAllTimersAsync();
  const outcome: { verdict?: Verdict; error?: unknown } = await settled;
  if ("error" in outcome) throw outcome.error;
  return outcome.verdict as Verdict;
}

const noPeers = (): JetStreamApiError => new JetStreamApiError({ code: 400, err_code: 10005, description: "no suitable peers for placement" });

/** The stream is deleted (once, by its name) before the connection is closed (once). */
function expectCleanedUp(f: Fakes): void {
  expect(f.remove.mock.calls).toStrictEqual([[NAME]]);
  expect(f.close).toHaveBeenCalledTimes(1);
  expect(f.remove.mock.invocationCallOrder[0]).toBeLessThan(f.close.mock.invocationCallOrder[0]);
}

const MESSAGES = Array.from({ length: 20 }, (_unused, i) => `message ${i}`);
const SEQUENCES = Array.from({ length: 20 }, (_unused, i) => 101 + i);

beforeEach(() => {
  jest.spyOn(crypto, "randomUUID").mockReturnValue(UUID);
});

afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
  connectMock.mockReset();
  managerMock.mockReset();
  clientMock.mockReset();
});

describe("checkJetStream through the load balancer", () => {
  test("an R3 stream, current at once: 20 messages written and read back, then deleted", async () => {
    const f = fakes();
    expect(await onFakeClock()).toStrictEqual({
      ok: true,
      detail: "meta leader up (the stream was created); R3 stream on n1, replicas n2, n3 current: 20/20 acknowledged, 20/20 read back, deleted",
    });
    expect(connectMock.mock.calls).toStrictEqual([[{ servers: NATS_URL, name: "nats-verify", timeout: 5000, reconnect: false, ignoreClusterUpdates: true }]]);
    expect(managerMock.mock.calls).toStrictEqual([[f.nc, { timeout: 5000 }]]);
    expect(clientMock.mock.calls).toStrictEqual([[f.nc, { timeout: 5000 }]]);
    expect(f.add.mock.calls).toStrictEqual([[{ name: NAME, subjects: [SUBJECT], num_replicas: 3, storage: "file" }]]);
    expect(f.info.mock.calls).toStrictEqual([[NAME], [NAME]]);
    expect(f.publish.mock.calls).toStrictEqual(MESSAGES.map((body) => [SUBJECT, body]));
    expect(f.getMessage.mock.calls).toStrictEqual(SEQUENCES.map((seq) => [NAME, { seq }]));
    expectCleanedUp(f);
    expect(Date.now()).toBe(T0);
  });

  test("more than 3 nodes: still an R3 stream", async () => {
    const f = fakes();
    expect(await onFakeClock({ expectNodes: 5 })).toStrictEqual({ ok: true, detail: `${CREATED}; R3 stream on n1, replicas n2, n3 current: ${WRITTEN}` });
    expect(f.add.mock.calls).toStrictEqual([[{ name: NAME, subjects: [SUBJECT], num_replicas: 3, storage: "file" }]]);
  });

  test("a single node: an R1 stream, on its leader without replicas", async () => {
    const f = fakes([{ leader: "n1" }]);
    expect(await onFakeClock({ expectNodes: 1 })).toStrictEqual({ ok: true, detail: `${CREATED}; R1 stream on n1, replicas none current: ${WRITTEN}` });
    expect(f.add.mock.calls).toStrictEqual([[{ name: NAME, subjects: [SUBJECT], num_replicas: 1, storage: "file" }]]);
    expectCleanedUp(f);
  });

  test("a single node outside a cluster: an R1 stream that is not clustered is fine", async () => {
    const f = fakes([undefined]);
    expect(await onFakeClock({ expectNodes: 1 })).toStrictEqual({ ok: true, detail: `${CREATED}; R1 stream not clustered: ${WRITTEN}` });
    expect(f.info).toHaveBeenCalledTimes(2);
  });

  test("two nodes: an R2 stream with an empty replica list has none", async () => {
    const f = fakes([{ leader: "n1", replicas: [] }]);
    expect(await onFakeClock({ expectNodes: 2 }, 0.1)).toStrictEqual({
      ok: false,
      detail: "R2 stream on n1, replicas none (leader n1 with 0 replicas, expected 1)",
    });
    expect(f.add.mock.calls[0][0].num_replicas).toBe(2);
    expect(f.publish).not.toHaveBeenCalled();
    expectCleanedUp(f);
  });

  test("replicas that catch up after a few polls (50 ms apart)", async () => {
    const f = fakes([BEHIND_R3, BEHIND_R3, CURRENT_R3]);
    expect(await onFakeClock()).toStrictEqual({ ok: true, detail: `${CREATED}; R3 stream on n1, replicas n2, n3 current: ${WRITTEN}` });
    expect(f.info).toHaveBeenCalledTimes(4);
    expect(Date.now()).toBe(T0 + 100);
    expectCleanedUp(f);
  });

  test("replicas never current within what is left of the deadline: nothing is published", async () => {
    const f = fakes([BEHIND_R3]);
    expect(await onFakeClock({}, 1)).toStrictEqual({ ok: false, detail: "R3 stream on n1, replicas n2, n3 (not current: n3 (lag 5))" });
    // Polls at 0, 50, ..., 1000 ms: the last one when the budget is exactly used up.
    expect(f.info).toHaveBeenCalledTimes(21);
    expect(Date.now()).toBe(T0 + 1000);
    expect(f.publish).not.toHaveBeenCalled();
    expect(clientMock).not.toHaveBeenCalled();
    expectCleanedUp(f);
  });

  test("replicas that fall behind after the writes: 3 s to catch up, then the verdict fails", async () => {
    const lagging: Cluster = { leader: "n1", replicas: [peer("n2", false, 1), peer("n3")] };
    const f = fakes([CURRENT_R3, lagging]);
    expect(await onFakeClock()).toStrictEqual({ ok: false, detail: `${CREATED}; R3 stream on n1, replicas n2, n3 (not current: n2 (lag 1)): ${WRITTEN}` });
    // One poll before the writes, then polls at 0, 50, ..., 3000 ms after them.
    expect(f.info).toHaveBeenCalledTimes(62);
    expect(Date.now()).toBe(T0 + 3000);
    expectCleanedUp(f);
  });

  test("a stream without a leader", async () => {
    const f = fakes([{ leader: "", replicas: [peer("n2"), peer("n3")] }]);
    expect(await onFakeClock({}, 0.1)).toStrictEqual({ ok: false, detail: "R3 stream on no leader, replicas n2, n3 (no stream leader)" });
    expectCleanedUp(f);
  });

  test("an R3 stream that is not clustered", async () => {
    const f = fakes([undefined]);
    expect(await onFakeClock({}, 0.1)).toStrictEqual({ ok: false, detail: "R3 stream not clustered" });
    expect(f.info).toHaveBeenCalledTimes(3);
    expectCleanedUp(f);
  });

  test("the meta leader has no peers for placement at first: the stream is created again 250 ms later", async () => {
    const f = fakes();
    f.add.mockRejectedValueOnce(noPeers());
    expect(await onFakeClock()).toStrictEqual({ ok: true, detail: `${CREATED}; R3 stream on n1, replicas n2, n3 current: ${WRITTEN}` });
    expect(f.add).toHaveBeenCalledTimes(2);
    expect(Date.now()).toBe(T0 + 250);
    expectCleanedUp(f);
  });

  test("no peers for placement until the deadline: the error, nothing to delete, the connection closed", async () => {
    const f = fakes();
    f.add.mockImplementation(async () => {
      throw noPeers();
    });
    await expect(onFakeClock({}, 1)).rejects.toThrow("no suitable peers for placement");
    // Tries at 0, 250, 500, 750 and 1000 ms: the last one when the time is exactly up.
    expect(f.add).toHaveBeenCalledTimes(5);
    expect(Date.now()).toBe(T0 + 1000);
    expect(f.remove).not.toHaveBeenCalled();
    expect(f.info).not.toHaveBeenCalled();
    expect(f.close).toHaveBeenCalledTimes(1);
  });

  test("a publish acknowledged by another stream: stops there", async () => {
    const f = fakes();
    f.publish.mockImplementation(async (_subject: string, body: string) => {
      const seq = 101 + f.stored.size;
      f.stored.set(seq, body);
      return { stream: seq === 106 ? "ORDERS" : NAME, seq };
    });
    expect(await onFakeClock()).toStrictEqual({ ok: false, detail: `publish 5 was acknowledged by stream ORDERS, not ${NAME}` });
    expect(f.publish).toHaveBeenCalledTimes(6);
    expect(f.getMessage).not.toHaveBeenCalled();
    expect(f.info).toHaveBeenCalledTimes(1);
    expectCleanedUp(f);
  });

  test("messages read back wrong, missing or not at all: counted, the first 3 named", async () => {
    const f = fakes();
    const real = f.getMessage.getMockImplementation();
    f.getMessage.mockImplementation(async (stream: string, query: { seq: number }) => {
      switch (query.seq) {
        case 103:
          return { string: () => "garbage" };
        case 104:
          return null;
        case 105:
          throw Object.assign(new Error("no message found"), { cause: new Error("404") });
        case 110:
          return { string: () => "message 0" };
        default:
          return real === undefined ? null : real(stream, query);
      }
    });
    expect(await onFakeClock()).toStrictEqual({
      ok: false,
      detail: '20/20 acknowledged, 16/20 read back; seq 103: "garbage"; seq 104: missing; seq 105: no message found (404)',
    });
    expect(f.getMessage).toHaveBeenCalledTimes(20);
    expect(f.info).toHaveBeenCalledTimes(1);
    expectCleanedUp(f);
  });

  test("one message read back wrong", async () => {
    const f = fakes();
    f.getMessage.mockImplementation(async (_stream: string, { seq }: { seq: number }) => ({ string: () => (seq === 120 ? "message 20" : `message ${seq - 101}`) }));
    expect(await onFakeClock()).toStrictEqual({ ok: false, detail: '20/20 acknowledged, 19/20 read back; seq 120: "message 20"' });
    expectCleanedUp(f);
  });

  test("a publish that fails: the error, the stream deleted, the connection closed", async () => {
    const f = fakes();
    f.publish.mockRejectedValueOnce(new Error("no responders"));
    await expect(onFakeClock()).rejects.toThrow("no responders");
    expectCleanedUp(f);
  });

  test("a stream that cannot be created: the error, nothing to delete, the connection closed", async () => {
    const f = fakes();
    const inUse = new JetStreamApiError({ code: 400, err_code: 10058, description: "stream name already in use" });
    f.add.mockRejectedValue(inUse);
    await expect(onFakeClock()).rejects.toBe(inUse);
    expect(f.add).toHaveBeenCalledTimes(1);
    expect(f.remove).not.toHaveBeenCalled();
    expect(f.close).toHaveBeenCalledTimes(1);
  });
});

describe("checkJetStream with node monitors", () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    // Answers /jsz only under /n1, /n2, /n3 (anything else is 404), all naming the same meta leader.
    server = createServer((request, response) => {
      const ok = /^\/n[123]\/jsz$/.test(request.url ?? "");
      response.writeHead(ok ? 200 : 404, { "content-type": "application/json" }).end(ok ? JSON.stringify({ meta_cluster: { leader: "nats-1" } }) : "{}");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test("the meta leader every node names leads the detail", async () => {
    const f = fakes();
    const nodeMonitors = ["/n1", "/n2", "/n3"].map((path) => `${base}${path}`);
    expect(await checkJetStream(context({ nodeMonitors }))).toStrictEqual({
      ok: true,
      detail: "meta leader nats-1 on 3 nodes; R3 stream on n1, replicas n2, n3 current: 20/20 acknowledged, 20/20 read back, deleted",
    });
    expectCleanedUp(f);
  });

  test("one node", async () => {
    const f = fakes([{ leader: "n1" }]);
    expect(await checkJetStream(context({ nodeMonitors: [`${base}/n2`], expectNodes: 1 }))).toStrictEqual({
      ok: true,
      detail: `meta leader nats-1 on 1 node; R1 stream on n1, replicas none current: ${WRITTEN}`,
    });
    expectCleanedUp(f);
  });
});

describe("replicaProblem", () => {
  const info = (cluster: Cluster | undefined): Parameters<typeof replicaProblem>[0] => ({ cluster }) as unknown as Parameters<typeof replicaProblem>[0];

  test("a stream without a leader, whether the field is empty or missing", () => {
    expect(replicaProblem(info({ replicas: [peer("n2"), peer("n3")] }), 3)).toBe("no stream leader");
    expect(replicaProblem(info({ leader: "", replicas: [peer("n2"), peer("n3")] }), 3)).toBe("no stream leader");
  });

  test("an offline replica is behind even when it says it is current", () => {
    expect(replicaProblem(info({ leader: "n1", replicas: [peer("n2", true, 0, true), peer("n3", true, 0, false)] }), 3)).toBe("not current: n2 (lag 0)");
    expect(replicaProblem(info({ leader: "n1", replicas: [peer("n2", true, 0, false), peer("n3", true, 0, false)] }), 3)).toBeUndefined();
  });

  test("every replica behind, with its lag or ? when unknown", () => {
    expect(replicaProblem(info({ leader: "n1", replicas: [peer("n2", false, 3), peer("n3", false)] }), 3)).toBe("not current: n2 (lag 3), n3 (lag ?)");
  });
});
