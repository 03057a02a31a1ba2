import { spawn } from "node:child_process";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { isAlive } from "../twin/process";
import { bootTwin, type Twin } from "../twin/twin";
import { ROOT, credentialEnv, runScript, stopAllStarted, track, type Started } from "./verify-support";

// Integration test: runs the verify CLI as a child process against a TCP server on loopback that
// accepts every connection and never writes a byte, and against a twin with one nats-server
// frozen by SIGSTOP (the kernel still completes its TCP handshakes; nothing answers). The CLI
// must print its verdict within --timeout and then exit by itself: a socket or timer left open
// keeps it running.
jest.setTimeout(120_000);

// Loopback block of this file (issue 21's range): the silent server, and the twin's load balancer
// on .60 with its nodes on .61 and up.
const SILENT_ADDRESS = "127.21.0.10";
const TWIN_BASE = "127.21.0.60";
const TIMEOUT_SECONDS = 5;
/**
 * What the CLI may take beyond --timeout: node and the tsx loader start in about 1 s here, and the
 * verdict and the exit follow the deadline within 0.2 s; the rest is room for a loaded machine.
 * (Before the fix the frozen twin's verdict came at 15.9 s, and the process did not exit.)
 */
const MARGIN_MS = 4000;
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

test("the deadline's signal aborts on time even when the garbage collector runs meanwhile", async () => {
  // Node 20's AbortSignal.any holds its sources weakly: a collected AbortSignal.timeout left the
  // combined signal unaborted, and the frozen twin's run below went on past its --timeout.
  const code = `const { Deadline } = require("./helpers/retry");
    const deadline = new Deadline(1);
    const started = Date.now();
    const collect = setInterval(() => {
      global.gc();
      if (Date.now() - started > 1500) { console.log("aborted", deadline.signal.aborted); clearInterval(collect); }
    }, 20);`;
  const run = track(spawn(process.execPath, ["--expose-gc", "--import", "tsx", "-e", code], { cwd: ROOT, env: { PATH: process.env.PATH ?? "" }, stdio: ["ignore", "pipe", "pipe"] }));
  expect(await run.exited).toBe(0);
  expect(run.output()).toBe("aborted true\n");
});

describe("a twin of the default stack with one nats-server frozen (SIGSTOP)", () => {
  let twin: Twin | undefined;
  let frozen: number | undefined;

  beforeAll(async () => {
    // The plan's own health check timers: the load balancer keeps sending connections to the frozen
    // node for its first 6 to 9 s (2 failed checks 3 s apart), as DigitalOcean's would.
    twin = await bootTwin({ stack: "nats", addressBase: TWIN_BASE });
  });

  afterEach(() => {
    // Resumed also when the test failed, so that the twin can stop it.
    if (frozen !== undefined && isAlive(frozen)) process.kill(frozen, "SIGCONT");
    frozen = undefined;
  });

  afterAll(async () => {
    await twin?.stop();
  });

  test("verify --timeout 10 fails round robin and exits by itself within the bound", async () => {
    frozen = twin!.nodes[1].pid as number;
    process.kill(frozen, "SIGSTOP");
    const started = Date.now();
    const run = runScript("verify", ["--lb", twin!.lbAddress, "--client-port", String(twin!.clientPort), "--expect-nodes", "3", "--timeout", "10"], credentialEnv(twin!));
    const { verdictMs, exitMs, code } = await timings(run, started, /^(ok {3}|FAIL )jetstream: /m);
    const output = run.output();
    expect({ verdictMs, exitMs, code, output }).toEqual({ verdictMs: expect.any(Number), exitMs: expect.any(Number), code: 1, output: expect.any(String) });
    expect(verdictMs!).toBeLessThan(10_000 + MARGIN_MS);
    expect(exitMs!).toBeLessThan(10_000 + MARGIN_MS);
    expect(output).toMatch(/^FAIL round robin: /m);
  });
});
