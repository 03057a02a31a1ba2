import { closeAll, connectDistinct, describeReach } from "../connection";
import type { CheckContext } from "../context";
import { describeSample, sampleThroughBalancer } from "../http";
import type { Verdict } from "../types";


/**
 * New connections through the load balancer reach all expected servers (told apart by the
 * server_id in the NATS INFO); with a published monitor, /varz through it does too.
 */
export async function checkRoundRobin(ctx: CheckContext): Promise<Verdict> {
  const wanted = ctx.expectNodes;
  const reached = await connectDistinct({ server: ctx.natsUrl, credentials: ctx.credentials, wanted, timeoutMs: ctx.deadline.stepMs() });
  await closeAll(reached.byServer.values());
  let ok = reached.byServer.size === wanted;
  let detail = describeReach(reached, wanted);
  if (ctx.lbMonitorUrl !== undefined) {
    const varz = await sampleThroughBalancer(`${ctx.lbMonitorUrl}/varz`, wanted, ctx.deadline.stepMs());
    ok &&= varz.byServer.size === wanted;
    detail += `; /varz through the load balancer: ${describeSample(varz, wanted)}`;
  }
  return { ok, detail };
}
