import { checkHealth } from "./checks/health";
import { checkJetStream } from "./checks/jetstream";
import { checkMesh } from "./checks/mesh";
import { checkPubSub } from "./checks/pubsub";
import { checkRoundRobin } from "./checks/round-robin";
import type { CheckContext } from "./context";
import { describeFailure, isAuthorizationError } from "./errors";
import { Deadline, sleep } from "./retry";
import { plural } from "./stats";
import type { CheckResult, Verdict, VerifyOptions } from "./types";

export type { CheckResult, Credentials, VerifyOptions } from "./types";

/** Default client port. */
export const DEFAULT_CLIENT_PORT = 4222;
/** Default overall retry budget, in seconds. */
export const DEFAULT_TIMEOUT_SECONDS = 60;
/** Default health path. */
const DEFAULT_HEALTH_PATH = "/healthz";
/** Pause between attempts of a failing check. */
const RETRY_MS = 1000;

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
 * is healthy, and (when asked) JetStream stores and replicates a stream. Each check is retried until it passes or the overall budget ends (each gets at
 * least one attempt), so it can run while the load balancer still refuses connections.
 */
export async function verify(options: VerifyOptions): Promise<{ ok: boolean; checks: CheckResult[] }> {
  const ctx = contextOf(options);
  const log = options.log ?? (() => undefined);
  const checks: CheckResult[] = [];
  for (const [name, check] of CHECKS) {
    checks.push(await untilPass(name, check, ctx, log));
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
 * Runs `check` until it passes or the deadline leaves no room for another attempt; an
 * authorization error ends it at once, with a hint (no retry fixes credentials).
 */
async function untilPass(name: string, check: Check, ctx: CheckContext, log: (line: string) => void): Promise<CheckResult> {
  let attempts = 0;
  let lastDetail: string | undefined;
  for (;;) {
    attempts++;
    let unauthorized = false;
    const verdict = await check(ctx).catch((error: unknown): Verdict => {
      unauthorized = isAuthorizationError(error);
      return { ok: false, detail: describeFailure(error) };
    });
    const result = { name, ...verdict };
    if (result.ok || unauthorized) return result;
    if (result.detail !== lastDetail) log(`waiting for ${name}: ${result.detail}`);
    lastDetail = result.detail;
    if (ctx.deadline.remainingMs() <= RETRY_MS) {
      return attempts > 1 ? { ...result, detail: `${result.detail} (still failing after ${plural(attempts, "attempt")})` } : result;
    }
    await sleep(RETRY_MS);
  }
}
