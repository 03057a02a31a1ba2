import { connect } from "@nats-io/transport-node";
import { RIDE_THROUGH_OPTIONS, credentialOptions, reconnectOnLameDuck, type NatsConnection } from "./connection";
import { credentialsFromEnv, serverFromEnv, type Env } from "./env";
import { errorMessage } from "./errors";
import { UsageError } from "./args";

/** The subject the tutorial's publisher and subscriber use. */
export const SUBJECT = "foo";

/**
 * Connects the pub/sub app to NATS_SERVER with the credentials from the environment. Unlike
 * verify's probes it rides through a roll: it reconnects forever, leaves a server in lame duck
 * mode at once, and learns the servers the cluster advertises.
 */
export async function connectApp(name: string, env: Env): Promise<NatsConnection> {
  const server = serverFromEnv(env);
  const nc = await connect({ servers: server, name, ...RIDE_THROUGH_OPTIONS, ...credentialOptions(credentialsFromEnv(env)) });
  void reconnectOnLameDuck(nc);
  console.log(`${name}: connected to ${nc.getServer()} (${describeServer(nc)})`);
  return nc;
}

/** "server nats-1, id NABC…" for the server a connection landed on. */
function describeServer(nc: NatsConnection): string {
  const info = nc.info;
  return info === undefined ? "no server info" : `server ${info.server_name}, id ${info.server_id}`;
}

/** Prints status changes (servers discovered or lost, reconnects) until the connection closes. */
export async function printStatus(name: string, nc: NatsConnection): Promise<void> {
  for await (const status of nc.status()) {
    if (status.type === "update") {
      const changes = [...(status.added ?? []).map((s) => `+${s}`), ...(status.deleted ?? []).map((s) => `-${s}`)];
      console.log(`${name}: cluster update: ${changes.join(" ")}`);
    } else if (status.type === "disconnect" || status.type === "reconnect") {
      console.log(`${name}: ${status.type} ${status.server}`);
    }
  }
}

/**
 * On SIGINT or SIGTERM: runs `stop` (stop producing), drains the connection (pending messages
 * are handled and sent) and lets the process end with status 0.
 */
export function drainOnSignals(name: string, nc: NatsConnection, stop: () => void = () => undefined): void {
  const shutdown = (signal: NodeJS.Signals): void => {
    process.off("SIGINT", shutdown);
    process.off("SIGTERM", shutdown);
    console.log(`${name}: ${signal}, draining`);
    stop();
    nc.drain().then(
      () => console.log(`${name}: closed`),
      (error: unknown) => console.error(`${name}: drain failed: ${errorMessage(error)}`),
    );
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

/** Resolves when the connection has closed; rejects when it closed because of an error. */
export async function untilClosed(nc: NatsConnection): Promise<void> {
  const error = await nc.closed();
  if (error) throw error;
}

/** Runs an app's main: bad settings exit 2 with the message, other failures exit 1. */
export function runApp(name: string, main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    console.error(`${name}: ${errorMessage(error)}`);
    process.exitCode = error instanceof UsageError ? UsageError.EXIT_CODE : 1;
  });
}
