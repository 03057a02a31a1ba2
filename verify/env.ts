import type { Credentials } from "./types";
import { UsageError, integerArg } from "./args";

/** The twin's load balancer: where the pub/sub app connects when NATS_SERVER is unset. */
const DEFAULT_NATS_SERVER = "nats://127.0.0.10:4222";

/** Environment variables, as `process.env` holds them. */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Client credentials from NATS_TOKEN, or NATS_USER with NATS_PASSWORD; none when all are unset.
 * Throws a {@link UsageError} for a user without a password or both kinds at once.
 */
export function credentialsFromEnv(env: Env): Credentials {
  const { NATS_TOKEN: token, NATS_USER: user, NATS_PASSWORD: password } = env;
  if (token && (user || password)) throw new UsageError("set either NATS_TOKEN or NATS_USER with NATS_PASSWORD, not both");
  if (token) return { token };
  if (user && !password) throw new UsageError("NATS_USER is set but NATS_PASSWORD is not: set both, or NATS_TOKEN");
  if (password && !user) throw new UsageError("NATS_PASSWORD is set but NATS_USER is not: set both, or NATS_TOKEN");
  return user ? { user, password } : {};
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
