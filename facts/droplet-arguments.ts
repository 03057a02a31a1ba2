/**
 * What the DigitalOcean provider does when a droplet argument changes, and what this stack does
 * about it: the one table that the droplets' lifecycle (constructs/nats-nodes.ts), the plan
 * review (plan/replacement.ts) and the roll (roll/plan.ts) all read.
 *
 * The rule: no `cdktf deploy` and no roll step may stop, resize or replace more than one droplet.
 * Every argument whose change powers a droplet off or replaces it is in the droplets'
 * `lifecycle.ignore_changes`, so a deploy never applies it to a running droplet (a new droplet
 * gets the new value), and `npm run roll` applies it by replacing one droplet at a time. An
 * argument that cannot change one droplet at a time is refused: ignored like the others, and a
 * postcondition fails every plan (deploy's and the roll's) while a droplet still has the old value.
 */

/** How the provider applies a change of the argument to an existing droplet. */
export type ProviderBehaviour =
  /** ForceNew in the schema: destroy and create. */
  | "replaces"
  /** ForceNew only in one direction (CustomizeDiff), in place in the other. */
  | "replaces when turned off"
  /** Updated in place by powering the droplet off; Terraform runs such updates for all droplets in parallel. */
  | "powers off"
  /** Updated in place on the running droplet, or kept in the state only. */
  | "in place";

/** What the stack does with a change of the argument. */
export type StackDecision =
  /** `cdktf deploy` applies it: it stops no droplet. */
  | "deploy"
  /** Ignored by deploy; `npm run roll` replaces one droplet at a time. */
  | "roll"
  /** Ignored by deploy, and a postcondition refuses every plan until the value is back. */
  | "refuse";

export interface DropletArgument {
  readonly provider: ProviderBehaviour;
  /** The provider's code path, for the reader who checks it. */
  readonly providerDetail: string;
  readonly decision: StackDecision;
  /** Why, and for a refused argument what to do instead. */
  readonly why: string;
  /** Optional and computed: leaving it unset keeps whatever the droplet has. */
  readonly computed?: boolean;
}

/** Where {@link DROPLET_ARGUMENTS} comes from. */
export const DROPLET_ARGUMENTS_SOURCE =
  "terraform-provider-digitalocean v2.71.0 (tag commit fa4b5bc), digitalocean/droplet/resource_droplet.go: the schema's ForceNew flags, " +
  "CustomizeDiff and resourceDigitalOceanDropletUpdate; read on 2026-12-06";

/**
 * Every droplet argument NatsNodes sets, plus the two it leaves unset on purpose (droplet_agent,
 * resize_disk), by Terraform name. A test fails when the construct sets an argument missing here.
 */
export const DROPLET_ARGUMENTS: Readonly<Record<string, DropletArgument>> = {
  image: { provider: "replaces", providerDetail: "ForceNew", decision: "roll", why: "a new image needs a new droplet" },
  region: {
    provider: "replaces",
    providerDetail: "ForceNew (Optional, Computed)",
    decision: "refuse",
    computed: true,
    why:
      "a region move needs a second cluster, not a roll: the volumes (and their JetStream data) and the load balancers cannot follow one droplet at a time, " +
      "and nodes in two regions share no private network; deploy a second stack in the new region, move the clients, then destroy this one",
  },
  size: {
    provider: "powers off",
    providerDetail: "Update: PowerOff, Resize(resize_disk), PowerOn",
    decision: "roll",
    why:
      "the roll replaces the droplet instead of resizing it: the same proven step as any other change (lame duck, the volume moves to the new droplet, " +
      "the readiness gate), and the new droplet's disk is the new size's, so a smaller size later still works (a resize with resize_disk grows the disk for good)",
  },
  ipv6: {
    provider: "replaces when turned off",
    providerDetail: "CustomizeDiff ForceNewIfChange (true → false); false → true: Update EnableIPv6, which needs OS configuration",
    decision: "roll",
    why: "turning it off replaces the droplet; a new droplet also configures it in the OS, which an in-place switch on does not",
  },
  ssh_keys: { provider: "replaces", providerDetail: "ForceNew", decision: "roll", why: "keys are installed at creation only" },
  user_data: { provider: "replaces", providerDetail: "ForceNew", decision: "roll", why: "cloud-init runs at creation only: a new version, template or setting needs a new droplet" },
  monitoring: { provider: "replaces", providerDetail: "ForceNew", decision: "roll", why: "the metrics agent is installed at creation only" },
  droplet_agent: {
    provider: "replaces",
    providerDetail: "ForceNew",
    decision: "roll",
    why: "not set (the provider's default); ignored all the same, so setting it later cannot replace every droplet at once",
  },
  vpc_uuid: {
    provider: "replaces",
    providerDetail: "ForceNew (Optional, Computed)",
    decision: "refuse",
    computed: true,
    why:
      "routes use private addresses: a node moved to another VPC alone cannot reach the others, so moving VPCs needs a second cluster, not a roll; " +
      "deploy a second stack in the new VPC, move the clients, then destroy this one",
  },
  name: { provider: "in place", providerDetail: "Update: Rename", decision: "deploy", why: "renamed while it runs" },
  tags: { provider: "in place", providerDetail: "Update: tag.SetTags", decision: "deploy", why: "tagged while it runs" },
  graceful_shutdown: { provider: "in place", providerDetail: "state only (read at delete)", decision: "deploy", why: "changes nothing on the droplet" },
  volume_ids: {
    provider: "in place",
    providerDetail: "Update: StorageActions Attach / detach, no power off",
    decision: "deploy",
    why: "changes only when a volume is replaced, which loses its data and is flagged by the plan review",
  },
  resize_disk: {
    provider: "in place",
    providerDetail: "state only; read by the size update",
    decision: "deploy",
    why: "not set (the provider's default, true): it matters only to an in-place resize, and the stack never resizes in place (size is rolled by replacement)",
  },
};

/** The arguments `cdktf deploy` leaves alone (lifecycle.ignore_changes), in table order. */
export const IGNORED_DROPLET_ARGUMENTS: readonly string[] = Object.entries(DROPLET_ARGUMENTS)
  .filter(([, argument]) => argument.decision !== "deploy")
  .map(([name]) => name);

/** The arguments no roll can apply: every plan fails while a droplet has another value. */
export const REFUSED_DROPLET_ARGUMENTS: readonly string[] = Object.entries(DROPLET_ARGUMENTS)
  .filter(([, argument]) => argument.decision === "refuse")
  .map(([name]) => name);
