import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { runScript, stopAllStarted, type Started } from "./verify-support";

// Integration test: runs the verify CLI as a child process against a TCP server on loopback that
// accepts every connection and never writes a byte (a frozen nats-server or monitor looks the same
// to a client: the kernel completes the handshake, nothing answers). The CLI must print its
// verdict within --timeout and then exit by itself: a socket or timer left open keeps it running.
jest.setTimeout(60_000);

// Loopback block of this file (issue 21's range).
const SILENT_ADDRESS = "127.21.0.10";
const TIMEOUT_SECONDS = 5;
/** Node and the tsx loader start in about 1.5 s here; the margin is generous so that a slow machine does not fail. */
const MARGIN_MS = 6000;
/** How long the old code is given before the test gives up on it (it ran for minutes). */
const GIVE_UP_MS = 40_000;

let server: Server | undefined;
const accepted = new Set<Socket>();
let acceptedEver = 0;

beforeAll(async () => {
  server = createServer((socket) => {
    accepted.add(socket);
    acceptedEver++;
    socket.on("error", () => undefined);
    socket.on("close", () => accepted.delete(socket));
  });
  await new Promise<void>((resolve) => server!.listen(0, SILENT_ADDRESS, resolve));
});

afterEach(() => stopAllStarted());

afterAll(async () => {
  for (const socket of accepted) socket.destroy();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
});

/** When `run` first printed a line matching `pattern` and when it exited, in ms after `started`; undefined for what did not happen within GIVE_UP_MS. */
async function timings(run: Started, started: number, pattern: RegExp): Promise<{ verdictMs?: number; exitMs?: number; code?: number | string }> {
  let verdictMs: number | undefined;
  const watch = setInterval(() => {
    if (verdictMs === undefined && pattern.test(run.output())) verdictMs = Date.now() - started;
  }, 20);
  const exited = await Promise.race([run.exited, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), GIVE_UP_MS).unref())]);
  clearInterval(watch);
  if (verdictMs === undefined && pattern.test(run.output())) verdictMs = Date.now() - started;
  return { verdictMs, exitMs: exited === undefined ? undefined : Date.now() - started, code: exited };
}

test(`--timeout ${TIMEOUT_SECONDS} bounds the whole run against a server that accepts and never answers (NATS, load balancer monitor, node monitors, JetStream), and the process exits by itself`, async () => {
  const { port } = server!.address() as AddressInfo;
  const started = Date.now();
  const run = runScript("verify", [
    "--lb", SILENT_ADDRESS, "--client-port", String(port), "--monitor-port", String(port),
    "--nodes", `${SILENT_ADDRESS}:${port}`, "--expect-nodes", "1", "--jetstream", "--timeout", String(TIMEOUT_SECONDS),
  ]);
  const { verdictMs, exitMs, code } = await timings(run, started, /^FAIL jetstream: /m);
  const output = run.output();
  expect({ verdictMs, exitMs, code, output }).toEqual({ verdictMs: expect.any(Number), exitMs: expect.any(Number), code: 1, output: expect.any(String) });
  expect(verdictMs!).toBeLessThan(TIMEOUT_SECONDS * 1000 + MARGIN_MS);
  expect(exitMs!).toBeLessThan(TIMEOUT_SECONDS * 1000 + MARGIN_MS);
  expect(output).toMatch(/^FAIL round robin: no verdict: the --timeout of 5 s ended during attempt 1$/m);
  for (const name of ["mesh", "pub/sub", "health", "jetstream"]) {
    expect(output).toContain(`FAIL ${name}: not run: the --timeout of 5 s ended before it started`);
  }
  // It did reach the server, and left no connection open there once it had exited.
  expect(acceptedEver).toBeGreaterThan(0);
  for (let waited = 0; accepted.size > 0 && waited < 2000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
  expect(accepted.size).toBe(0);
});
