import { connect } from "@nats-io/transport-node";
import { printable } from "../helpers/terminal";
import { RIDE_THROUGH_OPTIONS, credentialOptions, explainTlsFailure, reconnectOnLameDuck, type NatsConnection } from "./connection";
import { credentialsFromEnv, serverFromEnv, type Env } from "./env";
import { errorMessage } from "./errors";
import { HELP_OPTION, parseCli, runCli, usageText } from "./args";

/** The subject the tutorial's publisher and subscriber use. */
export const SUBJECT = "foo";

/**
 * Connects the pub/sub app to NATS_SERVER with the credentials from the environment. Unlike
 * verify's probes it rides through a roll: it reconnects forever, leaves a server in lame duck
 * mode at once, and learns the servers the cluster advertises.
 */
export async function connectApp(name: string, env: Env): Promise<NatsConnection> {
  const server = serverFromEnv(env);
  const credentials = credentialsFromEnv(env);
  const nc = await connect({ servers: server, name, ...RIDE_THROUGH_OPTIONS, ...credentialOptions(credentials) }).catch((error: unknown) => {
    throw explainTlsFailure(error, credentials);
  });
  void reconnectOnLameDuck(nc);
  say(`${name}: connected to ${nc.getServer()} (${describeServer(nc)})`);
  return nc;
}

/**
 * Prints one line of the pub/sub app. Server names, addresses the cluster gossips and message
 * payloads come from the network: their control characters are escaped, so that they cannot
 * drive the terminal (retitle the window, clear the screen).
 */
export function say(line: string): void {
  console.log(printable(line));
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
      say(`${name}: cluster update: ${changes.join(" ")}`);
    } else if (status.type === "disconnect" || status.type === "reconnect") {
      say(`${name}: ${status.type} ${status.server}`);
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
      (error: unknown) => console.error(printable(`${name}: drain failed: ${errorMessage(error)}`)),
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

/**
 * The usage text of a pub/sub app: it takes no options, only environment variables
 * (`extra` adds the app's own to the common NATS_SERVER and credentials).
 */
export function appUsage(name: string, extra: readonly string[] = []): string {
  return usageText(`[NATS_SERVER=nats://<load balancer>:4222] [NATS_TOKEN=...] npm run ${name}`, [], [
    "Environment:",
    "  NATS_SERVER          the load balancer (default nats://127.0.0.10:4222, the twin's)",
    "  NATS_TOKEN           client token (the default stack's client_secret output),",
    "                       or NATS_USER and NATS_PASSWORD",
    ...extra,
  ]);
}

/**
 * Runs a pub/sub app's main in the CLIs' common way ({@link runCli}): --help prints `usage`,
 * an unknown option or bad setting prints the usage and exits 2, an authorization error exits 1
 * at once with a hint, other failures exit 1.
 */
export function runApp(name: string, usage: string, main: () => Promise<void>): void {
  void runCli(name, usage, async () => {
    if (parseCli(process.argv.slice(2), HELP_OPTION).help) {
      console.log(usage);
      return 0;
    }
    await main();
    return 0;
  });
}
