// Types from nats-core: transport-node re-exports them from a path CommonJS resolution cannot follow.
import type { Msg, NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { poll } from "../twin/process";
import type { Twin } from "../twin/twin";
import { credentialOptions } from "../verify/connection";
import { withTimeout } from "./figure";

export const PUBSUB_MESSAGES = 200_000;

export function lbUrl(twin: Twin): string {
  return `nats://${twin.lbAddress}:${twin.clientPort}`;
}

export function nodeUrl(twin: Twin, index: number): string {
  const node = twin.nodes[index];
  return `nats://${node.address}:${node.clientPort}`;
}

export async function open(twin: Twin, url: string): Promise<NatsConnection> {
  return connect({ servers: url, ...credentialOptions(twin.credentials), reconnect: false });
}

/** One pub→sub run: messages per second, and whether the two connections reached different servers. */
export interface PubSubRun {
  readonly rate: number;
  readonly crossNode: boolean;
}

/** Publishes PUBSUB_MESSAGES from one connection to a subscriber on another. */
export async function pubSubRate(twin: Twin, subUrl: string, pubUrl: string): Promise<PubSubRun> {
  const [sub, pub] = [await open(twin, subUrl), await open(twin, pubUrl)];
  try {
    const subject = `bench.${process.pid}.${Date.now()}`;
    let received = 0;
    let interest = false;
    let finish: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    sub.subscribe(`${subject}.>`, {
      callback: (_error: unknown, msg: Msg) => {
        if (msg.subject.endsWith(".probe")) interest = true;
        else if (++received === PUBSUB_MESSAGES) finish();
      },
    });
    await sub.flush();
    await poll(() => {
      pub.publish(`${subject}.probe`);
      return interest;
    }, 5_000, 10, "subscription interest");
    const payload = new Uint8Array(16);
    const started = performance.now();
    for (let i = 1; i <= PUBSUB_MESSAGES; i++) {
      pub.publish(`${subject}.data`, payload);
      if (i % 10_000 === 0) await pub.flush();
    }
    await withTimeout(finished, 30_000, `only ${received} of ${PUBSUB_MESSAGES} messages arrived`);
    const rate = PUBSUB_MESSAGES / ((performance.now() - started) / 1000);
    return { rate, crossNode: sub.info?.server_name !== pub.info?.server_name };
  } finally {
    await Promise.all([sub.close(), pub.close()]);
  }
}
