import { readFileSync } from "node:fs";
import type { ClientTls, Credentials } from "./types";
import { UsageError, integerArg } from "./args";

/** The twin's load balancer: where the pub/sub app connects when NATS_SERVER is unset. */
const DEFAULT_NATS_SERVER = "nats://127.0.0.10:4222";

/** Environment variables, as `process.env` holds them. */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Client credentials from NATS_TOKEN, or NATS_USER with NATS_PASSWORD, and the CA from NATS_CA
 * (see {@link tlsFromEnv}); none when all are unset. Throws a {@link UsageError} for a user
 * without a password, both kinds at once, or an unusable CA.
 */
export function credentialsFromEnv(env: Env): Credentials {
  const tls = tlsFromEnv(env);
  return { ...authFromEnv(env), ...(tls === undefined ? {} : { tls }) };
}

function authFromEnv(env: Env): Credentials {
  const { NATS_TOKEN: token, NATS_USER: user, NATS_PASSWORD: password } = env;
  if (token && (user || password)) throw new UsageError("set either NATS_TOKEN or NATS_USER with NATS_PASSWORD, not both");
  if (token) return { token };
  if (user && !password) throw new UsageError("NATS_USER is set but NATS_PASSWORD is not: set both, or NATS_TOKEN");
  if (password && !user) throw new UsageError("NATS_PASSWORD is set but NATS_USER is not: set both, or NATS_TOKEN");
  return user ? { user, password } : {};
}

const CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/**
 * The CA servers must chain to, from NATS_CA (a PEM file, or the PEM itself as the readiness
 * gate passes it), and the TLS server name from NATS_TLS_SERVER_NAME; undefined when NATS_CA
 * is unset.
 */
export function tlsFromEnv(env: Env): ClientTls | undefined {
  const { NATS_CA: ca, NATS_TLS_SERVER_NAME: serverName } = env;
  if (!ca) {
    if (serverName) throw new UsageError("NATS_TLS_SERVER_NAME is set but NATS_CA is not: set NATS_CA to the cluster's CA certificate too");
    return undefined;
  }
  let pem = ca;
  if (!ca.includes("-----BEGIN")) {
    try {
      pem = readFileSync(ca, "utf8");
    } catch (error) {
      throw new UsageError(`NATS_CA ${JSON.stringify(ca)} is neither a PEM certificate nor a readable file: ${(error as Error).message}`);
    }
  }
  if (/PRIVATE KEY-----/.test(pem)) throw new UsageError("NATS_CA holds a private key: give the CA certificate (terraform output -raw ca_certificate)");
  if (!CERTIFICATE.test(pem)) throw new UsageError(`NATS_CA ${pem === ca ? "" : `file ${JSON.stringify(ca)} `}holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  if (serverName !== undefined && serverName !== "" && !/^[A-Za-z0-9.-]{1,253}$/.test(serverName)) {
    throw new UsageError(`NATS_TLS_SERVER_NAME ${JSON.stringify(serverName)} is not a DNS name such as nats.internal`);
  }
  return serverName ? { ca: pem, serverName } : { ca: pem };
}

/** NATS_SERVER (a nats:// URL or host:port), or the twin's load balancer. */
export function serverFromEnv(env: Env): string {
  const server = env.NATS_SERVER || DEFAULT_NATS_SERVER;
  if (!/^(nats:\/\/)?[^\s/]+$/.test(server)) {
    throw new UsageError(`NATS_SERVER ${JSON.stringify(server)} is not a server URL: expected e.g. nats://203.0.113.7:4222`);
  }
  return server;
}

/** An interval in milliseconds from `env[name]`, from 1 ms to one hour, or `fallback` when unset. */
export function intervalFromEnv(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  return raw ? integerArg(name, raw, 1, 3_600_000) : fallback;
}
