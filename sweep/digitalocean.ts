import { printable } from "../helpers/terminal";
import { errorMessage } from "../helpers/errors";

/** The DigitalOcean API, as the Terraform provider reaches it unless DIGITALOCEAN_API_URL says otherwise. */
export const DEFAULT_API_URL = "https://api.digitalocean.com";
/** The largest page the API serves. */
const PAGE_SIZE = 200;
/** More pages than this means a next link that never ends. */
const MAX_PAGES = 500;
const REQUEST_TIMEOUT_MS = 30_000;
/** The most of an error body a message quotes. */
const MAX_ERROR_CHARS = 200;

/** A failed API call: says which call and what the API answered, never the token. */
export class ApiError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = "ApiError";
  }
}

/** A DigitalOcean API page: the items under one key, and where the next page is. */
interface Page {
  readonly links?: { readonly pages?: { readonly next?: string } };
  readonly [key: string]: unknown;
}

/**
 * A minimal client for the DigitalOcean API v2 with built-in fetch: paged lists, single reads and deletes.
 * Sends the token only to `baseUrl`'s origin, also when following a page's next link.
 */
export class DigitalOceanClient {
  private readonly base: URL;

  constructor(baseUrl: string, private readonly token: string) {
    this.base = new URL(baseUrl);
  }

  /** Every item under `key` of `path`'s pages, following `links.pages.next`. */
  public async list<T>(path: string, key: string, query: Readonly<Record<string, string>> = {}): Promise<T[]> {
    const first = new URL(path, this.base);
    for (const [name, value] of Object.entries({ ...query, per_page: String(PAGE_SIZE) })) first.searchParams.set(name, value);
    const items: T[] = [];
    let next: URL | undefined = first;
    for (let pages = 0; next !== undefined; pages++) {
      if (pages === MAX_PAGES) throw new ApiError(`GET ${path}: more than ${MAX_PAGES} pages, giving up`);
      const page = (await this.request("GET", next)) as Page;
      const found = page[key];
      if (!Array.isArray(found)) throw new ApiError(`GET ${next.pathname}: the answer has no "${key}" list`);
      items.push(...(found as T[]));
      next = this.nextPage(page, path);
    }
    return items;
  }

  /** The item under `key` of `path`, or undefined when the API answers 404 (it does not exist, or no longer). */
  public async get<T>(path: string, key: string): Promise<T | undefined> {
    const page = (await this.request("GET", new URL(path, this.base), undefined, true)) as Page | undefined;
    return page?.[key] as T | undefined;
  }

  /** DELETE `path`, with a JSON `body` where the API takes one (removing tags from a firewall). */
  public async remove(path: string, body?: unknown): Promise<void> {
    await this.request("DELETE", new URL(path, this.base), body);
  }

  private nextPage(page: Page, path: string): URL | undefined {
    const link = page.links?.pages?.next;
    if (link === undefined) return undefined;
    const url = new URL(link, this.base);
    if (url.origin !== this.base.origin) {
      throw new ApiError(`GET ${path}: the next page is on another host (${url.origin}); the token is only sent to ${this.base.origin}`);
    }
    return url;
  }

  /** The parsed answer; undefined for an empty one, and for a 404 when `missingOk`. */
  private async request(method: "GET" | "DELETE", url: URL, body?: unknown, missingOk = false): Promise<unknown> {
    const call = `${method} ${url.pathname}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: { Authorization: `Bearer ${this.token}`, Accept: "application/json", ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw new ApiError(`${call}: ${errorMessage(error)}`);
    }
    const text = await response.text();
    if (missingOk && response.status === 404) return undefined;
    if (!response.ok) throw new ApiError(`${call} answered ${response.status}: ${apiMessage(text)}${hint(response.status)}`, response.status);
    if (text === "") return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new ApiError(`${call} answered ${response.status} with a body that is not JSON`);
    }
  }
}

/**
 * The `message` of a DigitalOcean error body, else the body, at most MAX_ERROR_CHARS of it and
 * with control characters escaped: the body is the network's text, printed on a terminal.
 */
function apiMessage(text: string): string {
  let message = text.trim();
  try {
    const field = (JSON.parse(text) as { message?: unknown }).message;
    if (typeof field === "string" && field !== "") message = field;
  } catch {
    // not JSON: the body itself
  }
  if (message === "") return "(empty body)";
  return message.length > MAX_ERROR_CHARS ? `${printable(message.slice(0, MAX_ERROR_CHARS))}… (${message.length} characters)` : printable(message);
}

function hint(status: number): string {
  if (status === 401) return " (check DIGITALOCEAN_TOKEN: a valid personal access token)";
  if (status === 403) return " (the token needs write scope to delete, read scope to list)";
  if (status === 429) return " (rate limited: wait a minute and run again)";
  return "";
}
