import { connect as tcpConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { fetchJson } from "../twin/monitor";
import { connectNats } from "../twin/probe";
import { poll } from "../twin/process";
import type { TwinNode } from "../twin/node";
import { bootTwin } from "../twin/twin";
import type { Credentials } from "../verify/types";
import { useTwin } from "./twin-support";

// Integration test: boots twins (nats-server and HAProxy processes).
jest.setTimeout(120_000);

// Loopback block of this file: the load balancer on .10, nodes on .11 and up.
const BASE = "127.0.12.10";
const SUBJECT = "bulk";
/** 16 messages of 64 KiB: 1 MiB per batch. */
const MESSAGE = new Uint8Array(64 * 1024).fill(120);
const BATCH = 16;
/**
 * The stalled client must be cut before this much (MiB) was published to it: max_pending (8 MB)
 * plus the kernel's socket buffers (about 4 MiB here), with room to spare. With nats-server's
 * default max_pending of 64 MB it would not be.
 */
const CUT_WITHIN_BATCHES = 32;
/** Publishing stops here if the client was not cut. */
const MAX_BATCHES = 2 * CUT_WITHIN_BATCHES;

interface ClosedConnection {
  cid: number;
  name?: string;
  reason?: string;
}

let stalled: Socket | undefined;
const under = useTwin(() => bootTwin({ stack: "nats", addressBase: BASE, timeScale: 0.2 }), { cleanup: () => stalled?.destroy() });

function monitorUrl(node: TwinNode): string {
  return `http://${node.address}:${node.monitorPort}`;
}

/** The CONNECT fields that carry `credentials`, as a raw client sends them. */
function connectFields(credentials: Credentials): Record<string, string> {
  if (credentials.token !== undefined) return { auth_token: credentials.token };
  if (credentials.user !== undefined) return { user: credentials.user, pass: credentials.password ?? "" };
  return {};
}

/** Resolves when `socket` has received a line matching `pattern`. */
function untilLine(socket: Socket, pattern: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    let text = "";
    const onData = (chunk: Buffer): void => {
      text += chunk.toString("latin1");
      if (pattern.test(text)) {
        socket.off("data", onData);
        resolve();
      }
    };
    socket.on("data", onData);
    socket.once("error", reject);
  });
}

/**
 * A raw client (TCP, then TLS when the cluster has a CA) that subscribes to {@link SUBJECT},
 * waits for the server's PONG (the subscription is registered) and then never reads again.
 */
async function stalledSubscriber(node: TwinNode, credentials: Credentials): Promise<Socket> {
  const raw = tcpConnect({ host: node.address, port: node.clientPort });
  raw.on("error", () => undefined);
  await untilLine(raw, /^INFO .*\r\n/);
  // The default stack requires TLS: upgrade after INFO, as NATS clients do, trusting the cluster's CA.
  const { tls } = credentials;
  const socket = tls === undefined ? raw : tlsConnect({ socket: raw, ca: tls.ca, servername: tls.serverName }).on("error", () => undefined);
  const connect = { verbose: false, pedantic: false, protocol: 1, name: "stalled", ...connectFields(credentials) };
  const registered = untilLine(socket, /PONG\r\n/);
  socket.write(`CONNECT ${JSON.stringify(connect)}\r\nSUB ${SUBJECT} 1\r\nPING\r\n`);
  await registered;
  socket.pause();
  return socket;
}

/** The stalled client's entry among the node's closed connections, once the server has cut it. */
async function closedStalled(node: TwinNode): Promise<ClosedConnection | undefined> {
  const connz = await fetchJson<{ connections: ClosedConnection[] }>(`${monitorUrl(node)}/connz?state=closed&limit=1024`);
  return connz.connections.find((connection) => connection.name === "stalled");
}

test("a subscriber that stops reading is cut off as a slow consumer while the others carry on", async () => {
  const [node, other] = under.twin.nodes;
  const healthy = await connectNats(`${node.address}:${node.clientPort}`, under.twin.credentials);
  const publisher = await connectNats(`${other.address}:${other.clientPort}`, under.twin.credentials);
  under.track(healthy);
  under.track(publisher);
  let received = 0;
  let probes = 0;
  healthy.subscribe(SUBJECT, {
    callback: (_error, message) => {
      if (message.data.length === MESSAGE.length) received++;
      else probes++;
    },
  });
  await healthy.flush();
  stalled = await stalledSubscriber(node, under.twin.credentials);
  const before = (await fetchJson<{ slow_consumers: number }>(`${monitorUrl(node)}/varz`)).slow_consumers;

  // Interest crosses the route to the publisher's node in a few milliseconds: probe until it arrives.
  await poll(async () => {
    publisher.publish(SUBJECT, "probe");
    await publisher.flush();
    return probes > 0;
  }, 5000, 20, `interest in ${SUBJECT} to reach ${other.name}`);

  // Publish paced by the healthy subscriber: it is never behind by more than one batch.
  let published = 0;
  let cut: ClosedConnection | undefined;
  for (let batch = 0; batch < MAX_BATCHES && cut === undefined; batch++) {
    for (let i = 0; i < BATCH; i++) publisher.publish(SUBJECT, MESSAGE);
    published += BATCH;
    await publisher.flush();
    await poll(() => received === published, 10_000, 5, `the healthy subscriber to receive ${published} messages`);
    cut = await closedStalled(node);
  }

  expect(cut?.reason).toMatch(/^Slow Consumer/);
  expect((await fetchJson<{ slow_consumers: number }>(`${monitorUrl(node)}/varz`)).slow_consumers).toBe(before + 1);
  expect(published).toBeLessThanOrEqual(CUT_WITHIN_BATCHES * BATCH);
  // The others carried on: every message arrived, and both still talk.
  expect(received).toBe(published);
  expect(healthy.isClosed() || publisher.isClosed()).toBe(false);
  publisher.publish(SUBJECT, MESSAGE);
  await poll(() => received === published + 1, 5000, 5, "one more message after the cut");
});
