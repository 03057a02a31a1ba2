import { bootTwin, type Twin } from "../twin/twin";
import { credentialEnv, runScript, stopAllStarted, waitForOutput, type Started } from "./verify-support";

// Integration test: boots twins (nats-server and HAProxy processes).
jest.setTimeout(120_000);

afterEach(stopAllStarted);

/** The server a pub/sub app process says it connected to. */
function connectedServer(app: Started): string | undefined {
  return /connected to \S+ \(server (\S+),/.exec(app.output())?.[1];
}

describe.each([
  // The seed tutorial's stack advertises the nodes to clients; the default stack does not and needs a token.
  [
    "nats-tutorial",
    "127.0.10.40",
    /subscriber: cluster advertises 127\.0\.10\.4[12]:4222, 127\.0\.10\.4[12]:4222\n/,
    /subscriber: server pool 127\.0\.10\.40:4222, 127\.0\.10\.4[12]:4222 \(discovered\), 127\.0\.10\.4[12]:4222 \(discovered\)\n/,
  ],
  [
    "nats",
    "127.0.11.70",
    /subscriber: cluster advertises no client URLs \(clients stay on the load balancer\)\n/,
    /subscriber: server pool 127\.0\.11\.70:4222\n/,
  ],
])("publisher and subscribers through the %s twin's load balancer", (stack, base, advertised, pool) => {
  let twin: Twin | undefined;

  beforeAll(async () => {
    twin = await bootTwin({ stack, addressBase: base, timeScale: 0.2 });
  });

  afterAll(async () => {
    await twin?.stop();
  });

  test("two subscribers on different servers both print what the publisher sends, then drain on signals", async () => {
    if (twin === undefined) throw new Error("the twin did not boot");
    const env = { NATS_SERVER: `nats://${twin.lbAddress}:${twin.clientPort}`, ...credentialEnv(twin) };
    const subscribers = [runScript("subscriber", [], env), runScript("subscriber", [], env)];
    await Promise.all(subscribers.map((s) => waitForOutput(s, /subscribed to foo\n/)));
    expect(connectedServer(subscribers[0])).not.toEqual(connectedServer(subscribers[1]));
    expect(subscribers[0].output()).toMatch(advertised);
    expect(subscribers[0].output()).toMatch(pool);

    const publisher = runScript("publisher", [], { ...env, PUBLISH_INTERVAL_MS: "100" });
    await waitForOutput(publisher, /(publisher: published to foo: Hello World .*\n){3}/);
    const first = /published to foo: (Hello World \S+)/.exec(publisher.output())?.[1] ?? "";
    expect(first).toMatch(/^Hello World \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    await Promise.all(subscribers.map((s) => waitForOutput(s, new RegExp(`subscriber: \\[foo\\] ${first}\n`))));

    publisher.child.kill("SIGINT");
    subscribers.forEach((s) => s.child.kill("SIGTERM"));
    expect(await Promise.all([publisher, ...subscribers].map((p) => p.exited))).toEqual([0, 0, 0]);
    expect(publisher.output()).toMatch(/publisher: SIGINT, draining\npublisher: closed\n$/);
    expect(subscribers[0].output()).toMatch(/subscriber: SIGTERM, draining\n(.*\n)*subscriber: closed\n$/);
  });
});

describe("bad settings", () => {
  test("the publisher exits 2 on a bad PUBLISH_INTERVAL_MS", async () => {
    const publisher = runScript("publisher", [], { PUBLISH_INTERVAL_MS: "soon" });
    expect(await publisher.exited).toBe(2);
    expect(publisher.output()).toContain('PUBLISH_INTERVAL_MS "soon" is not an integer from 1 to 3600000');
  });

  test("the subscriber exits 1 when nothing listens at NATS_SERVER", async () => {
    const subscriber = runScript("subscriber", [], { NATS_SERVER: "nats://127.0.10.99:4222" });
    expect(await subscriber.exited).toBe(1);
    expect(subscriber.output()).toMatch(/^subscriber: .+/);
  });
});
