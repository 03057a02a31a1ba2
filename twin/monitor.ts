import { connect as tcpConnect } from "node:net";
import { remoteIds } from "../verify/checks/mesh";
import { httpGet } from "../helpers/http";

/** GETs `url` and returns its JSON object; fails on a non-2xx status, a non-JSON body or after `timeoutMs`. */
export async function fetchJson<T = Record<string, unknown>>(url: string, timeoutMs = 2000): Promise<T> {
  const answer = await httpGet(url, timeoutMs);
  if (answer.status < 200 || answer.status > 299) throw new Error(`GET ${url} answered ${answer.status}`);
  if (answer.json === undefined) throw new Error(`GET ${url} answered without a JSON object`);
  return answer.json as T;
}

/** nats-server's /varz fields the twin reads. */
export interface Varz {
  readonly server_id: string;
  readonly server_name: string;
  readonly version: string;
  readonly connect_urls?: string[];
}

/** Number of distinct servers a node has routes to, from /routez (never `num_routes`: routes are pooled from 2.10). */
export async function peerCount(monitorUrl: string): Promise<number> {
  return remoteIds((await fetchJson<{ routes?: unknown }>(`${monitorUrl}/routez`)).routes).size;
}

/**
 * True when `healthPath` (default `/healthz`) answers 200 (with a monitor port) or the client
 * port accepts (without).
 */
export async function isHealthy(address: string, clientPort: number, monitorPort?: number, healthPath = "/healthz"): Promise<boolean> {
  if (monitorPort !== undefined) {
    return (await httpGet(`http://${address}:${monitorPort}${healthPath}`, 1000)).status === 200;
  }
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: address, port: clientPort }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

/** nats-server's /jsz fields the twin reads. */
export interface Jsz {
  readonly disabled?: boolean;
  readonly meta_cluster?: {
    /** The meta leader's Raft peer id (a hash of its server name). */
    readonly peer?: string;
    readonly leader?: string;
    readonly cluster_size?: number;
    /** The meta group's other members; only the leader lists them. */
    readonly replicas?: readonly { name: string; current: boolean; offline?: boolean; peer?: string }[];
  };
}

/** The JetStream meta leader a node knows of; undefined while there is none (or JetStream is off). */
export async function metaLeader(monitorUrl: string): Promise<string | undefined> {
  const jsz = await fetchJson<Jsz>(`${monitorUrl}/jsz`);
  return jsz.meta_cluster?.leader || undefined;
}
