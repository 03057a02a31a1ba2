import type { Msg, NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { RIDE_THROUGH_OPTIONS, closeAll, credentialOptions, reconnectOnLameDuck } from "../verify/connection";
import { errorMessage } from "../verify/errors";
import { sleep } from "../verify/retry";
import { percentile } from "../verify/stats";
import type { Credentials } from "../verify/types";
import { poll } from "../twin/process";

/** Where the traffic goes and how hard. */
export interface TrafficOptions {
  /** The load balancer's client URL, e.g. nats://127.0.0.10:4222. */
  readonly server: string;
  readonly credentials?: Credentials;
  /** Responders in one queue group, each on its own connection. @default 3 */
  readonly responders?: number;
  /** Pause between two requests of the requester. @default 20 */
  readonly requestIntervalMs?: number;
  /** How long a request waits for its reply. @default 1000 */
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
  readonly published: number;
  readonly received: number;
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

/** The p99 round trip of a window, milliseconds. */
export function p99(window: TrafficWindow): number {
  return percentile(window.latenciesMs, 99);
}

/**
 * Starts a queue group of responders, a requester that sends one request at a time and retries
 * a failed one once, and a publisher with a subscriber; every client connects through the load
 * balancer with the settings that ride through a roll. Resolves once replies flow.
 */
export async function startTraffic(options: TrafficOptions): Promise<Traffic> {
  const connections: NatsConnection[] = [];
  const open = async (name: string): Promise<NatsConnection> => {
    const nc = await connect({ servers: options.server, name, ...RIDE_THROUGH_OPTIONS, ...credentialOptions(options.credentials) });
    connections.push(nc);
    void reconnectOnLameDuck(nc, options.lameDuckMoveMs);
    return nc;
  };
  try {
    for (let i = 0; i < (options.responders ?? 3); i++) {
      const nc = await open(`roll-responder-${i + 1}`);
      const respond = (_error: Error | null, msg: Msg): void => {
        msg.respond(msg.data);
      };
      nc.subscribe(SERVICE, { queue: "roll", callback: respond });
      await nc.flush();
    }
    const subscriber = await open("roll-subscriber");
    const seen = new Set<string>();
    const record = (_error: Error | null, msg: Msg): void => {
      seen.add(msg.string());
    };
    subscriber.subscribe(STREAM, { callback: record });
    await subscriber.flush();
    const requester = await open("roll-requester");
    const publisher = await open("roll-publisher");
    await poll(() => requester.request(SERVICE, "ready", { timeout: 1000 }).then(() => true), 10_000, 100, "the responders to answer through the load balancer");
    return new RunningTraffic(options, connections, requester, publisher, seen);
  } catch (error) {
    await closeAll(connections);
    throw error;
  }
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
  private published = 0;
  private publishedBefore = 0;
  private receivedBefore = 0;

  constructor(
    private readonly options: TrafficOptions,
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
      const reply = await this.requester.request(SERVICE, String(n), { timeout: this.options.requestTimeoutMs ?? 1000 });
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
      this.publisher.publish(STREAM, String(++this.published));
      await sleep(this.options.publishIntervalMs ?? 20);
    }
  }

  public window(): TrafficWindow {
    const window: TrafficWindow = {
      requests: this.requests,
      failed: this.failed,
      failedAfterRetry: this.failedAfterRetry,
      latenciesMs: this.latencies,
      longestGapMs: Math.max(this.longestGap, Date.now() - this.lastSuccess),
      errors: this.errors,
      published: this.published - this.publishedBefore,
      received: this.seen.size - this.receivedBefore,
    };
    this.requests = this.failed = this.failedAfterRetry = this.longestGap = 0;
    this.latencies = [];
    this.errors = [];
    this.lastSuccess = Date.now();
    this.publishedBefore = this.published;
    this.receivedBefore = this.seen.size;
    return window;
  }

  public async stop(): Promise<TrafficWindow & { subscribed: boolean }> {
    this.running = false;
    await Promise.all(this.loops);
    const window = this.window();
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
    await closeAll(this.connections);
    return { ...window, subscribed };
  }
}
