import { connect } from "@nats-io/transport-node";
import { printable } from "../helpers/terminal";
import { DEFAULT_LAME_DUCK_MOVE_MS, RIDE_THROUGH_OPTIONS, credentialOptions, explainTlsFailure, reconnectOnLameDuck, type NatsConnection } from "./connection";
import { credentialsFromEnv, serverFromEnv, type Env } from "./env";
import { errorMessage } from "../helpers/errors";
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

/**
 * Prints what happens to the connection until it closes: disconnects, reconnects with the server
 * it is now on, lame duck notices, servers discovered or lost, server errors. `onChange` hears
 * whether the connection is up after each disconnect and reconnect.
 */
export async function printStatus(name: string, nc: NatsConnection, onChange: (connected: boolean) => void = () => undefined): Promise<void> {
  // nats.js forgets the server's INFO when the connection drops: the disconnect names the one remembered here.
  let current = describeServer(nc);
  for await (const status of nc.status()) {
    if (status.type === "update") {
      const changes = [...(status.added ?? []).map((s) => `+${s}`), ...(status.deleted ?? []).map((s) => `-${s}`)];
      say(`${name}: cluster update: ${changes.join(" ")}`);
    } else if (status.type === "disconnect") {
      onChange(false);
      say(`${name}: disconnected from ${status.server} (${current}): on no server now, reconnecting every ${RIDE_THROUGH_OPTIONS.reconnectTimeWait} ms`);
    } else if (status.type === "reconnect") {
      onChange(true);
      current = describeServer(nc);
      say(`${name}: reconnected to ${status.server} (${current})`);
    } else if (status.type === "ldm") {
      say(`${name}: ${describeServer(nc)} is in lame duck mode (shutting down): moving to another server in ${DEFAULT_LAME_DUCK_MOVE_MS / 1000} s`);
    } else if (status.type === "error") {
      console.error(printable(`${name}: server error: ${errorMessage(status.error)}`));
    }
  }
}

/** How long a shutdown waits for the drain: with no server to reach it would wait for ever. */
export const DRAIN_TIMEOUT_MS = 5000;

/**
 * On SIGINT or SIGTERM: runs `stop` (stop producing), drains the connection (pending messages
 * are handled and sent) and lets the process end with status 0. A drain that fails or takes
 * longer than {@link DRAIN_TIMEOUT_MS} (no server reachable) closes the connection instead.
 */
export function drainOnSignals(name: string, nc: NatsConnection, stop: () => void = () => undefined): void {
  const shutdown = (signal: NodeJS.Signals): void => {
    process.off("SIGINT", shutdown);
    process.off("SIGTERM", shutdown);
    console.log(`${name}: ${signal}, draining`);
    stop();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no server took it within ${DRAIN_TIMEOUT_MS / 1000} s`)), DRAIN_TIMEOUT_MS);
    });
    Promise.race([nc.drain(), timeout]).then(
      () => console.log(`${name}: closed`),
      async (error: unknown) => {
        console.error(printable(`${name}: drain failed: ${errorMessage(error)}; closing without it (messages not yet sent are lost)`));
        await nc.close();
      },
    ).finally(() => clearTimeout(timer));
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
    "  NATS_SERVER           the load balancer (default nats://127.0.0.10:4222, the twin's)",
    "  NATS_TOKEN            client token (the default stack's client_secret output),",
    "                        or NATS_USER and NATS_PASSWORD",
    "  NATS_CA               the cluster's CA certificate, a file or the PEM itself (the default",
    "                        stack's ca_certificate output; required when the servers require TLS)",
    "  NATS_TLS_SERVER_NAME  the name the servers' certificates are checked for (the default",
    "                        stack's tls_server_name output, nats.internal)",
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
