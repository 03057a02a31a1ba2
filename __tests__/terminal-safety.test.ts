import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { connect } from "@nats-io/transport-node";
import { fakeNats, stopFakeNats } from "./fake-nats";
import { runScript, stopAllStarted, waitForOutput } from "./verify-support";

// Integration test: runs the verify CLI and the subscriber as child processes against fake
// servers on loopback that put terminal escape sequences where the network supplies text: the
// server_name of the plaintext INFO (sent before any TLS), an -ERR line, a message payload.
// What reaches the terminal must carry them escaped (\x1b, \x07), never raw.
jest.setTimeout(60_000);

// Loopback block of this file (issue 21's range).
const HOST = "127.21.0.20";
/** Sets the window title to "owned" (OSC 0), as a hostile server name would. */
const TITLE = "\u001b]0;owned\u0007";
const TITLE_SHOWN = "\\x1b]0;owned\\x07";
/** Clears the screen. */
const CLEAR = "\u001b[2J";
/** Any control character but the line feeds and tabs the CLIs print themselves. */
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

const SERVER_ID = "NEVILEVILEVILEVILEVILEVILEVILEVILEVILEVILEVILEVILEVILEVIL";

let raw: Server | undefined;
const rawSockets = new Set<Socket>();

afterEach(async () => {
  await stopAllStarted();
  await stopFakeNats();
  for (const socket of rawSockets) socket.destroy();
  await new Promise<void>((resolve) => (raw === undefined ? resolve() : raw.close(() => resolve())));
  raw = undefined;
});

test("verify escapes a server_name from the INFO in what it prints", async () => {
  const nats = await fakeNats([{ id: SERVER_ID, name: TITLE }], undefined, HOST);
  const port = new URL(nats.url).port;
  const run = runScript("verify", ["--lb", HOST, "--client-port", port, "--expect-nodes", "1", "--timeout", "20"]);
  expect(await run.exited).toBe(0);
  const output = run.output();
  expect(output).toContain(`ok   pub/sub: 50/50 request/reply round trips ${TITLE_SHOWN} → ${TITLE_SHOWN}: `);
  expect(output).not.toMatch(RAW_CONTROL);
});

test("verify escapes an error text from the server (-ERR) in its log and its verdict", async () => {
  raw = createServer((socket) => {
    rawSockets.add(socket);
    socket.on("error", () => undefined);
    socket.on("close", () => rawSockets.delete(socket));
    socket.write(`INFO ${JSON.stringify({ server_id: SERVER_ID, version: "2.10.22", proto: 1, max_payload: 1048576 })}\r\n`);
    socket.once("data", () => socket.end(`-ERR '${CLEAR}${TITLE}'\r\n`));
  });
  await new Promise<void>((resolve) => raw!.listen(0, HOST, resolve));
  const port = String((raw.address() as AddressInfo).port);
  const run = runScript("verify", ["--lb", HOST, "--client-port", port, "--expect-nodes", "1", "--timeout", "2"]);
  expect(await run.exited).toBe(1);
  const output = run.output();
  expect(output).toMatch(/^FAIL round robin: 0\/1 servers in \d+ connections \(last error: .*\\x1b\[2J\\x1b\]0;owned\\x07.*\)$/m);
  expect(output).toMatch(/^waiting for round robin: .*\\x1b\[2J/m);
  expect(output).not.toMatch(RAW_CONTROL);
});

test("the subscriber escapes the server_name it landed on and a message payload", async () => {
  const nats = await fakeNats([{ id: SERVER_ID, name: TITLE }], undefined, HOST);
  const subscriber = runScript("subscriber", [], { NATS_SERVER: nats.url });
  await waitForOutput(subscriber, /subscribed to foo/);
  const publisher = await connect({ servers: nats.url });
  try {
    publisher.publish("foo", `${CLEAR}${TITLE}hello`);
    await publisher.flush();
    await waitForOutput(subscriber, /\[foo\]/);
  } finally {
    await publisher.close();
  }
  const output = subscriber.output();
  expect(output).toContain(`subscriber: connected to ${HOST}:${new URL(nats.url).port} (server ${TITLE_SHOWN}, id ${SERVER_ID})`);
  expect(output).toContain(`subscriber: [foo] \\x1b[2J${TITLE_SHOWN}hello`);
  expect(output).not.toMatch(RAW_CONTROL);
});
