import type { Msg, NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { RIDE_THROUGH_OPTIONS, closeAll, credentialOptions, reconnectOnLameDuck } from "../verify/connection";
import { errorMessage } from "../helpers/errors";
import { sleep } from "../helpers/retry";
import { percentile } from "../verify/stats";
import type { Credentials } from "../verify/types";
import { poll } from "../twin/process";

/** Where the traffic goes and how hard. */
export interface TrafficOptions {
  /** The load balancer's client URL, e.g. nats://127.0.0.10:4222. */
  readonly server: string;
  readonly credentials?: Credentials;
  /** Pause between two requests of the requester. @default 20 */
  readonly requestIntervalMs?: number;
  /** How long a request waits for its reply, at most {@link MAX_REQUEST_TIMEOUT_MS}. @default MAX_REQUEST_TIMEOUT_MS */
  readonly requestTimeoutMs?: number;
  /** Pause before the one retry of a failed request. @default 250 */
  readonly retryDelayMs?: number;
  /** Pause between two messages of the pub/sub stream. @default 20 */
  readonly publishIntervalMs?: number;
  /** How long clients wait after a lame duck notice before they move. @default DEFAULT_LAME_DUCK_MOVE_MS */
  readonly lameDuckMoveMs?: number;
}

/** What the traffic saw during one window. */
export interface TrafficWindow {
  readonly requests: number;
  /** Requests whose first attempt failed. */
  readonly failed: number;
  /** Requests that failed again when retried once. */
  readonly failedAfterRetry: number;
  /** Round trips of successful attempts, milliseconds. */
  readonly latenciesMs: readonly number[];
  /** Longest time without a successful reply, milliseconds. */
  readonly longestGapMs: number;
  /** The first failures, for the report. */
  readonly errors: readonly string[];
  /** Stream messages published in the window. */
  readonly published: number;
  /** Of those, the ones the subscriber received by the end of the window. */
  readonly received: number;
  /**
   * How much of the stream the subscriber missed, milliseconds: for each run of lost messages,
   * from the first one's publication to the publication of the next one it received.
   */
  readonly lostMs: number;
}

/** Continuous request/reply and pub/sub traffic through the load balancer. */
export interface Traffic {
  /** The window since the start or the previous call; starts a new one. */
  window(): TrafficWindow;
  /**
   * Stops the traffic and checks that the subscriber is still subscribed: a last message
   * published after the requests stop reaches it. Returns the last window.
   */
  stop(): Promise<TrafficWindow & { readonly subscribed: boolean }>;
}

const SERVICE = "roll.echo";
const STREAM = "roll.stream";

/**
 * The longest a request of the roll's traffic waits for its reply, as a plain client would: a
 * request lost while a client moves counts as a failure, and its wait in the longest gap.
 */
export const MAX_REQUEST_TIMEOUT_MS = 2000;

/**
 * How much of the pub/sub stream a roll may lose per node it replaces, milliseconds of
 * publishing. Core NATS pub/sub is at-most-once: when the subscriber moves off a node in lame
 * duck mode, what is published before its subscription is back on a server and known across the
 * routes is lost. Measured with this traffic in twin rolls of the default stack (2026-12-06,
 * 45 node replacements, time scales 1 and 0.2, on a shared 2-core machine): 0 to 5 messages per
 * node, most often 1 (20 ms), at most 346 ms (a reconnect attempt that failed, then the next one
 * 250 ms later). The README states this figure.
 */
export const PUBSUB_LOSS_WINDOW_MS = 350;

/** The p99 round trip of a window, milliseconds. */
export function p99(window: TrafficWindow): number {
  return percentile(window.latenciesMs, 99);
}

/**
 * Starts plain clients as the README recommends them, each on its own connection through the
 * load balancer with the settings that ride through a roll: one responder, a requester that
 * sends one request at a time and retries a failed one once, and a publisher with a
 * subscriber. Resolves once replies flow.
 */
export async function startTraffic(options: TrafficOptions): Promise<Traffic> {
  const timeoutMs = options.requestTimeoutMs ?? MAX_REQUEST_TIMEOUT_MS;
  if (!(timeoutMs > 0 && timeoutMs <= MAX_REQUEST_TIMEOUT_MS)) {
    throw new Error(`request timeout ${timeoutMs} ms is not allowed: expected above 0 and at most ${MAX_REQUEST_TIMEOUT_MS} ms`);
  }
  const connections: NatsConnection[] = [];
  const open = async (name: string): Promise<NatsConnection> => {
    const nc = await connect({ servers: options.server, name, ...RIDE_THROUGH_OPTIONS, ...credentialOptions(options.credentials) });
    connections.push(nc);
    void reconnectOnLameDuck(nc, options.lameDuckMoveMs);
    return nc;
  };
  try {
    const responder = await open("roll-responder");
    const respond = (_error: Error | null, msg: Msg): void => {
      msg.respond(msg.data);
    };
    responder.subscribe(SERVICE, { callback: respond });
    await responder.flush();
    const subscriber = await open("roll-subscriber");
    const seen = new Set<string>();
    const record = (_error: Error | null, msg: Msg): void => {
      seen.add(msg.string());
    };
    subscriber.subscribe(STREAM, { callback: record });
    await subscriber.flush();
    const requester = await open("roll-requester");
    const publisher = await open("roll-publisher");
    await poll(() => requester.request(SERVICE, "ready", { timeout: timeoutMs }).then(() => true), 10_000, 100, "the responder to answer through the load balancer");
    return new RunningTraffic({ ...options, requestTimeoutMs: timeoutMs }, connections, requester, publisher, seen);
  } catch (error) {
    await closeAll(connections);
    throw error;
  }
}

/**
 * How much of a stream was lost: for each run of sequence numbers in `from`…`to` that `seen`
 * lacks, from the first one's publication to the publication of the next one seen (or `endMs`).
 * `publishedAtMs[n]` is when message n was published.
 */
export function lostStreamMs(publishedAtMs: readonly number[], from: number, to: number, seen: ReadonlySet<string>, endMs: number): number {
  let lost = 0;
  let runStart: number | undefined;
  for (let n = from; n <= to; n++) {
    if (!seen.has(String(n))) {
      runStart ??= publishedAtMs[n];
    } else if (runStart !== undefined) {
      lost += publishedAtMs[n] - runStart;
      runStart = undefined;
    }
  }
  return runStart === undefined ? lost : lost + endMs - runStart;
}

class RunningTraffic implements Traffic {
  private running = true;
  private readonly loops: Promise<void>[];
  private requests = 0;
  private failed = 0;
  private failedAfterRetry = 0;
  private latencies: number[] = [];
  private errors: string[] = [];
  private lastSuccess = Date.now();
  private longestGap = 0;
  /** When each stream message was published, by its sequence number (from 1). */
  private readonly publishedAt: number[] = [];
  private published = 0;
  private publishedBefore = 0;
  /** When the loops stopped: the end of the last window. */
  private stoppedAt: number | undefined;

  constructor(
    private readonly options: TrafficOptions & { readonly requestTimeoutMs: number },
    private readonly connections: NatsConnection[],
    private readonly requester: NatsConnection,
    private readonly publisher: NatsConnection,
    private readonly seen: Set<string>,
  ) {
    this.loops = [this.requestLoop(), this.publishLoop()];
  }

  private async requestLoop(): Promise<void> {
    for (let n = 0; this.running; n++) {
      this.requests++;
      if (!(await this.attempt(n))) {
        this.failed++;
        await sleep(this.options.retryDelayMs ?? 250);
        if (!(await this.attempt(n))) this.failedAfterRetry++;
      }
      await sleep(this.options.requestIntervalMs ?? 20);
    }
  }

  private async attempt(n: number): Promise<boolean> {
    const started = performance.now();
    try {
      const reply = await this.requester.request(SERVICE, String(n), { timeout: this.options.requestTimeoutMs });
      if (reply.string() !== String(n)) throw new Error(`reply ${JSON.stringify(reply.string())} to request ${n}`);
      this.latencies.push(performance.now() - started);
      const now = Date.now();
      this.longestGap = Math.max(this.longestGap, now - this.lastSuccess);
      this.lastSuccess = now;
      return true;
    } catch (error) {
      if (this.errors.length < 10) this.errors.push(`${new Date().toISOString()} request ${n}: ${errorMessage(error)}`);
      return false;
    }
  }

  private async publishLoop(): Promise<void> {
    while (this.running) {
      this.publishedAt[++this.published] = Date.now();
      this.publisher.publish(STREAM, String(this.published));
      await sleep(this.options.publishIntervalMs ?? 20);
    }
  }

  public window(): TrafficWindow {
    const end = this.stoppedAt ?? Date.now();
    const from = this.publishedBefore + 1;
    const received = Array.from({ length: this.published - this.publishedBefore }, (_, i) => from + i).filter((n) => this.seen.has(String(n))).length;
    const window: TrafficWindow = {
      requests: this.requests,
      failed: this.failed,
      failedAfterRetry: this.failedAfterRetry,
      latenciesMs: this.latencies,
      longestGapMs: Math.max(this.longestGap, end - this.lastSuccess),
      errors: this.errors,
      published: this.published - this.publishedBefore,
      received,
      lostMs: lostStreamMs(this.publishedAt, from, this.published, this.seen, end),
    };
    this.requests = this.failed = this.failedAfterRetry = this.longestGap = 0;
    this.latencies = [];
    this.errors = [];
    this.lastSuccess = Date.now();
    this.publishedBefore = this.published;
    return window;
  }

  /** Waits for a last message to arrive (so that nothing still in flight counts as lost), then ends the window. */
  public async stop(): Promise<TrafficWindow & { subscribed: boolean }> {
    this.running = false;
    await Promise.all(this.loops);
    this.stoppedAt = Date.now();
    const marker = "last";
    const subscribed = await poll(
      async () => {
        this.publisher.publish(STREAM, marker);
        await this.publisher.flush();
        return this.seen.has(marker);
      },
      5000,
      100,
      "the subscriber to receive a last message",
    ).then(
      () => true,
      () => false,
    );
    const window = this.window();
    await closeAll(this.connections);
    return { ...window, subscribed };
  }
}
