// Types come from nats-core: transport-node re-exports them from "@nats-io/nats-core/internal",
// which this project's commonjs module resolution cannot follow.
import type { ConnectionOptions, Msg, NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { readFileSync, readdirSync } from "node:fs";
import { credentialOptions } from "../verify/connection";
import type { Credentials } from "../verify/types";
import { poll } from "./process";

/** Connects to `server` (host:port) with the twin's credentials, failing fast. */
export function connectNats(server: string, credentials: Credentials = {}, options: ConnectionOptions = {}): Promise<NatsConnection> {
  return connect({
    servers: server,
    ...credentialOptions(credentials),
    timeout: 2000,
    maxReconnectAttempts: 0,
    ...options,
  });
}

/** Messages received on a subject, as strings, in arrival order. */
export interface Inbox {
  readonly messages: string[];
}

/** Subscribes `nc` to `subject`, collecting every message; resolves once the server has the subscription. */
export async function collect(nc: NatsConnection, subject: string): Promise<Inbox> {
  const inbox: Inbox = { messages: [] };
  nc.subscribe(subject, {
    callback: (_error: Error | null, message: Msg) => {
      inbox.messages.push(message.string());
    },
  });
  await nc.flush();
  return inbox;
}

/**
 * Publishes probe messages on `subject` from `publisher` every 20 ms until `inbox` holds one:
 * subscription interest takes a few milliseconds to cross routes.
 */
export async function awaitInterest(publisher: NatsConnection, subject: string, inbox: Inbox, timeoutMs = 5000): Promise<void> {
  await poll(
    async () => {
      publisher.publish(subject, "probe");
      await publisher.flush();
      return inbox.messages.includes("probe");
    },
    timeoutMs,
    20,
    `interest in ${subject} to reach the publisher's server`,
  );
}

/** PIDs of the live child processes of `parent` (Linux /proc). */
export function childPids(parent: number = process.pid): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        return Number(fields[1]) === parent && fields[0] !== "Z";
      } catch {
        return false;
      }
    })
    .map(Number);
}
