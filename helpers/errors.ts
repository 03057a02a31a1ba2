/**
 * A one-line message for any thrown value, with its cause when it has one (fetch says only
 * "fetch failed" and keeps the reason, e.g. ECONNREFUSED, in `cause`). Duck-typed, because
 * errors from another realm (a test sandbox) are not `instanceof Error` here.
 */
export function errorMessage(error: unknown): string {
  const message = messageOf(error);
  const cause = typeof error === "object" && error !== null ? (error as { cause?: unknown }).cause : undefined;
  // A wrapper that already quotes its cause (the twin's "… the twin's logs are kept in …") is not repeated.
  return cause === undefined || message.includes(messageOf(cause)) ? message : `${message} (${messageOf(cause)})`;
}

/**
 * What nats.js's "jetstream is not enabled" (JetStreamNotEnabled) means when the servers do run
 * JetStream: its API request found no responder.
 */
export const JETSTREAM_NO_RESPONDERS =
  "nats.js says this when no server answered the JetStream request: no stream or meta leader is reachable, " +
  "e.g. while a node is down or the cluster is partitioned; it does not mean JetStream is off";

function messageOf(value: unknown): string {
  const { message, name } = (typeof value === "object" && value !== null ? value : {}) as { message?: unknown; name?: unknown };
  if (name === "JetStreamNotEnabled" && typeof message === "string") return `${message} (${JETSTREAM_NO_RESPONDERS})`;
  return typeof message === "string" && message !== "" ? message : String(value);
}

/** " (last error: …)" when there was one, else "". */
export function lastErrorSuffix(lastError: string | undefined): string {
  return lastError === undefined ? "" : ` (last error: ${lastError})`;
}

/** What to do about an authorization error: where the credentials come from. */
export const AUTHORIZATION_HINT =
  "the cluster wants client credentials: set NATS_TOKEN to the stack's client_secret output " +
  "(npx cdktf output nats, or terraform output -raw client_secret in its directory), or NATS_USER and NATS_PASSWORD";

/**
 * True for a server's "Authorization Violation" (nats.js AuthorizationError): wrong or missing
 * credentials, which no retry fixes. Duck-typed like {@link errorMessage}.
 */
export function isAuthorizationError(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { name?: unknown }).name === "AuthorizationError";
}

/** {@link errorMessage}, followed by {@link AUTHORIZATION_HINT} for an authorization error. */
export function describeFailure(error: unknown): string {
  return isAuthorizationError(error) ? `${errorMessage(error)}: ${AUTHORIZATION_HINT}` : errorMessage(error);
}
