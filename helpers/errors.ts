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
