import { bootTwin, type Twin } from "../twin/twin";
import { credentialEnv, runScript, stopAllStarted, waitForOutput, type Started } from "./verify-support";

// Integration test: boots a twin (nats-server and HAProxy processes) and runs the pub/sub apps.
jest.setTimeout(180_000);

// Loopback block of this file: the load balancer on .10, nodes on .11 to .13, the seed load balancer on .14.
const BASE = "127.26.6.10";

let twin: Twin;

beforeAll(async () => {
  twin = await bootTwin({ stack: "nats", addressBase: BASE, timeScale: 0.2 });
});

afterAll(async () => {
  await stopAllStarted();
  await twin?.stop();
});

/** The node (0-based) whose name the app last said it is on: "connected to …" or "reconnected to …". */
function serverOf(app: Started): number {
  const names = [...app.output().matchAll(/connected to \S+ \(server (nats-\d),/g)].map((match) => match[1]);
  return twin.nodes.findIndex((node) => node.name === names[names.length - 1]);
}

test("the apps report a lame duck, a disconnect, buffering and a reconnect, each with the server they are now on; Ctrl-C with no cluster exits", async () => {
  const env = { NATS_SERVER: `nats://${twin.lbAddress}:${twin.clientPort}`, ...credentialEnv(twin) };
  const publisher = runScript("publisher", [], { ...env, PUBLISH_INTERVAL_MS: "200" });
  const subscriber = runScript("subscriber", [], env);
  await Promise.all([waitForOutput(publisher, /published to foo/), waitForOutput(subscriber, /subscribed to foo/)]);

  // A node in lame duck mode: the publisher hears it and moves to another server.
  const first = serverOf(publisher);
  await twin.stopNode(first);
  await waitForOutput(publisher, /publisher: server nats-\d, id \w+ is in lame duck mode \(shutting down\): moving to another server in 9 s\n/);
  await waitForOutput(publisher, /publisher: reconnected to \S+ \(server nats-\d, id \w+\)\n/, 30_000);
  expect(serverOf(publisher)).not.toBe(first);
  await twin.restart(first);

  // The whole cluster gone: both apps say so, the publisher says it buffers instead of "published".
  const mark = publisher.output().length;
  await Promise.all(twin.nodes.map((_node, i) => twin.kill(i)));
  await waitForOutput(publisher, /publisher: disconnected from \S+ \(server nats-\d, id \w+\): on no server now, reconnecting every 250 ms\n/);
  await waitForOutput(subscriber, /subscriber: disconnected from \S+ \(server nats-\d, id \w+\): on no server now/);
  await waitForOutput(publisher, /publisher: buffered for foo \(no server; sent on reconnect\): Hello World/);
  expect(publisher.output().slice(mark)).not.toMatch(/disconnected[^]*published to foo/);

  // Ctrl-C with no server: the drain is given up after 5 s and the app exits.
  const interrupted = Date.now();
  subscriber.child.kill("SIGINT");
  expect(await subscriber.exited).toBe(0);
  expect(Date.now() - interrupted).toBeLessThan(8000);
  expect(subscriber.output()).toMatch(/subscriber: drain failed: .*; closing without it \(messages not yet sent are lost\)\n/);

  // The cluster back: the publisher reconnects and says where.
  await Promise.all(twin.nodes.map((_node, i) => twin.restart(i)));
  await waitForOutput(publisher, /publisher: reconnected to \S+ \(server nats-\d, id \w+\)\n(.*\n)*publisher: published to foo/, 30_000);
  publisher.child.kill("SIGINT");
  expect(await publisher.exited).toBe(0);
});
