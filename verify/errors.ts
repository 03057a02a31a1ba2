/**
 * A one-line message for any thrown value, with its cause when it has one (fetch says only
 * "fetch failed" and keeps the reason, e.g. ECONNREFUSED, in `cause`). Duck-typed, because
 * errors from another realm (a test sandbox) are not `instanceof Error` here.
 */
export function errorMessage(error: unknown): string {
  const message = messageOf(error);
  const cause = typeof error === "object" && error !== null ? (error as { cause?: unknown }).cause : undefined;
  return cause === undefined ? message : `${message} (${messageOf(cause)})`;
}

function messageOf(value: unknown): string {
  const message = typeof value === "object" && value !== null ? (value as { message?: unknown }).message : undefined;
  return typeof message === "string" && message !== "" ? message : String(value);
}

/** " (last error: …)" when there was one, else "". */
export function lastErrorSuffix(lastError: string | undefined): string {
  return lastError === undefined ? "" : ` (last error: ${lastError})`;
}
