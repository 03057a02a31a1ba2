import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { addressesOf, referencesIn } from "../plan/references";
import type { Json, Plan } from "../helpers/tf-json";

/** A droplet as the API shows it; `tags` is missing on a hostile or odd answer. */
export interface FakeDroplet { id: number | string; name: string; region: { slug: string }; tags?: string[]; volume_ids: string[] }
export interface FakeLoadBalancer { id: string; name: string; region: { slug: string }; tag: string; droplet_ids: number[] }
export interface FakeFirewall { id: string; name: string; tags: string[]; droplet_ids: number[] }
export interface FakeVolume { id: string; name: string; region: { slug: string }; tags: string[]; droplet_ids: (number | string)[] }
/** A tag; its id in the API is its name. */
export interface FakeTag { name: string; id?: string }

/** One object of the fake account. */
export type FakeItem = FakeDroplet | FakeLoadBalancer | FakeFirewall | FakeVolume | FakeTag;

/** The resources the fake serves, by API collection. */
export interface FakeResources {
  droplets: FakeDroplet[];
  load_balancers: FakeLoadBalancer[];
  firewalls: FakeFirewall[];
  volumes: FakeVolume[];
  tags: FakeTag[];
}

type Collection = keyof FakeResources;
const COLLECTIONS: readonly Collection[] = ["droplets", "load_balancers", "firewalls", "volumes", "tags"];
/** The key of one item in a GET by id. */
const SINGULAR: Readonly<Record<Collection, string>> = { droplets: "droplet", load_balancers: "load_balancer", firewalls: "firewall", volumes: "volume", tags: "tag" };

/** True when `item` has a list of tags holding `tag` (a test may give odd `tags` values). */
function carries(item: { tags?: unknown }, tag: string): boolean {
  return Array.isArray(item.tags) && item.tags.includes(tag);
}

/** An empty account. */
export function emptyAccount(): FakeResources {
  return { droplets: [], load_balancers: [], firewalls: [], volumes: [], tags: [] };
}

/**
 * Adds to `account` what applying `plan` would create in DigitalOcean: one API object per
 * `digitalocean_*` resource, with the ids the API would give (droplets numeric, the others
 * UUIDs, a tag's id its name) and the references between them resolved (a droplet's tags, its
 * volume_ids, a load balancer's droplet_tag). Resources of other providers create nothing in
 * DigitalOcean. A `digitalocean_*` type it cannot model is an error, so that a stack that
 * starts creating a new type fails the sweep's tests until the sweep and this fake know it.
 * Returns the fake objects by Terraform address.
 */
export function applyPlan(account: FakeResources, plan: Plan, firstDropletId: number): Map<string, FakeItem> {
  const known = addressesOf(plan);
  const created = new Map<string, FakeItem>();
  const resolve = (value: Json | undefined): string => {
    const [reference, ...more] = referencesIn(value, known);
    if (reference === undefined) return String(value);
    const target = created.get(reference.target) as Record<string, unknown> | undefined;
    const attribute = reference.attribute ?? "id";
    if (more.length > 0 || value !== `\${${reference.target}.${attribute}}` || target?.[attribute] === undefined) {
      throw new Error(`fake DigitalOcean: cannot resolve ${JSON.stringify(value)}`);
    }
    return String(target[attribute]);
  };
  const list = (value: Json | undefined): string[] => (Array.isArray(value) ? value.map(resolve) : []);
  // Tags and volumes first: droplets and load balancers refer to them.
  const order = ["digitalocean_tag", "digitalocean_volume"];
  const resources = [...plan.resources].sort((a, b) => Number(order.includes(b.type)) - Number(order.includes(a.type)));
  let nextDroplet = firstDropletId;
  for (const { type, address, body } of resources) {
    if (!type.startsWith("digitalocean_")) continue;
    const name = resolve(body.name);
    const region = { slug: resolve(body.region) };
    const add = <T extends FakeItem>(collection: T[], item: T): T => {
      collection.push(item);
      created.set(address, item);
      return item;
    };
    if (type === "digitalocean_tag") {
      add(account.tags, { name, id: name });
    } else if (type === "digitalocean_volume") {
      add(account.volumes, { id: randomUUID(), name, region, tags: list(body.tags), droplet_ids: [] });
    } else if (type === "digitalocean_droplet") {
      const droplet = add(account.droplets, { id: nextDroplet++, name, region, tags: list(body.tags), volume_ids: list(body.volume_ids) });
      account.volumes.filter((volume) => droplet.volume_ids.includes(volume.id)).forEach((volume) => volume.droplet_ids.push(droplet.id));
    } else if (type === "digitalocean_loadbalancer") {
      add(account.load_balancers, { id: randomUUID(), name, region, tag: resolve(body.droplet_tag), droplet_ids: [] });
    } else if (type === "digitalocean_firewall") {
      add(account.firewalls, { id: randomUUID(), name, tags: list(body.tags), droplet_ids: [] });
    } else {
      throw new Error(`fake DigitalOcean: no model of ${type} (${address}): teach the sweep and this fake about it`);
    }
  }
  return created;
}

/** An answer the fake gives instead of the real one. */
export interface FakeFailure {
  readonly status: number;
  readonly message: string;
}

/**
 * A small fake of the DigitalOcean API v2 on loopback. What it models: paged GET of droplets
 * (filtered by tag_name unless `ignoreTagName`, as an API that drops the filter would),
 * load balancers, firewalls and volumes; GET of one item by id (404 once gone); DELETE by id,
 * where deleting a droplet detaches its volumes, an attached volume is refused (409) and a
 * tag is removed from everything that carries it; DELETE of a firewall's tags with a JSON
 * body; bearer-token check and DigitalOcean's error bodies. Records every request.
 * Where the real API differs: it destroys a droplet some time after the DELETE (modelled
 * only by `lingeringGets`), it counts a tag's resources over more types (images, snapshots,
 * databases), and it also rate-limits on its own.
 */
export class FakeDigitalOcean {
  public readonly requests: { method: string; path: string; query: string; body: string }[] = [];
  /** "METHOD /path" → the failure to answer with. */
  public readonly failures = new Map<string, FakeFailure>();
  /** Largest page served, whatever per_page asks. */
  public pageSize = 200;
  /** Origin written into next-page links. @default - the fake's own */
  public nextOrigin?: string;
  /** Lists every droplet whatever tag_name asks. */
  public ignoreTagName = false;
  /** How many GETs a deleted droplet still answers, as it is being destroyed. */
  public lingeringGets = 0;
  private readonly lingering = new Map<string, { droplet: FakeDroplet; gets: number }>();
  private server?: Server;
  private base = "";

  constructor(private readonly token: string, public readonly resources: FakeResources) {}

  /** Starts listening on `host`; resolves with the base URL. */
  public async start(host = "127.0.0.1"): Promise<string> {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => this.handle(request, Buffer.concat(chunks).toString("utf8"), response));
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    this.base = `http://${host}:${(server.address() as AddressInfo).port}`;
    return this.base;
  }

  public stop(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private handle(request: IncomingMessage, body: string, response: ServerResponse): void {
    const url = new URL(request.url ?? "/", this.base);
    const method = request.method ?? "GET";
    this.requests.push({ method, path: url.pathname, query: url.search, body });
    const send = (status: number, answer?: unknown): void => {
      response.writeHead(status, answer === undefined ? {} : { "Content-Type": "application/json" });
      response.end(answer === undefined ? undefined : JSON.stringify(answer));
    };
    const notFound = (): void => send(404, { id: "not_found", message: "The resource you were accessing could not be found." });
    if (request.headers.authorization !== `Bearer ${this.token}`) return send(401, { id: "unauthorized", message: "Unable to authenticate you" });
    const failure = this.failures.get(`${method} ${url.pathname}`);
    if (failure !== undefined) return send(failure.status, { id: "error", message: failure.message });
    const [, version, name, rawId, sub, ...rest] = url.pathname.split("/");
    const collection = name as Collection;
    if (version !== "v2" || !COLLECTIONS.includes(collection) || rest.length > 0 || (sub !== undefined && !(collection === "firewalls" && sub === "tags"))) return notFound();
    const items = this.resources[collection] as unknown as { id?: string | number; name: string; tags?: string[] }[];
    if (method === "GET" && rawId === undefined) return send(200, this.page(collection, items, url));
    if (rawId === undefined) return send(405, { id: "method_not_allowed", message: `${method} is not allowed here` });
    const id = decodeURIComponent(rawId);
    const index = items.findIndex((item) => String(item.id ?? item.name) === id);
    if (method === "GET") return this.getOne(collection, id, index, send, notFound);
    if (method !== "DELETE") return send(405, { id: "method_not_allowed", message: `${method} is not allowed here` });
    if (index < 0) return notFound();
    if (sub === "tags") {
      const removed = (JSON.parse(body) as { tags: string[] }).tags;
      const firewall = this.resources.firewalls[index];
      firewall.tags = firewall.tags.filter((tag) => !removed.includes(tag));
      return send(204);
    }
    if (collection === "volumes" && this.resources.volumes[index].droplet_ids.length > 0) {
      return send(409, { id: "conflict", message: "Attached volumes cannot be deleted." });
    }
    const [deleted] = items.splice(index, 1);
    if (collection === "droplets") this.destroyDroplet(deleted as FakeDroplet);
    if (collection === "tags") this.untagEverything(id);
    send(204);
  }

  private getOne(collection: Collection, id: string, index: number, send: (status: number, answer?: unknown) => void, notFound: () => void): void {
    const lingering = collection === "droplets" ? this.lingering.get(id) : undefined;
    if (lingering !== undefined && lingering.gets > 0) {
      lingering.gets--;
      return send(200, { droplet: lingering.droplet });
    }
    if (index < 0) return notFound();
    if (collection !== "tags") return send(200, { [SINGULAR[collection]]: this.resources[collection][index] });
    const carrying = [...this.resources.droplets, ...this.resources.volumes].filter((item) => carries(item, id));
    send(200, { tag: { name: id, resources: { count: carrying.length, last_tagged_uri: carrying.length === 0 ? undefined : `${this.base}/v2/${"volume_ids" in carrying[0] ? "droplets" : "volumes"}/${carrying[0].id}` } } });
  }

  /** The droplet's volumes are detached; it still answers `lingeringGets` GETs. */
  private destroyDroplet(droplet: FakeDroplet): void {
    for (const volume of this.resources.volumes) volume.droplet_ids = volume.droplet_ids.filter((id) => id !== droplet.id);
    this.lingering.set(String(droplet.id), { droplet, gets: this.lingeringGets });
  }

  private untagEverything(tag: string): void {
    for (const item of [...this.resources.droplets, ...this.resources.volumes, ...this.resources.firewalls]) {
      if (Array.isArray(item.tags)) item.tags = item.tags.filter((name) => name !== tag);
    }
  }

  private page(collection: Collection, all: { tags?: string[] }[], url: URL): unknown {
    const tag = url.searchParams.get("tag_name");
    const items = collection === "droplets" && tag !== null && !this.ignoreTagName ? all.filter((item) => carries(item, tag)) : all;
    const size = Math.min(Number(url.searchParams.get("per_page") ?? 20), this.pageSize);
    const page = Number(url.searchParams.get("page") ?? 1);
    const next = new URL(url.pathname + url.search, this.nextOrigin ?? this.base);
    next.searchParams.set("page", String(page + 1));
    const more = page * size < items.length;
    return { [collection]: items.slice((page - 1) * size, page * size), links: more ? { pages: { next: next.toString() } } : {}, meta: { total: items.length } };
  }
}
