import { errorMessage } from "../verify/errors";
import type { DigitalOceanClient } from "./digitalocean";

/** What a sweep can delete, in the order it deletes them (a volume only goes once its droplet is gone). */
export const KINDS = ["load balancer", "firewall", "droplet", "volume"] as const;
export type Kind = (typeof KINDS)[number];

/** One resource that carries the tag. */
export interface Tagged {
  readonly kind: Kind;
  readonly id: string;
  readonly name: string;
  /** Region slug; firewalls have none (they are global). */
  readonly region?: string;
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
}

interface Droplet { id: number; name: string; region?: { slug?: string }; tags?: string[] }
interface LoadBalancer { id: string; name: string; region?: { slug?: string }; tag?: string }
interface Firewall { id: string; name: string; tags?: string[] }
interface Volume { id: string; name: string; region?: { slug?: string }; tags?: string[] }

/** API path of one resource, for DELETE. */
const PATHS: Record<Kind, string> = {
  "load balancer": "/v2/load_balancers",
  firewall: "/v2/firewalls",
  droplet: "/v2/droplets",
  volume: "/v2/volumes",
};

/**
 * Finds what carries `tag`: droplets tagged with it, load balancers that target it, firewalls
 * that cover it, volumes tagged with it. With `region`, a firewall (global) is kept when
 * droplets outside the region carry the tag, so that sweeping one region never strips another's
 * firewall. Returns the resources and a note for each kept firewall.
 */
export async function findTagged(api: DigitalOceanClient, tag: string, region?: string): Promise<{ found: Tagged[]; notes: string[] }> {
  const [droplets, balancers, firewalls, volumes] = await Promise.all([
    api.list<Droplet>("/v2/droplets", "droplets", { tag_name: tag }),
    api.list<LoadBalancer>("/v2/load_balancers", "load_balancers"),
    api.list<Firewall>("/v2/firewalls", "firewalls"),
    api.list<Volume>("/v2/volumes", "volumes"),
  ]);
  const inRegion = (slug: string | undefined): boolean => region === undefined || slug === region;
  const elsewhere = droplets.filter((droplet) => !inRegion(droplet.region?.slug));
  const notes: string[] = [];
  const found: Tagged[] = [
    ...balancers.filter((lb) => lb.tag === tag && inRegion(lb.region?.slug)).map((lb) => ({ kind: "load balancer" as const, id: lb.id, name: lb.name, region: lb.region?.slug })),
    ...firewalls.filter((fw) => fw.tags?.includes(tag)).filter((fw) => {
      if (elsewhere.length === 0) return true;
      notes.push(`kept firewall ${fw.name} (${fw.id}): it also covers ${elsewhere.map((d) => `${d.name} in ${d.region?.slug ?? "?"}`).join(", ")}`);
      return false;
    }).map((fw) => ({ kind: "firewall" as const, id: fw.id, name: fw.name })),
    ...droplets.filter((d) => d.tags === undefined || d.tags.includes(tag)).filter((d) => inRegion(d.region?.slug)).map((d) => ({ kind: "droplet" as const, id: String(d.id), name: d.name, region: d.region?.slug })),
    ...volumes.filter((v) => v.tags?.includes(tag) && inRegion(v.region?.slug)).map((v) => ({ kind: "volume" as const, id: v.id, name: v.name, region: v.region?.slug })),
  ];
  return { found, notes };
}

/** One aligned line per resource. */
function describe(resource: Tagged): string {
  return `${resource.kind.padEnd(13)} ${resource.name} (${resource.id})${resource.region === undefined ? "" : ` in ${resource.region}`}`;
}

/**
 * Lists what carries the tag and, with `yes`, deletes it (load balancers, firewalls, droplets,
 * then volumes), going on past a failed delete. Returns the exit status: 0 when everything
 * found was deleted or only listed, 1 when a delete failed.
 */
export async function sweep(api: DigitalOceanClient, options: SweepOptions): Promise<number> {
  const where = options.region === undefined ? "" : ` in ${options.region}`;
  const { found, notes } = await findTagged(api, options.tag, options.region);
  notes.forEach((note) => options.print(note));
  if (found.length === 0) {
    options.print(`nothing carries tag ${options.tag}${where}`);
    return 0;
  }
  if (!options.yes) {
    options.print(`${found.length} resources carry tag ${options.tag}${where}:`);
    found.forEach((resource) => options.print(`  ${describe(resource)}`));
    options.print("nothing deleted: run again with --yes to delete them");
    return 0;
  }
  let failed = 0;
  for (const resource of found) {
    try {
      await api.remove(`${PATHS[resource.kind]}/${encodeURIComponent(resource.id)}`);
      options.print(`deleted ${describe(resource)}`);
    } catch (error) {
      failed++;
      options.print(`FAILED  ${describe(resource)}: ${errorMessage(error)}`);
    }
  }
  if (failed > 0) {
    options.print(`${failed} of ${found.length} deletes failed; run the sweep again (a volume can be deleted once its droplet is gone)`);
    return 1;
  }
  options.print(`deleted ${found.length} resources carrying tag ${options.tag}${where}`);
  return 0;
}
