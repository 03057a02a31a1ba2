import { setTimeout as sleep } from "node:timers/promises";
import { PATTERNS } from "../facts/validation";
import { printable } from "../helpers/terminal";
import { errorMessage } from "../helpers/errors";
import type { DigitalOceanClient } from "./digitalocean";

/**
 * What a sweep finds, in the order it deletes them. Each step is safe whenever the sweep stops
 * after it (a 429, a 500, a refused id):
 * 1. load balancers (the public one and the internal seed one): no traffic reaches the nodes;
 * 2. droplets, and a wait until they are gone: their firewall still guards them meanwhile;
 * 3. volumes: detached once their droplets are gone (the API refuses an attached one);
 * 4. firewalls: nothing they guard is left;
 * 5. tags: only once nothing carries them.
 * A step starts only when every earlier one succeeded, so a droplet never loses its firewall
 * while it runs.
 */
export const KINDS = ["load balancer", "droplet", "volume", "firewall", "tag"] as const;
export type Kind = (typeof KINDS)[number];

/**
 * The kind each Terraform resource type of a stack is swept as. Every `digitalocean_*` type the
 * stacks synthesize must be here: a test reads both synthesized plans.
 */
export const SWEPT_TYPES: Readonly<Record<string, Kind>> = {
  digitalocean_loadbalancer: "load balancer",
  digitalocean_droplet: "droplet",
  digitalocean_volume: "volume",
  digitalocean_firewall: "firewall",
  digitalocean_tag: "tag",
};

/** What the sweep does with something it found. */
export type Action = "delete" | "untag" | "keep";

/** One resource that carries the tag, or that a load balancer or firewall points at it through. */
export interface Tagged {
  readonly kind: Kind;
  /** The API's id; a tag's is its name. */
  readonly id: string;
  readonly name: string;
  /** Region slug; firewalls and tags have none (they are global). */
  readonly region?: string;
  /** `untag`: a firewall that is not ours loses only our tag; `keep`: left as it is. */
  readonly action: Action;
  /** Why it is untagged or kept. */
  readonly reason?: string;
}

/** What to sweep. */
export interface SweepOptions {
  readonly tag: string;
  /** Only resources in this region. @default - every region */
  readonly region?: string;
  /** Delete what was found. @default false - list only */
  readonly yes?: boolean;
  /** Receives each output line. */
  readonly print: (line: string) => void;
  /** Longest wait for deleted droplets to be gone, in ms. @default 300000 - 5 minutes */
  readonly dropletGoneTimeoutMs?: number;
  /** Pause between two looks at deleted droplets, in ms. @default 5000 */
  readonly pollIntervalMs?: number;
}

interface Droplet { id: unknown; name: string; region?: { slug?: string }; tags?: string[] }
interface LoadBalancer { id: unknown; name: string; region?: { slug?: string }; tag?: string }
interface Firewall { id: unknown; name: string; tags?: string[]; droplet_ids?: number[] }
interface Volume { id: unknown; name: string; region?: { slug?: string }; tags?: string[]; droplet_ids?: unknown[] }
interface TagInfo { name: string; resources?: { count?: number; last_tagged_uri?: string } }

const DROPLET_GONE_TIMEOUT_MS = 300_000;
const POLL_INTERVAL_MS = 5_000;
const UUID = { pattern: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, allowed: "a UUID" };

/** The API's collection of each kind, and the shape of its ids: anything else never reaches a URL. */
const COLLECTIONS: Readonly<Record<Kind, { path: string; id: { pattern: RegExp; allowed: string } }>> = {
  "load balancer": { path: "/v2/load_balancers", id: UUID },
  droplet: { path: "/v2/droplets", id: { pattern: /^[1-9][0-9]{0,18}$/, allowed: "a positive integer" } },
  volume: { path: "/v2/volumes", id: UUID },
  firewall: { path: "/v2/firewalls", id: UUID },
  tag: { path: "/v2/tags", id: PATTERNS.tag },
};

/** The API path of one resource; throws for an id not of the API's shape (`..` would climb out of the collection). */
export function resourcePath(kind: Kind, id: string): string {
  const { path, id: shape } = COLLECTIONS[kind];
  if (!shape.pattern.test(id)) throw new Error(`refused: ${JSON.stringify(id)} is not a ${kind} id (expected ${shape.allowed})`);
  return `${path}/${encodeURIComponent(id)}`;
}

/** The internal seed load balancer's name and target tag (NatsCluster): `<tag>-seed`. */
export function seedTagOf(tag: string): string {
  return `${tag}-seed`;
}

/**
 * Finds what the stack of `tag` created, trusting only tags the API shows (never its
 * `tag_name` filter alone): droplets and volumes tagged with it, the load balancer that
 * targets it, the seed load balancer `<tag>-seed` that targets `<tag>-seed`, the firewalls
 * that cover it and the tags `<tag>` and `<tag>-seed`. A firewall that also covers another tag
 * or a droplet by id is not ours: only our tag is removed from it; a volume attached to a
 * droplet without the tag is kept. With `region`, firewalls (global) are kept while droplets
 * elsewhere carry the tag, so that sweeping one region never strips another's firewall.
 * Refuses a stack's seed tag (`<tag>-seed` on a droplet that also carries `<tag>`): sweeping it
 * would take node 1 and the seed load balancer out of a running stack. Returned in deletion
 * order (see {@link KINDS}).
 */
export async function findTagged(api: DigitalOceanClient, tag: string, region?: string): Promise<Tagged[]> {
  const seedTag = seedTagOf(tag);
  // A tag of 251 characters or more has no seed tag: DigitalOcean's tags end at 255.
  const tagNames = [tag, seedTag].filter((name) => PATTERNS.tag.pattern.test(name));
  const [droplets, balancers, firewalls, volumes, tags] = await Promise.all([
    api.list<Droplet>("/v2/droplets", "droplets", { tag_name: tag }),
    api.list<LoadBalancer>("/v2/load_balancers", "load_balancers"),
    api.list<Firewall>("/v2/firewalls", "firewalls"),
    api.list<Volume>("/v2/volumes", "volumes"),
    Promise.all(tagNames.map((name) => api.get<TagInfo>(resourcePath("tag", name), "tag"))),
  ]);
  const inRegion = (slug: string | undefined): boolean => region === undefined || slug === region;
  const tagged = droplets.filter((droplet) => Array.isArray(droplet.tags) && droplet.tags.includes(tag));
  const base = tag.endsWith("-seed") ? tag.slice(0, -"-seed".length) : undefined;
  if (base !== undefined && tagged.some((droplet) => droplet.tags?.includes(base))) {
    throw new Error(`tag ${tag} is the seed tag of the stack tagged ${base} (its node 1 carries both): sweep --tag ${base} to remove that stack`);
  }
  const ours = new Set(tagged.map((droplet) => String(droplet.id)));
  const elsewhere = tagged.filter((droplet) => !inRegion(droplet.region?.slug)).map((d) => `${printable(String(d.name))} in ${printable(d.region?.slug ?? "?")}`);
  const regional = (kind: Kind, item: { id: unknown; name: string; region?: { slug?: string } }): Tagged =>
    ({ kind, id: String(item.id), name: String(item.name), region: item.region?.slug, action: "delete" });
  return [
    ...balancers
      .filter((lb) => (lb.tag === tag || (lb.tag === seedTag && lb.name === seedTag)) && inRegion(lb.region?.slug))
      .map((lb) => regional("load balancer", lb)),
    ...tagged.filter((d) => inRegion(d.region?.slug)).map((d) => regional("droplet", d)),
    ...volumes.filter((v) => Array.isArray(v.tags) && v.tags.includes(tag) && inRegion(v.region?.slug)).map((v) => volumeAction(regional("volume", v), v, ours, tag)),
    ...firewalls.filter((fw) => Array.isArray(fw.tags) && fw.tags.includes(tag)).map((fw) => firewallAction(fw, tag, elsewhere)),
    ...tagNames.filter((_, i) => tags[i] !== undefined).map((name): Tagged => ({ kind: "tag", id: name, name, action: "delete" })),
  ];
}

/** A volume attached to a droplet that does not carry the tag is kept: it is that droplet's disk. */
function volumeAction(volume: Tagged, found: Volume, ours: ReadonlySet<string>, tag: string): Tagged {
  const foreign = (Array.isArray(found.droplet_ids) ? found.droplet_ids : []).map(String).filter((id) => !ours.has(id));
  return foreign.length === 0 ? volume : { ...volume, action: "keep", reason: `attached to droplet ${foreign.map(printable).join(", ")}, which does not carry tag ${tag}` };
}

/** Ours (only our tag, no droplet by id) is deleted; another's loses our tag; either is kept while droplets elsewhere carry the tag. */
function firewallAction(fw: Firewall, tag: string, elsewhere: readonly string[]): Tagged {
  const others = [
    ...(fw.tags ?? []).filter((name) => name !== tag).map((name) => `tag ${printable(String(name))}`),
    ...(Array.isArray(fw.droplet_ids) ? fw.droplet_ids : []).map((id) => `droplet ${printable(String(id))}`),
  ];
  const firewall = { kind: "firewall" as const, id: String(fw.id), name: String(fw.name) };
  if (elsewhere.length > 0) return { ...firewall, action: "keep", reason: `it also covers ${elsewhere.join(", ")}` };
  if (others.length > 0) return { ...firewall, action: "untag", reason: `not ours, it also covers ${others.join(", ")}` };
  return { ...firewall, action: "delete" };
}

/** One aligned line per resource, with the network's text escaped. */
function describe(resource: Tagged): string {
  const where = resource.region === undefined ? "" : ` in ${printable(resource.region)}`;
  return `${resource.kind.padEnd(13)} ${printable(resource.name)} (${printable(resource.id)})${where}`;
}

/** One line of a sweep with --yes: what happened to `resource`, in aligned columns. */
function outcomeLine(label: "deleted" | "untagged" | "kept" | "FAILED", resource: Tagged, detail?: string): string {
  return `${label.padEnd(8)} ${describe(resource)}${detail === undefined ? "" : `: ${detail}`}`;
}

/** What is done to a resource, for the listing. */
function intent(resource: Tagged, tag: string): string {
  if (resource.action === "untag") return `: ${resource.reason}; only tag ${tag} would be removed from it`;
  if (resource.action === "keep") return `: kept, ${resource.reason}`;
  return "";
}

/** The outcome of one step of a sweep. */
interface Outcome {
  deleted: number;
  failed: number;
  /** Lines naming what was left on purpose, for the summary. */
  kept: string[];
}

/**
 * Lists what carries the tag and, with `yes`, deletes it step by step in the order of
 * {@link KINDS}, going on past a failed delete within a step but never into the next step.
 * Returns the exit status: 0 when everything found was deleted (or untagged or kept, with the
 * reason printed) or only listed, 1 when something failed.
 */
export async function sweep(api: DigitalOceanClient, options: SweepOptions): Promise<number> {
  const where = options.region === undefined ? "" : ` in ${options.region}`;
  const found = await findTagged(api, options.tag, options.region);
  if (found.length === 0) {
    options.print(`nothing carries tag ${options.tag}${where}`);
    return 0;
  }
  if (!options.yes) {
    options.print(`${found.length} resources carry tag ${options.tag}${where}:`);
    found.forEach((resource) => options.print(`  ${describe(resource)}${intent(resource, options.tag)}`));
    options.print("nothing deleted: run again with --yes to delete them");
    return 0;
  }
  const outcome: Outcome = { deleted: 0, failed: 0, kept: [] };
  for (const kind of KINDS) {
    const step = found.filter((resource) => resource.kind === kind);
    for (const resource of step) await act(api, resource, options, outcome);
    if (outcome.failed === 0 && kind === "droplet" && step.length > 0) await waitGone(api, step, options, outcome);
    if (outcome.failed > 0) {
      const next = KINDS.slice(KINDS.indexOf(kind) + 1).filter((later) => found.some((resource) => resource.kind === later));
      const stopped = next.length === 0 ? "" : `; stopped before the ${next.map((later) => `${later}s`).join(", ")}, so that nothing is left exposed`;
      options.print(`${outcome.failed} of ${found.length} failed${stopped}: run the sweep again`);
      return 1;
    }
  }
  const kept = outcome.kept.length === 0 ? "" : `; kept ${outcome.kept.length} (not deleted, see above): ${outcome.kept.join(", ")}`;
  options.print(`deleted ${outcome.deleted} of ${found.length} resources found for tag ${options.tag}${where}${kept}`);
  return 0;
}

/** Deletes, untags or keeps one resource, printing what happened. */
async function act(api: DigitalOceanClient, resource: Tagged, options: SweepOptions, outcome: Outcome): Promise<void> {
  const keep = (label: "kept" | "untagged", detail: string): void => {
    outcome.kept.push(`${resource.kind} ${printable(resource.name)}`);
    options.print(outcomeLine(label, resource, detail));
  };
  try {
    if (resource.action === "keep") return keep("kept", resource.reason ?? "");
    const path = resourcePath(resource.kind, resource.id);
    if (resource.action === "untag") {
      await api.remove(`${path}/tags`, { tags: [options.tag] });
      return keep("untagged", `${resource.reason}; tag ${options.tag} removed, the firewall kept`);
    }
    const left = resource.kind === "tag" ? await api.get<TagInfo>(path, "tag") : undefined;
    // Anything but a count of 0 (a number, as the API sends it) keeps the tag.
    const count = Number(left?.resources?.count ?? 0);
    if (count !== 0) {
      return keep("kept", `still on ${count === 1 ? "1 resource" : `${count} resources`} the sweep does not delete${lastTagged(left)}`);
    }
    await api.remove(path);
    outcome.deleted++;
    options.print(outcomeLine("deleted", resource));
  } catch (error) {
    outcome.failed++;
    options.print(outcomeLine("FAILED", resource, errorMessage(error)));
  }
}

/** ", the last one <uri>" when the API names it. */
function lastTagged(tag: TagInfo | undefined): string {
  const uri = tag?.resources?.last_tagged_uri;
  return typeof uri === "string" ? `, the last one ${printable(uri.slice(0, 200))}` : "";
}

/**
 * Waits until every deleted droplet is gone (the API answers 404): DigitalOcean destroys a
 * droplet after answering the DELETE, and until then its volume is attached and its firewall
 * must stay. Each one still there at the timeout counts as failed.
 */
async function waitGone(api: DigitalOceanClient, droplets: readonly Tagged[], options: SweepOptions, outcome: Outcome): Promise<void> {
  const timeout = options.dropletGoneTimeoutMs ?? DROPLET_GONE_TIMEOUT_MS;
  const deadline = Date.now() + timeout;
  let left = droplets;
  try {
    for (;;) {
      const still = await Promise.all(left.map((droplet) => api.get(resourcePath("droplet", droplet.id), "droplet")));
      left = left.filter((_, i) => still[i] !== undefined);
      if (left.length === 0) return;
      if (Date.now() >= deadline) break;
      await sleep(options.pollIntervalMs ?? POLL_INTERVAL_MS);
    }
  } catch (error) {
    outcome.failed += left.length;
    options.print(`FAILED   waiting for ${left.length} droplets to be gone: ${errorMessage(error)}`);
    return;
  }
  outcome.failed += left.length;
  left.forEach((droplet) => options.print(outcomeLine("FAILED", droplet, `still there ${timeout / 1000} s after its delete`)));
}
