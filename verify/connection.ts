// Types come from nats-core: under this project's CommonJS resolution the transport package's
// re-exports of "@nats-io/nats-core/internal" do not resolve and would type as `any`.
import type { ConnectionOptions, NatsConnection, TlsOptions } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { errorMessage, lastErrorSuffix } from "../helpers/errors";
import { isAuthorizationError } from "./authorization";
import { plural } from "./stats";
import type { ClientTls, Credentials } from "./types";

export type { NatsConnection };

/** Connection options carrying `credentials`: token, or user and password, and the CA to verify servers with. */
export function credentialOptions(credentials: Credentials = {}): Partial<Pick<ConnectionOptions, "token" | "user" | "pass" | "tls">> {
  const tls = credentials.tls === undefined ? {} : { tls: tlsOptions(credentials.tls) };
  if (credentials.token !== undefined) return { token: credentials.token, ...tls };
  if (credentials.user !== undefined) return { user: credentials.user, pass: credentials.password, ...tls };
  return tls;
}

/**
 * nats.js TLS options: the CA, and the server name node:tls verifies the certificate by (nats.js
 * passes its `tls` options through to tls.connect, so `servername` replaces the URL's host).
 */
function tlsOptions(tls: ClientTls): TlsOptions {
  const options: TlsOptions & { servername?: string } = { ca: tls.ca };
  if (tls.serverName !== undefined) options.servername = tls.serverName;
  return options;
}

/**
 * Settings for a long-lived client behind the load balancer that must ride through a roll:
 * reconnect forever (nats.js gives up after 10 attempts by default), trying again every
 * 250 ms, because every attempt goes to the same load balancer URL. Use with
 * {@link reconnectOnLameDuck}.
 */
export const RIDE_THROUGH_OPTIONS = { maxReconnectAttempts: -1, reconnectTimeWait: 250 } as const satisfies Partial<ConnectionOptions>;

/**
 * How long the load balancer may still send new connections to a node in lame duck mode with
 * the default health check: 2 failed checks 3 s apart, plus a 3 s timeout. It must stay below
 * nats-server.conf's lame_duck_grace_period (10 s), during which the node still serves its clients.
 */
export const DEFAULT_LAME_DUCK_MOVE_MS = 9000;

/**
 * Moves `nc` to another server when its server announces lame duck mode: nats.js v3 only
 * reports it (status `ldm`). It waits `afterMs` first, until the load balancer has stopped
 * sending new connections to that server (its client port is closed: a connection the load
 * balancer still sends there fails and is retried for seconds), and moves only if `nc` is
 * still on it. Resolves when the connection closes.
 */
export async function reconnectOnLameDuck(nc: NatsConnection, afterMs = DEFAULT_LAME_DUCK_MOVE_MS): Promise<void> {
  for await (const status of nc.status()) {
    if (status.type !== "ldm") continue;
    const server = nc.info?.server_id;
    setTimeout(() => {
      if (!nc.isClosed() && nc.info?.server_id === server) nc.reconnect().catch(() => undefined);
    }, afterMs).unref();
  }
}

/**
 * Opens one connection to `server` that never reconnects and ignores the servers the
 * cluster gossips, so that it reaches exactly the server the load balancer picked.
 */
export function openDirect(server: string, credentials: Credentials | undefined, timeoutMs: number): Promise<NatsConnection> {
  return connect({
    servers: server,
    ...credentialOptions(credentials),
    name: "nats-verify",
    timeout: timeoutMs,
    reconnect: false,
    ignoreClusterUpdates: true,
  }).catch((error: unknown) => {
    throw explainTlsFailure(error, credentials);
  });
}

/**
 * A certificate the client cannot verify, explained with the variable that fixes it: NATS_CA
 * when no CA is configured (the server requires TLS and its certificate chains to the
 * cluster's private CA), else NATS_TLS_SERVER_NAME. Other errors are returned unchanged.
 */
export function explainTlsFailure(error: unknown, credentials: Credentials | undefined): unknown {
  const code = [error, (error as { cause?: unknown } | undefined)?.cause]
    .map((e) => (typeof e === "object" && e !== null ? (e as { code?: unknown }).code : undefined))
    .find((c): c is string => typeof c === "string" && /CERT|SIGNATURE|ALTNAME|ISSUER/.test(c));
  if (code === undefined) return error;
  const fix = credentials?.tls === undefined
    ? "the server requires TLS with a certificate from the cluster's CA, and NATS_CA is not set: set NATS_CA to the CA certificate file or PEM (terraform output -raw ca_certificate)"
    : code === "ERR_TLS_CERT_ALTNAME_INVALID"
      ? "the server's certificate does not carry the name asked for: set NATS_TLS_SERVER_NAME to the cluster's server name (terraform output -raw tls_server_name)"
      : "the server's certificate does not chain to the CA in NATS_CA: use the cluster's CA (terraform output -raw ca_certificate)";
  return new Error(`${fix} (${errorMessage(error)})`);
}

/** Closes every connection, ignoring the ones already closed. */
export async function closeAll(connections: Iterable<NatsConnection>): Promise<void> {
  await Promise.allSettled([...connections].map((nc) => nc.close()));
}

/** The server a connection landed on: its ID, and its name when it has one. */
export function serverLabel(nc: NatsConnection): string {
  const info = nc.info;
  if (info === undefined) return "unknown server";
  return info.server_name && info.server_name !== info.server_id ? info.server_name : info.server_id.slice(0, 8);
}

/** One open connection per distinct server, and how it went getting them. */
export interface DistinctServers {
  /** server_id → the connection that reached it. */
  readonly byServer: Map<string, NatsConnection>;
  /** Connections attempted, successful or not. */
  readonly attempts: number;
  /** The last connection error, if any. */
  readonly lastError?: string;
}

/** "2/3 servers in 16 connections (last error: …)": how far {@link connectDistinct} got. */
export function describeReach(reached: DistinctServers, wanted: number): string {
  const error = reached.byServer.size < wanted ? lastErrorSuffix(reached.lastError) : "";
  return `${reached.byServer.size}/${wanted} servers in ${plural(reached.attempts, "connection")}${error}`;
}

/** How to reach servers through the load balancer for {@link connectDistinct}. */
export interface DistinctRequest {
  readonly server: string;
  readonly credentials?: Credentials;
  /** How many distinct servers to collect. */
  readonly wanted: number;
  readonly timeoutMs: number;
}

/**
 * Makes new connections through the load balancer until `wanted` distinct servers (by the
 * server_id in their INFO) have answered, or 4 × wanted + 4 attempts are spent. Keeps one
 * connection per server open (the caller closes them) and closes the rest; duplicates stay
 * open until the end so that a least-connections balancer moves on to other servers. An
 * authorization error closes them all and is thrown.
 */
export async function connectDistinct(request: DistinctRequest): Promise<DistinctServers> {
  const byServer = new Map<string, NatsConnection>();
  const duplicates: NatsConnection[] = [];
  const maxAttempts = 4 * request.wanted + 4;
  let attempts = 0;
  let lastError: string | undefined;
  try {
    while (byServer.size < request.wanted && attempts < maxAttempts) {
      attempts++;
      try {
        const nc = await openDirect(request.server, request.credentials, request.timeoutMs);
        const id = nc.info?.server_id ?? "";
        if (byServer.has(id)) duplicates.push(nc);
        else byServer.set(id, nc);
      } catch (error) {
        // Wrong or missing credentials: no retry helps, so the caller hears of it at once.
        if (isAuthorizationError(error)) {
          await closeAll(byServer.values());
          throw error;
        }
        lastError = errorMessage(error);
      }
    }
  } finally {
    await closeAll(duplicates);
  }
  return { byServer, attempts, lastError };
}
