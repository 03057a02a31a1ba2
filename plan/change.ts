import type { DropletVerdict } from "./replacement";

/**
 * What Terraform would do to one resource, going from one synthesis to the next. `roll`: a
 * droplet change that the plan's lifecycle.ignore_changes leaves to `npm run roll` (cdktf deploy
 * keeps the droplet); `refuse`: a droplet change that no plan accepts (see dropletVerdict).
 */
export type Action = "add" | "remove" | "replace" | "refuse" | "roll" | "update";

/** One resource that differs between two syntheses. Identity is `<type>.<logical name>`. */
export interface ResourceChange {
  readonly address: string;
  readonly type: string;
  /** The resource's `name` attribute (e.g. the droplet name), or its logical name. */
  readonly label: string;
  readonly action: Action;
  /** Why, one line per attribute. */
  readonly reasons: readonly string[];
  /** The names of the changed attributes, direct or induced. */
  readonly arguments: readonly string[];
  /** For a changed droplet: what deploy, the roll or the plan's postcondition do with it. */
  readonly verdict?: DropletVerdict;
}
