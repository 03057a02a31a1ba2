import { randomUUID } from "node:crypto";
import { closeAll, connectDistinct, describeReach, serverLabel, type NatsConnection } from "../connection";
import type { CheckContext } from "../context";
import { errorMessage } from "../../helpers/errors";
import { sleep, type Deadline } from "../../helpers/retry";
import { formatMs, percentile } from "../stats";
import type { Verdict } from "../types";

/** Timed round trips. */
const SAMPLES = 50;
/** How long to wait for the subscriber's interest to reach the publisher's server (less when the deadline is nearer). */
const INTEREST_BUDGET_MS = 5000;
const INTEREST_RETRY_MS = 20;
const REQUEST_TIMEOUT_MS = 2000;

/**
 * A subscriber on one server answers requests published on another, both connected through
 * the load balancer; reports the median and p99 round trip over {@link SAMPLES} requests.
 */
export async function checkPubSub(ctx: CheckContext): Promise<Verdict> {
  const wanted = Math.min(2, ctx.expectNodes);
  const reached = await connectDistinct({ server: ctx.natsUrl, credentials: ctx.credentials, wanted, timeoutMs: ctx.deadline.stepMs() });
  try {
    const [subscriber, publisher] = [...reached.byServer.values()];
    if (reached.byServer.size < wanted) {
      return { ok: false, detail: `reached ${describeReach(reached, wanted)}` };
    }
    return await measure(subscriber, publisher ?? subscriber, ctx.deadline);
  } finally {
    await closeAll(reached.byServer.values());
  }
}

async function measure(subscriber: NatsConnection, publisher: NatsConnection, deadline: Deadline): Promise<Verdict> {
  const subject = `_verify.pubsub.${randomUUID()}`;
  const sub = subscriber.subscribe(subject, { callback: (_err, msg) => { msg.respond(msg.data); } });
  const route = `${serverLabel(publisher)} → ${serverLabel(subscriber)}`;
  try {
    await subscriber.flush();
    const budgetMs = deadline.stepMs(INTEREST_BUDGET_MS);
    const interest = await waitForInterest(publisher, subject, budgetMs);
    if (interest !== undefined) return { ok: false, detail: `${route}: no reply within ${budgetMs} ms (${interest})` };
    const timings: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const started = performance.now();
      await publisher.request(subject, `sample ${i}`, { timeout: deadline.stepMs(REQUEST_TIMEOUT_MS) });
      timings.push(performance.now() - started);
    }
    const latency = `median ${formatMs(percentile(timings, 50))}, p99 ${formatMs(percentile(timings, 99))}`;
    return { ok: true, detail: `${SAMPLES}/${SAMPLES} request/reply round trips ${route}: ${latency}` };
  } catch (error) {
    return { ok: false, detail: `${route}: ${errorMessage(error)}` };
  } finally {
    sub.unsubscribe();
  }
}

/** Requests until the first reply arrives; returns the last error if none does within `budgetMs`. */
async function waitForInterest(publisher: NatsConnection, subject: string, budgetMs: number): Promise<string | undefined> {
  const until = Date.now() + budgetMs;
  let lastError = "no attempt";
  while (Date.now() < until) {
    try {
      await publisher.request(subject, "ping", { timeout: Math.max(1, Math.min(REQUEST_TIMEOUT_MS, until - Date.now())) });
      return undefined;
    } catch (error) {
      lastError = errorMessage(error);
      await sleep(INTEREST_RETRY_MS);
    }
  }
  return lastError;
}
