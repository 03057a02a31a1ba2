import type { CheckContext } from "../context";
import { lastErrorSuffix } from "../../helpers/errors";
import { problemsAt, sampleThroughBalancer } from "../http";
import { plural } from "../stats";
import type { Verdict } from "../types";

/** Said when no monitor can be reached from where verify runs. */
const HEALTH_NOT_REACHABLE = "no node monitor is reachable from here (--nodes or --monitor-port reach one): the load balancer's own health check covers it";

/**
 * Every node answers 200 on the health path: asked directly when node monitors are given,
 * else through a published monitor port, else left to the load balancer's own health check
 * (skipped: it neither passes nor fails).
 */
export function checkHealth(ctx: CheckContext): Promise<Verdict> {
  if (ctx.nodeMonitors.length > 0) return healthFromNodes(ctx);
  if (ctx.lbMonitorUrl !== undefined) return healthThroughBalancer(ctx, ctx.lbMonitorUrl);
  return Promise.resolve({ ok: true, skipped: true, detail: HEALTH_NOT_REACHABLE });
}

async function healthFromNodes(ctx: CheckContext): Promise<Verdict> {
  const problems = await problemsAt(ctx.nodeMonitors, ctx.healthPath, ctx.deadline.stepMs(), (base, { status }) =>
    status === 200 ? undefined : `${base} answered HTTP ${status}`);
  const healthy = ctx.nodeMonitors.length - problems.length;
  const summary = `${healthy}/${ctx.expectNodes} nodes answer 200 on ${ctx.healthPath}`;
  const ok = problems.length === 0 && healthy === ctx.expectNodes;
  return { ok, detail: problems.length > 0 ? `${summary}; ${problems.join("; ")}` : summary };
}

/**
 * Through the load balancer a server can only be told apart when the health answer carries
 * its server_id (as /varz does); otherwise every answer must be 200.
 */
async function healthThroughBalancer(ctx: CheckContext, monitorUrl: string): Promise<Verdict> {
  const n = ctx.expectNodes;
  const sampled = await sampleThroughBalancer(`${monitorUrl}${ctx.healthPath}`, n, ctx.deadline.stepMs());
  const answers = [...sampled.byServer.values(), ...sampled.anonymous];
  const bad = answers.filter((a) => a.status !== 200).length;
  const clean = bad === 0 && sampled.lastError === undefined;
  const where = `on ${ctx.healthPath} through the load balancer`;
  const error = lastErrorSuffix(sampled.lastError);
  if (sampled.byServer.size > 0) {
    const healthy = [...sampled.byServer.values()].filter((a) => a.status === 200).length;
    return { ok: clean && healthy === n, detail: `${healthy}/${n} servers answer 200 ${where} (${plural(sampled.requests, "request")})${error}` };
  }
  const ok = clean && sampled.anonymous.length >= n;
  return { ok, detail: `${answers.length - bad}/${plural(sampled.requests, "request")} answered 200 ${where} (the answer does not name its server)${error}` };
}
