import { randomUUID } from "node:crypto";
import { JetStreamApiError, StorageType, jetstream, jetstreamManager, type JetStreamManager, type StreamInfo } from "@nats-io/jetstream";
import { openDirect, type NatsConnection } from "../connection";
import type { CheckContext } from "../context";
import { errorMessage } from "../../helpers/errors";
import { problemsAt } from "../http";
import { sleep } from "../../helpers/retry";
import { plural } from "../stats";
import type { Verdict } from "../types";

/** Messages published with acknowledgements and read back. */
const MESSAGES = 20;
/** How long replicas may take to catch up with the last acknowledged message. */
const CURRENT_BUDGET_MS = 3000;
const CURRENT_RETRY_MS = 50;
/** nats-server's JSClusterNoPeersErrF: "no suitable peers for placement". */
const NO_PEERS_FOR_PLACEMENT = 10005;
const PLACEMENT_RETRY_MS = 250;

/**
 * JetStream works across the cluster: a meta leader exists (asked from the node monitors when
 * reachable; otherwise proven by the stream's creation, which needs one), and a temporary file
 * stream with min(N, 3) replicas, created through the load balancer, takes {@link MESSAGES}
 * acknowledged publishes, has every replica current, gives every message back and is deleted.
 */
export async function checkJetStream(ctx: CheckContext): Promise<Verdict> {
  if (!ctx.jetstream) return { ok: true, detail: "not checked: jetstream not expected (--jetstream)" };
  const leader = await metaLeaderFromMonitors(ctx);
  if (leader?.ok === false) return leader;
  const nc = await openDirect(ctx.natsUrl, ctx.credentials, ctx.deadline.stepMs());
  try {
    const jsm = await jetstreamManager(nc, { timeout: ctx.deadline.stepMs() });
    const replicas = Math.min(ctx.expectNodes, 3);
    const name = `VERIFY_${randomUUID().replace(/-/g, "")}`;
    const subject = `_verify.jetstream.${name}`;
    await whenPlaceable(() => jsm.streams.add({ name, subjects: [subject], num_replicas: replicas, storage: StorageType.File }), ctx.deadline.remainingMs());
    try {
      // A publish finds no responders until the stream exists on the server it lands on: wait
      // until every replica is there and current before the first one.
      const placed = await untilCurrent(jsm, name, replicas, ctx.deadline.remainingMs());
      if (!placed.ok) return { ok: false, detail: `R${replicas} stream ${placed.detail}` };
      const written = await writeAndRead(nc, jsm, name, subject, ctx);
      if (!written.ok) return written;
      const placement = await untilCurrent(jsm, name, replicas, Math.min(CURRENT_BUDGET_MS, ctx.deadline.remainingMs()));
      const meta = leader?.detail ?? "meta leader up (the stream was created)";
      return { ok: placement.ok, detail: `${meta}; R${replicas} stream ${placement.detail}: ${written.detail}` };
    } finally {
      await jsm.streams.delete(name);
    }
  } finally {
    await nc.close();
  }
}

/**
 * Runs `create` (a stream or a bucket with replicas), again every {@link PLACEMENT_RETRY_MS}
 * while the meta leader answers "no suitable peers for placement", for up to `timeoutMs`. The
 * leader places replicas only on peers whose statistics it has received; a server sends its
 * first ones 250 ms after start and then at doubling intervals up to 10 s, so a cluster that
 * has just formed (or a node that has just rejoined) can refuse an R3 stream for a few seconds.
 * Any other error, and that one once `timeoutMs` has passed, is thrown.
 */
export async function whenPlaceable<T>(create: () => Promise<T>, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await create();
    } catch (error) {
      if (!(error instanceof JetStreamApiError) || error.code !== NO_PEERS_FOR_PLACEMENT || Date.now() >= until) throw error;
      await sleep(PLACEMENT_RETRY_MS);
    }
  }
}

/** The meta leader every reachable node monitor reports; undefined without monitors. */
async function metaLeaderFromMonitors(ctx: CheckContext): Promise<Verdict | undefined> {
  if (ctx.nodeMonitors.length === 0) return undefined;
  const leaders = new Set<string>();
  const problems = await problemsAt(ctx.nodeMonitors, "/jsz", ctx.deadline.stepMs(), (base, answer) => {
    const meta = answer.json?.meta_cluster as { leader?: string } | undefined;
    if (answer.status !== 200) return `${base}/jsz answered HTTP ${answer.status}`;
    if (answer.json?.disabled === true) return `${base} has jetstream disabled`;
    if (!meta?.leader) return `${base} knows no meta leader`;
    leaders.add(meta.leader);
    return undefined;
  });
  if (problems.length > 0) return { ok: false, detail: problems.join("; ") };
  if (leaders.size !== 1) return { ok: false, detail: `nodes disagree on the meta leader: ${[...leaders].join(", ")}` };
  return { ok: true, detail: `meta leader ${[...leaders][0]} on ${plural(ctx.nodeMonitors.length, "node")}` };
}

async function writeAndRead(nc: NatsConnection, jsm: JetStreamManager, stream: string, subject: string, ctx: CheckContext): Promise<Verdict> {
  const js = jetstream(nc, { timeout: ctx.deadline.stepMs() });
  const sequences: number[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    const ack = await js.publish(subject, `message ${i}`);
    if (ack.stream !== stream) return { ok: false, detail: `publish ${i} was acknowledged by stream ${ack.stream}, not ${stream}` };
    sequences.push(ack.seq);
  }
  const wrong: string[] = [];
  for (const [i, seq] of sequences.entries()) {
    try {
      const stored = await jsm.streams.getMessage(stream, { seq });
      if (stored?.string() !== `message ${i}`) wrong.push(`seq ${seq}: ${stored === null ? "missing" : JSON.stringify(stored.string())}`);
    } catch (error) {
      wrong.push(`seq ${seq}: ${errorMessage(error)}`);
    }
  }
  const read = `${MESSAGES - wrong.length}/${MESSAGES} read back`;
  if (wrong.length > 0) return { ok: false, detail: `${MESSAGES}/${MESSAGES} acknowledged, ${read}; ${wrong.slice(0, 3).join("; ")}` };
  return { ok: true, detail: `${MESSAGES}/${MESSAGES} acknowledged, ${read}, deleted` };
}

/** Asks for the stream's placement until every replica is current or `budgetMs` has passed. */
async function untilCurrent(jsm: JetStreamManager, stream: string, replicas: number, budgetMs: number): Promise<Verdict> {
  const until = Date.now() + budgetMs;
  for (;;) {
    const placement = describePlacement(await jsm.streams.info(stream), replicas);
    if (placement.ok || Date.now() >= until) return placement;
    await sleep(CURRENT_RETRY_MS);
  }
}

/** "on nats-1, replicas nats-2, nats-3 current" and whether every replica is current. */
function describePlacement(info: StreamInfo, replicas: number): Verdict {
  const cluster = info.cluster;
  if (cluster === undefined) return { ok: replicas === 1, detail: "not clustered" };
  const problem = replicaProblem(info, replicas);
  const list = (cluster.replicas ?? []).map((peer) => peer.name).join(", ") || "none";
  return { ok: problem === undefined, detail: `on ${cluster.leader || "no leader"}, replicas ${list}${problem === undefined ? " current" : ` (${problem})`}` };
}

/** Why a stream is not on `replicas` current replicas with a leader; undefined when it is. */
export function replicaProblem(info: StreamInfo, replicas: number): string | undefined {
  const cluster = info.cluster;
  if (cluster === undefined) return replicas === 1 ? undefined : "not clustered";
  if (cluster.leader === undefined || cluster.leader === "") return "no stream leader";
  const peers = cluster.replicas ?? [];
  const behind = peers.filter((peer) => !peer.current || peer.offline === true).map((peer) => `${peer.name} (lag ${peer.lag ?? "?"})`);
  if (peers.length !== replicas - 1) return `leader ${cluster.leader} with ${peers.length} replicas, expected ${replicas - 1}`;
  return behind.length > 0 ? `not current: ${behind.join(", ")}` : undefined;
}
