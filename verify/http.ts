import { errorMessage, lastErrorSuffix } from "../helpers/errors";
import { HttpAnswer, httpGet } from "../helpers/http";
import { plural } from "./stats";

/**
 * GETs `path` from every base URL at once and returns the problems: what `judge` says about
 * an answer (undefined when it is fine), or why there was no answer.
 */
export async function problemsAt(
  bases: readonly string[],
  path: string,
  timeoutMs: number,
  judge: (base: string, answer: HttpAnswer) => string | undefined,
): Promise<string[]> {
  const problems = await Promise.all(bases.map(async (base) => {
    try {
      return judge(base, await httpGet(`${base}${path}`, timeoutMs));
    } catch (error) {
      return `${base}: ${errorMessage(error)}`;
    }
  }));
  return problems.filter((p): p is string => p !== undefined);
}

/** The `server_id` field of a monitor answer, when it has one. */
export function serverIdOf(answer: HttpAnswer): string | undefined {
  const id = answer.json?.server_id;
  return typeof id === "string" ? id : undefined;
}

/** The answers from repeated GETs of one URL through the load balancer, grouped by server_id. */
export interface Sampled {
  /** server_id → the last answer from that server. */
  readonly byServer: Map<string, HttpAnswer>;
  readonly requests: number;
  /** Answers without a server_id (e.g. /healthz). */
  readonly anonymous: HttpAnswer[];
  readonly lastError?: string;
}

/**
 * GETs `url` until `wanted` distinct server_ids have answered or 4 × wanted + 4 requests are
 * spent. Each request goes on its own connection, so a round-robin balancer spreads them.
 */
export async function sampleThroughBalancer(url: string, wanted: number, timeoutMs: number): Promise<Sampled> {
  const byServer = new Map<string, HttpAnswer>();
  const anonymous: HttpAnswer[] = [];
  const maxRequests = 4 * wanted + 4;
  let requests = 0;
  let lastError: string | undefined;
  while (byServer.size < wanted && requests < maxRequests) {
    requests++;
    try {
      const answer = await httpGet(url, timeoutMs);
      const id = serverIdOf(answer);
      if (id === undefined) anonymous.push(answer);
      else byServer.set(id, answer);
    } catch (error) {
      lastError = errorMessage(error);
    }
  }
  return { byServer, requests, anonymous, lastError };
}

/** "2/3 servers in 16 requests (last error: …)": how far {@link sampleThroughBalancer} got. */
export function describeSample(sampled: Sampled, wanted: number): string {
  const error = sampled.byServer.size < wanted ? lastErrorSuffix(sampled.lastError) : "";
  return `${sampled.byServer.size}/${wanted} servers in ${plural(sampled.requests, "request")}${error}`;
}
