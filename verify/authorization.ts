import { errorMessage } from "../helpers/errors";

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
