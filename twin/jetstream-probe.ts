import type { NatsConnection } from "@nats-io/nats-core";
import { StorageType, jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager, type StreamInfo } from "@nats-io/jetstream";
import { replicaProblem, whenPlaceable } from "../verify/checks/jetstream";
import { errorMessage } from "../helpers/errors";
import { sleep } from "../helpers/retry";
import { fetchJson, type Jsz } from "./monitor";
import { poll } from "./process";

/** Publishes of a {@link publishAcked} run. */
export interface PublishResult {
  /** Message index → the stream sequence its acknowledgement carried. */
  readonly acked: Map<number, number>;
  /** Indexes never acknowledged within their attempts. */
  readonly failed: number[];
  /** Publishes that needed more than one attempt. */
  retried: number;
}

/** How {@link publishAcked} publishes. */
export interface PublishOptions {
  /** Attempts per message (1 = no retry). */
  readonly attempts: number;
  /** Publishes in flight at once. @default 32 */
  readonly window?: number;
  /** Timeout of one attempt. @default 2000 */
  readonly timeoutMs?: number;
  /** Pause before a retry. @default 100 */
  readonly retryDelayMs?: number;
}

/**
 * Publishes messages `from` … `to - 1` to `subject`, each with its index as payload and
 * `<prefix>-<index>` as message ID, so a retried publish that had landed is deduplicated by
 * the stream. Keeps `window` publishes in flight and waits for every acknowledgement.
 */
export async function publishAcked(js: JetStreamClient, subject: string, from: number, to: number, prefix: string, options: PublishOptions, result?: PublishResult): Promise<PublishResult> {
  const out: PublishResult = result ?? { acked: new Map(), failed: [], retried: 0 };
  const window = options.window ?? 32;
  let next = from;
  const worker = async (): Promise<void> => {
    while (next < to) {
      const index = next++;
      for (let attempt = 1; ; attempt++) {
        try {
          const ack = await js.publish(subject, String(index), { msgID: `${prefix}-${index}`, timeout: options.timeoutMs ?? 2000 });
          out.acked.set(index, ack.seq);
          if (attempt > 1) out.retried++;
          break;
        } catch {
          if (attempt >= options.attempts) {
            out.failed.push(index);
            break;
          }
          await sleep(options.retryDelayMs ?? 100);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: window }, worker));
  return out;
}

/** How long a new stream may wait for the meta leader to know enough peers (see {@link whenPlaceable}). */
export const PLACEMENT_TIMEOUT_MS = 30_000;

/**
 * A file stream with `replicas` replicas on `subject`, through `nc`, returned once every replica
 * is current: before that, a publish landing on a server whose replica is still being created
 * finds no responders.
 */
export async function createStream(nc: NatsConnection, name: string, subject: string, replicas: number): Promise<{ jsm: JetStreamManager; js: JetStreamClient; info: StreamInfo }> {
  const jsm = await jetstreamManager(nc, { timeout: 10_000 });
  await whenPlaceable(() => jsm.streams.add({ name, subjects: [subject], num_replicas: replicas, storage: StorageType.File }), PLACEMENT_TIMEOUT_MS);
  const info = await untilReplicasCurrent(jsm, name, replicas, PLACEMENT_TIMEOUT_MS);
  return { jsm, js: jetstream(nc, { timeout: 10_000 }), info };
}

/** Waits until `stream` has a leader and `replicas - 1` current replicas; returns its info. */
export async function untilReplicasCurrent(jsm: JetStreamManager, stream: string, replicas: number, timeoutMs: number): Promise<StreamInfo> {
  let last = "";
  return poll(
    async () => {
      const info = await jsm.streams.info(stream);
      const problem = replicaProblem(info, replicas);
      last = problem ?? "";
      return problem === undefined ? info : undefined;
    },
    timeoutMs,
    50,
    `stream ${stream} on ${replicas} current replicas`,
  ).catch((error: unknown) => {
    throw new Error(`${errorMessage(error)} (${last})`);
  });
}

/** Every payload of `stream`, read in order by an ordered consumer. */
export async function readAll(js: JetStreamClient, stream: string, expected: number, timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  // Creating the consumer is a request to the stream's leader: just after a leader was killed it
  // can time out while the replicas elect another, so it is asked again until the deadline.
  const consumer = await poll(() => js.consumers.get(stream), timeoutMs, 250, `an ordered consumer of stream ${stream}`);
  const payloads: string[] = [];
  while (payloads.length < expected && Date.now() < deadline) {
    const batch = await consumer.fetch({ max_messages: Math.min(1000, expected - payloads.length), expires: 2000 });
    for await (const message of batch) payloads.push(message.string());
  }
  return payloads;
}

/** A node's view of the JetStream meta group (/jsz meta_cluster). */
export interface MetaView {
  /** The meta leader's Raft peer id. */
  readonly peer?: string;
  readonly leader?: string;
  readonly clusterSize?: number;
  /** The other members with their peer ids; only the leader lists them. */
  readonly replicas: readonly { name: string; current: boolean; offline?: boolean; peer?: string }[];
}

/** /jsz's meta_cluster of the node at `monitorUrl`. */
export async function metaView(monitorUrl: string): Promise<MetaView> {
  const meta = (await fetchJson<Jsz>(`${monitorUrl}/jsz`)).meta_cluster;
  return { peer: meta?.peer, leader: meta?.leader, clusterSize: meta?.cluster_size, replicas: meta?.replicas ?? [] };
}

/** The meta leader's view, asked from the leader itself (found through `monitors[0]`'s view). */
export async function leaderMetaView(monitors: ReadonlyMap<string, string>): Promise<MetaView & { leader: string }> {
  const first = [...monitors.values()][0];
  const leader = (await metaView(first)).leader;
  const url = leader === undefined ? undefined : monitors.get(leader);
  if (leader === undefined || url === undefined) throw new Error(`no meta leader among ${[...monitors.keys()].join(", ")}`);
  const view = await metaView(url);
  if (view.leader !== leader) throw new Error(`meta leader moved from ${leader} to ${view.leader ?? "none"}`);
  return { ...view, leader };
}

/** The Raft peer id of server `name` in a leader's view. */
export function peerOf(view: MetaView, name: string): string | undefined {
  return view.leader === name ? view.peer : view.replicas.find((member) => member.name === name)?.peer;
}
