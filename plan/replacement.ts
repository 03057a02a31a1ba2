import { Json } from "./tf-json";

/** Decides whether a change of one attribute forces Terraform to replace the resource. */
export type ForcesReplacement = (before: Json | undefined, after: Json | undefined) => boolean;

const always: ForcesReplacement = () => true;

/**
 * Attributes whose change forces replacement ("ForceNew"), per resource type, as the providers
 * pinned by this project define them (DigitalOcean 2.71.0, null 3.2.4, random 3.7.2). Any
 * attribute not listed is updated in place; notably a droplet's `size` (resized in place: the
 * droplet is powered off for the resize), `name` and `tags`, and every firewall attribute.
 */
export const REPLACEMENT_RULES: Readonly<Record<string, Readonly<Record<string, ForcesReplacement>>>> = {
  digitalocean_droplet: {
    image: always,
    region: always,
    user_data: always,
    ssh_keys: always,
    monitoring: always,
    droplet_agent: always,
    vpc_uuid: always,
    // ipv6 can be turned on in place; turning it off replaces the droplet.
    ipv6: (before, after) => before === true && after !== true,
  },
  digitalocean_loadbalancer: { region: always, vpc_uuid: always, type: always, network: always },
  digitalocean_tag: { name: always },
  // size grows in place (a smaller size is refused, see plan/volumes.ts).
  digitalocean_volume: { region: always, name: always, description: always, snapshot_id: always, initial_filesystem_type: always, initial_filesystem_label: always },
  digitalocean_vpc: { region: always, ip_range: always },
  null_resource: { triggers: always },
};

/** Resource types whose every argument forces replacement (the random provider's resources). */
const REPLACED_ON_ANY_CHANGE = /^random_/;

/** True when changing `attribute` of a `type` resource from `before` to `after` replaces it. */
export function forcesReplacement(type: string, attribute: string, before: Json | undefined, after: Json | undefined): boolean {
  if (REPLACED_ON_ANY_CHANGE.test(type)) {
    return true;
  }
  const rule = REPLACEMENT_RULES[type]?.[attribute];
  return rule !== undefined && rule(before, after);
}

/** True when `attribute` can force replacement of a `type` resource (used when its new value is unknown until apply). */
export function isForceNew(type: string, attribute: string): boolean {
  return REPLACED_ON_ANY_CHANGE.test(type) || REPLACEMENT_RULES[type]?.[attribute] !== undefined;
}
