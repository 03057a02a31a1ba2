import { connect as tcpConnect } from "node:net";

/** GETs `url` and parses the JSON body; fails on a non-2xx status or after `timeoutMs`. */
export async function fetchJson<T = Record<string, unknown>>(url: string, timeoutMs = 2000): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  return (await response.json()) as T;
}

/** nats-server's /varz fields the twin reads. */
export interface Varz {
  readonly server_id: string;
  readonly server_name: string;
  readonly connect_urls?: string[];
}

/** Number of routes a node reports on /routez. */
export async function routeCount(monitorUrl: string): Promise<number> {
  return (await fetchJson<{ num_routes: number }>(`${monitorUrl}/routez`)).num_routes;
}

/** True when `/healthz` answers 200 (with a monitor port) or the client port accepts (without). */
export async function isHealthy(address: string, clientPort: number, monitorPort?: number): Promise<boolean> {
  if (monitorPort !== undefined) {
    const response = await fetch(`http://${address}:${monitorPort}/healthz`, { signal: AbortSignal.timeout(1000) });
    return response.status === 200;
  }
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: address, port: clientPort }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}
