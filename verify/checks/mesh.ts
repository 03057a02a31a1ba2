import { randomUUID } from "node:crypto";
import { closeAll, connectDistinct, describeReach, serverLabel, type NatsConnection } from "../connection";
import type { CheckContext } from "../context";
import type { HttpAnswer } from "../../helpers/http";
import { describeSample, problemsAt, sampleThroughBalancer, serverIdOf } from "../http";
import { sleep } from "../../helpers/retry";
import { plural } from "../stats";
import type { Verdict } from "../types";

/** Pause between publishing rounds while waiting for interest to cross the routes. */
const ROUND_MS = 50;

/**
 * Every node is routed to every other node, and every pair of servers carries messages: one
 * connection per server through the load balancer subscribes, and each publishes, so a
 * partition that leaves the routes listed (TCP connections that stay ESTABLISHED while no
 * packet passes) still fails. The routes are read first from the nodes' own /routez when
 * reachable, else from /routez through a published monitor port.
 */
export async function checkMesh(ctx: CheckContext): Promise<Verdict> {
  const routes = ctx.nodeMonitors.length > 0 ? await meshFromNodeMonitors(ctx) : ctx.lbMonitorUrl !== undefined ? await meshThroughBalancer(ctx, ctx.lbMonitorUrl) : undefined;
  if (routes?.ok === false) return routes;
  const messages = await meshWithMessages(ctx);
  return routes === undefined ? messages : { ok: messages.ok, detail: `${routes.detail}; ${messages.detail}` };
}

/** Why a /routez answer does not show `expectNodes - 1` distinct routes; undefined when it does. */
export function routeProblem(label: string, answer: HttpAnswer, expectNodes: number): string | undefined {
  if (answer.status !== 200) return `${label} answered HTTP ${answer.status}`;
  const remotes = remoteIds(answer.json?.routes);
  return remotes.size === expectNodes - 1 ? undefined : `${label} has ${plural(remotes.size, "route")}, expected ${expectNodes - 1}`;
}

/**
 * The distinct servers a /routez `routes` list connects to. From 2.10 nats-server pools routes
 * (3 per peer plus one for the system account), so `num_routes` counts connections, not peers.
 */
export function remoteIds(routes: unknown): Set<string> {
  const ids = Array.isArray(routes) ? routes.map(remoteIdOf) : [];
  return new Set(ids.filter((id): id is string => id !== undefined));
}

function remoteIdOf(route: unknown): string | undefined {
  const id = typeof route === "object" && route !== null ? (route as Record<string, unknown>).remote_id : undefined;
  return typeof id === "string" ? id : undefined;
}

async function meshFromNodeMonitors(ctx: CheckContext): Promise<Verdict> {
  const n = ctx.expectNodes;
  if (ctx.nodeMonitors.length !== n) {
    return { ok: false, detail: `${ctx.nodeMonitors.length} node monitors given for ${n} expected nodes` };
  }
  const problems = await problemsAt(ctx.nodeMonitors, "/routez", ctx.deadline.stepMs(), (base, answer) => routeProblem(base, answer, n));
  const method = "each node's /routez";
  if (problems.length > 0) return { ok: false, detail: `${method}: ${problems.join("; ")}` };
  return { ok: true, detail: `${method}: ${n}/${n} nodes report ${plural(n - 1, "route")}` };
}

async function meshThroughBalancer(ctx: CheckContext, monitorUrl: string): Promise<Verdict> {
  const n = ctx.expectNodes;
  const method = "/routez through the load balancer";
  const sampled = await sampleThroughBalancer(`${monitorUrl}/routez`, n, ctx.deadline.stepMs());
  if (sampled.byServer.size < n) {
    return { ok: false, detail: `${method}: reached ${describeSample(sampled, n)}` };
  }
  const problems = [...sampled.byServer.values()]
    .map((answer) => routeProblem(`server ${(serverIdOf(answer) ?? "").slice(0, 8)}`, answer, n))
    .filter((p): p is string => p !== undefined);
  if (problems.length > 0) return { ok: false, detail: `${method}: ${problems.join("; ")}` };
  return { ok: true, detail: `${method}: ${n}/${n} servers report ${plural(n - 1, "route")} (${plural(sampled.requests, "request")})` };
}

async function meshWithMessages(ctx: CheckContext): Promise<Verdict> {
  const n = ctx.expectNodes;
  const method = "messages between one connection per server";
  const reached = await connectDistinct({ server: ctx.natsUrl, credentials: ctx.credentials, wanted: n, timeoutMs: ctx.deadline.stepMs() });
  try {
    if (reached.byServer.size < n) {
      return { ok: false, detail: `${method}: reached ${describeReach(reached, n)}` };
    }
    // One node has no route, so no pair of servers to carry a message: reaching it is the check.
    if (n === 1) return { ok: true, detail: `${method}: reached the single server, no pair of servers to check` };
    const missing = await missingPairs(reached.byServer, ctx.deadline.stepMs());
    const pairs = n * (n - 1);
    if (missing.length > 0) {
      return { ok: false, detail: `${method}: ${pairs - missing.length}/${pairs} server pairs carried messages; missing ${missing.join(", ")}` };
    }
    return { ok: true, detail: `${method}: ${pairs}/${pairs} server pairs carried messages` };
  } finally {
    await closeAll(reached.byServer.values());
  }
}

/**
 * Subscribes on every connection, then has every connection publish its server_id in rounds
 * until each subscriber has heard every other server or `budgetMs` (one network step of the
 * deadline, at most 5 s) ends. Returns the pairs that never carried a message, as "from → to".
 */
async function missingPairs(byServer: Map<string, NatsConnection>, budgetMs: number): Promise<string[]> {
  const subject = `_verify.mesh.${randomUUID()}`;
  const ids = [...byServer.keys()];
  const connections = [...byServer.values()];
  const heard = ids.map(() => new Set<string>());
  const subs = connections.map((nc, i) => nc.subscribe(subject, { callback: (_err, msg) => { heard[i].add(msg.string()); } }));
  const complete = (): boolean => heard.every((set) => set.size >= ids.length);
  try {
    await Promise.all(connections.map((nc) => nc.flush()));
    for (let waited = 0; !complete() && waited < budgetMs; waited += ROUND_MS) {
      connections.forEach((nc, i) => nc.publish(subject, ids[i]));
      await sleep(ROUND_MS);
    }
  } finally {
    subs.forEach((sub) => sub.unsubscribe());
  }
  const label = (i: number): string => serverLabel(connections[i]);
  return ids.flatMap((_to, i) => ids.flatMap((from, j) => (j !== i && !heard[i].has(from) ? [`${label(j)} → ${label(i)}`] : [])));
}
