import { checkHealth } from "./checks/health";
import { checkJetStream } from "./checks/jetstream";
import { checkMesh } from "./checks/mesh";
import { checkPubSub } from "./checks/pubsub";
import { checkRoundRobin } from "./checks/round-robin";
import type { CheckContext } from "./context";
import { describeFailure, isAuthorizationError } from "./authorization";
import { withOwnSockets } from "./own-sockets";
import { Deadline, sleep } from "../helpers/retry";
import { plural } from "./stats";
import type { CheckResult, Verdict, VerifyOptions } from "./types";

export type { CheckResult, Credentials, VerifyOptions } from "./types";

/** Default client port. */
export const DEFAULT_CLIENT_PORT = 4222;
/** Default bound on the whole run, in seconds. */
export const DEFAULT_TIMEOUT_SECONDS = 60;
/** Default health path. */
const DEFAULT_HEALTH_PATH = "/healthz";
/** Pause between attempts of a failing check. */
const RETRY_MS = 1000;
/**
 * Time a failing check leaves to each check after it, so that a failure is diagnosed by every
 * check: one network step, and at most a tenth of the timeout shared by the five.
 */
const RESERVE_MS = 5000;

type Check = (ctx: CheckContext) => Promise<Verdict>;
const CHECKS: ReadonlyArray<readonly [string, Check]> = [
  ["round robin", checkRoundRobin],
  ["mesh", checkMesh],
  ["pub/sub", checkPubSub],
  ["health", checkHealth],
  ["jetstream", checkJetStream],
];

/**
 * Checks a NATS cluster behind a load balancer: round robin reaches every server, the servers
 * form a full mesh, messages cross between servers (with round-trip latency), every node
 * is healthy, and (when asked) JetStream stores and replicates a stream. Each check is retried
 * until it passes, so it can run while the load balancer still refuses connections, but stops
 * retrying early enough to leave each check after it {@link RESERVE_MS}. The timeout bounds the
 * whole run: a check still running when it ends fails, the checks after it are not run, and
 * every connection the run opened is closed by then.
 */
export async function verify(options: VerifyOptions): Promise<{ ok: boolean; checks: CheckResult[] }> {
  const ctx = contextOf(options);
  const log = options.log ?? (() => undefined);
  const checks: CheckResult[] = [];
  try {
    await withOwnSockets(ctx.deadline.signal, async () => {
      const reserveMs = Math.min(RESERVE_MS, (ctx.deadline.seconds * 1000) / (2 * CHECKS.length));
      for (const [i, [name, check]] of CHECKS.entries()) {
        const keepMs = (CHECKS.length - 1 - i) * reserveMs;
        checks.push(ctx.deadline.signal.aborted ? { name, ok: false, detail: `not run: ${timeoutEnded(ctx)} before it started` } : await untilPass(name, check, ctx, log, keepMs));
      }
    });
  } finally {
    ctx.deadline.end();
  }
  return { ok: checks.every((c) => c.ok), checks };
}

/** Resolves the options into what the checks need. */
export function contextOf(options: VerifyOptions): CheckContext {
  const host = options.lb.includes(":") && !options.lb.startsWith("[") ? `[${options.lb}]` : options.lb;
  return {
    natsUrl: `nats://${host}:${options.clientPort ?? DEFAULT_CLIENT_PORT}`,
    lbMonitorUrl: options.monitorPort === undefined ? undefined : `http://${host}:${options.monitorPort}`,
    nodeMonitors: (options.nodeMonitors ?? []).map((url) => url.replace(/\/+$/, "")),
    expectNodes: options.expectNodes,
    healthPath: options.healthPath ?? DEFAULT_HEALTH_PATH,
    credentials: options.credentials,
    jetstream: options.jetstream ?? false,
    deadline: new Deadline(options.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS),
  };
}

/**
 * Runs `check` until it passes or the deadline leaves no room for another attempt (besides
 * `keepMs`, for the checks after it); an
 * authorization error ends it at once, with a hint (no retry fixes credentials). An attempt
 * still running at the deadline is given up (its sockets are destroyed under it).
 */
async function untilPass(name: string, check: Check, ctx: CheckContext, log: (line: string) => void, keepMs: number): Promise<CheckResult> {
  let attempts = 0;
  let lastDetail: string | undefined;
  for (;;) {
    attempts++;
    let unauthorized = false;
    const verdict = await beforeDeadline(check(ctx).catch((error: unknown): Verdict => {
      unauthorized = isAuthorizationError(error);
      return { ok: false, detail: describeFailure(error) };
    }), ctx.deadline.signal);
    if (verdict === undefined) {
      const before = lastDetail === undefined ? "" : ` (attempt ${attempts - 1}: ${lastDetail})`;
      return { name, ok: false, detail: `no verdict: ${timeoutEnded(ctx)} during attempt ${attempts}${before}` };
    }
    const result = { name, ...verdict };
    if (result.ok || unauthorized) return result;
    if (result.detail !== lastDetail) log(`waiting for ${name}: ${result.detail}`);
    lastDetail = result.detail;
    if (ctx.deadline.remainingMs() <= RETRY_MS + keepMs) {
      return attempts > 1 ? { ...result, detail: `${result.detail} (still failing after ${plural(attempts, "attempt")})` } : result;
    }
    await sleep(RETRY_MS);
  }
}

/** "the --timeout of 5 s ended" */
function timeoutEnded(ctx: CheckContext): string {
  return `the --timeout of ${ctx.deadline.seconds} s ended`;
}

/** What `work` resolves to, or undefined when `signal` aborts first. */
function beforeDeadline<T>(work: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const abort = (): void => resolve(undefined);
    signal.addEventListener("abort", abort, { once: true });
    void work.then((value) => {
      signal.removeEventListener("abort", abort);
      resolve(value);
    });
  });
}
