import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** The resources the fake serves, by API collection. */
export interface FakeResources {
  droplets: { id: number; name: string; region: { slug: string }; tags: string[] }[];
  load_balancers: { id: string; name: string; region: { slug: string }; tag: string }[];
  firewalls: { id: string; name: string; tags: string[] }[];
  volumes: { id: string; name: string; region: { slug: string }; tags: string[] }[];
}

type Collection = keyof FakeResources;
const COLLECTIONS: readonly Collection[] = ["droplets", "load_balancers", "firewalls", "volumes"];

/** An answer the fake gives instead of the real one. */
export interface FakeFailure {
  readonly status: number;
  readonly message: string;
}

/**
 * A small fake of the DigitalOcean API v2 on loopback: paged GET of droplets (with tag_name),
 * load balancers, firewalls and volumes, DELETE by id, bearer-token check and DigitalOcean's
 * error bodies. Records every request.
 */
export class FakeDigitalOcean {
  public readonly requests: { method: string; path: string; query: string }[] = [];
  /** "METHOD /path" → the failure to answer with. */
  public readonly failures = new Map<string, FakeFailure>();
  /** Largest page served, whatever per_page asks. */
  public pageSize = 200;
  /** Origin written into next-page links. @default - the fake's own */
  public nextOrigin?: string;
  private server?: Server;
  private base = "";

  constructor(private readonly token: string, public readonly resources: FakeResources) {}

  /** Starts listening on `host`; resolves with the base URL. */
  public async start(host = "127.0.0.1"): Promise<string> {
    const server = createServer((request, response) => this.handle(request, response));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    this.base = `http://${host}:${(server.address() as AddressInfo).port}`;
    return this.base;
  }

  public stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? "/", this.base);
    const method = request.method ?? "GET";
    this.requests.push({ method, path: url.pathname, query: url.search });
    const send = (status: number, body?: unknown): void => {
      response.writeHead(status, body === undefined ? {} : { "Content-Type": "application/json" });
      response.end(body === undefined ? undefined : JSON.stringify(body));
    };
    if (request.headers.authorization !== `Bearer ${this.token}`) return send(401, { id: "unauthorized", message: "Unable to authenticate you" });
    const failure = this.failures.get(`${method} ${url.pathname}`);
    if (failure !== undefined) return send(failure.status, { id: "error", message: failure.message });
    const [, version, collection, id, ...rest] = url.pathname.split("/");
    if (version !== "v2" || !COLLECTIONS.includes(collection as Collection) || rest.length > 0) return send(404, { id: "not_found", message: "The resource you were accessing could not be found." });
    const items = this.resources[collection as Collection] as { id: string | number; tags?: string[] }[];
    if (method === "GET" && id === undefined) return send(200, this.page(collection as Collection, items, url));
    if (method === "DELETE" && id !== undefined) {
      const index = items.findIndex((item) => String(item.id) === id);
      if (index < 0) return send(404, { id: "not_found", message: "The resource you were accessing could not be found." });
      items.splice(index, 1);
      return send(204);
    }
    send(405, { id: "method_not_allowed", message: `${method} is not allowed here` });
  }

  private page(collection: Collection, all: { tags?: string[] }[], url: URL): unknown {
    const tag = url.searchParams.get("tag_name");
    const items = collection === "droplets" && tag !== null ? all.filter((item) => item.tags?.includes(tag)) : all;
    const size = Math.min(Number(url.searchParams.get("per_page") ?? 20), this.pageSize);
    const page = Number(url.searchParams.get("page") ?? 1);
    const next = new URL(url.pathname + url.search, this.nextOrigin ?? this.base);
    next.searchParams.set("page", String(page + 1));
    const more = page * size < items.length;
    return { [collection]: items.slice((page - 1) * size, page * size), links: more ? { pages: { next: next.toString() } } : {}, meta: { total: items.length } };
  }
}
