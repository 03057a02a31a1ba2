import { DROPLET_ARGUMENTS, ProviderBehaviour } from "../facts/droplet-arguments";
import { Json } from "../helpers/tf-json";

/** Decides whether a change of one attribute forces Terraform to replace the resource. */
export type ForcesReplacement = (before: Json | undefined, after: Json | undefined) => boolean;

const always: ForcesReplacement = () => true;

/** The droplet's rules, from the table in facts/droplet-arguments.ts. */
const DROPLET_RULES: Readonly<Record<string, ForcesReplacement>> = Object.fromEntries(
  Object.entries(DROPLET_ARGUMENTS).flatMap(([name, argument]): [string, ForcesReplacement][] => {
    if (argument.provider === "replaces") return [[name, always]];
    // ipv6 can be turned on in place; turning it off replaces the droplet.
    if (argument.provider === "replaces when turned off") return [[name, (before, after) => before === true && after !== true]];
    return [];
  }),
);

/**
 * Attributes whose change forces replacement ("ForceNew"), per resource type, as the providers
 * pinned by this project define them (DigitalOcean 2.71.0, null 3.2.4, random 3.7.2). Any
 * attribute not listed is updated in place; notably a droplet's `size` (resized in place: the
 * droplet is powered off for the resize), `name` and `tags`, and every firewall attribute.
 */
export const REPLACEMENT_RULES: Readonly<Record<string, Readonly<Record<string, ForcesReplacement>>>> = {
  digitalocean_droplet: DROPLET_RULES,
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

/** What happens to one droplet when some of its arguments change. */
export interface DropletVerdict {
  /**
   * `deploy`: `cdktf deploy` applies it (see `effect`); `roll`: deploy leaves it and
   * `npm run roll` replaces the droplet, one at a time; `refused`: every plan fails.
   */
  readonly verdict: "deploy" | "roll" | "refused";
  /** What deploy does to the running droplet: the worst of the arguments it applies. */
  readonly effect: "replaces" | "powers off" | "in place" | "nothing";
  /** One sentence for the review, e.g. "changed by `cdktf deploy`: powers off (size)". */
  readonly text: string;
}

/** From worst to mildest: what a deploy that applies arguments of these behaviours does. */
const EFFECTS: readonly [ProviderBehaviour[], DropletVerdict["effect"]][] = [
  [["replaces", "replaces when turned off"], "replaces"],
  [["powers off"], "powers off"],
  [["in place"], "in place"],
];

/**
 * The verdict for one droplet whose arguments `changed` (Terraform names), when its
 * lifecycle.ignore_changes lists `ignored`; a pure function, for the plan review and for
 * anything that reads Terraform's own plan. An argument of a refused kind (region, vpc_uuid)
 * that the droplet ignores is refused: the stack's postcondition fails the plan. An argument the
 * table does not know is taken as updated in place (the provider's default without ForceNew);
 * ipv6 counts as replacing, as turning it off does, unless it is in `turnedOn` (a change known
 * to be in the direction the provider applies in place).
 */
export function dropletVerdict(changed: readonly string[], ignored: readonly string[] = [], turnedOn: readonly string[] = []): DropletVerdict {
  const list = (names: readonly string[]): string => names.join(", ");
  const refused = changed.filter((name) => ignored.includes(name) && DROPLET_ARGUMENTS[name]?.decision === "refuse");
  if (refused.length > 0) {
    return { verdict: "refused", effect: "nothing", text: `refused (${list(refused)}): ${DROPLET_ARGUMENTS[refused[0]].why}` };
  }
  const applied = changed.filter((name) => !ignored.includes(name));
  const rolled = changed.filter((name) => ignored.includes(name));
  const behaviour = (name: string): ProviderBehaviour => (turnedOn.includes(name) ? "in place" : (DROPLET_ARGUMENTS[name]?.provider ?? "in place"));
  const worst = EFFECTS.find(([behaviours]) => applied.some((name) => behaviours.includes(behaviour(name))));
  const effect = worst?.[1] ?? "nothing";
  const deployText = worst === undefined ? "" : `changed by \`cdktf deploy\`: ${effect} (${list(applied.filter((name) => worst[0].includes(behaviour(name))))})`;
  if (rolled.length === 0) return { verdict: "deploy", effect, text: deployText };
  const rollText = `left to \`npm run roll\` (${list(rolled)}): deploy keeps the running droplet`;
  return { verdict: effect === "replaces" || effect === "powers off" ? "deploy" : "roll", effect, text: deployText === "" ? rollText : `${deployText}; ${rollText}` };
}
