import { sleep } from "../helpers/retry";

/** One node of the stack, as the roll sees it. */
export interface RollNode {
  /** Droplet name, e.g. "nats-2". */
  readonly name: string;
  /** Terraform resource address, e.g. "digitalocean_droplet.cluster_nodes_node-2_1A2B3C4D". */
  readonly address: string;
  /** Node 1: the seed the others route to. */
  readonly seed: boolean;
}

/** A node whose running droplet differs from the desired plan. */
export interface PendingNode extends RollNode {
  /** The droplet arguments that differ, e.g. ["size", "user_data"]. */
  readonly differences: readonly string[];
}

/** What a roll would do: enough for --dry-run. */
export interface RollView {
  /** Every node of the desired plan, in node order. */
  readonly nodes: readonly RollNode[];
  /** How one replacement is done, for --dry-run (e.g. the terraform commands). */
  describeReplace(node: RollNode): string;
  /** What is checked once before the first step, for --dry-run; undefined when nothing is. */
  describeCheck(): string | undefined;
  /** The nodes whose running droplet differs from the desired plan. */
  pending(): Promise<PendingNode[]>;
}

/** What the roll drives: the real stack through Terraform, or the twin. */
export interface RollTarget extends RollView {
  /** What is not healthy now, one line per problem, e.g. "nats-3 (not running)"; empty when all is well. */
  unhealthy(): Promise<string[]>;
  /** Refuses (RollRefused) when anything but the rolled droplets would change. */
  refuseOtherChanges(): Promise<void>;
  /** Lame duck and replace one node; resolves once its replacement runs. */
  replace(node: RollNode): Promise<void>;
  /** Resolves once `node` is healthy, the mesh is whole and the load balancer has it UP. */
  ready(node: RollNode): Promise<void>;
}

/** Options of {@link roll}. */
export interface RollOptions {
  /** Prints the steps, changes nothing. */
  readonly dryRun?: boolean;
  /** Rolls even when another node is unhealthy before a step. */
  readonly force?: boolean;
  /** Pause after a node is ready, before the next one. @default 0 */
  readonly settleMs?: number;
  /** Receives progress lines. */
  readonly log: (line: string) => void;
  /** Set when the user interrupts: the roll stops before the next node. */
  readonly signal?: AbortSignal;
  /** How to run the same roll again, for messages. */
  readonly resumeHint: string;
}

/** What a roll did. */
export interface RollResult {
  /** Names of the nodes replaced, in order. */
  readonly replaced: readonly string[];
  /** Milliseconds each replacement took, from lame duck to ready. */
  readonly durationsMs: readonly number[];
}

/** A roll that must not start or cannot go on; the message says why and what to do. */
export class RollRefused extends Error {}

/**
 * The safe order: every other node first, node 1 (the seed) last, so that a roll that stops
 * halfway never leaves the node the others route to half done.
 */
export function rollOrder<T extends RollNode>(nodes: readonly T[]): T[] {
  return [...nodes.filter((node) => !node.seed), ...nodes.filter((node) => node.seed)];
}

/**
 * The nodes to replace, in {@link rollOrder}, with the steps logged when `dryRun`. Refuses a
 * stack of fewer than 2 nodes.
 */
export async function planRoll(view: RollView, options: Pick<RollOptions, "dryRun" | "settleMs" | "log">): Promise<PendingNode[]> {
  if (view.nodes.length < 2) {
    throw new RollRefused(
      `the stack has ${view.nodes.length} node: replacing it one at a time still takes an outage; ` +
        "run terraform apply -replace=<droplet address> in cdktf.out/stacks/<stack> when an outage is acceptable",
    );
  }
  const pending = rollOrder(await view.pending());
  if (pending.length === 0) {
    options.log("every node already matches the plan: nothing to roll");
    return [];
  }
  options.log(`${pending.length} of ${view.nodes.length} nodes differ from the plan: ${pending.map((node) => `${node.name} (${node.differences.join(", ")})`).join(", ")}`);
  if (options.dryRun) {
    const check = view.describeCheck();
    if (check !== undefined) options.log(`before the first step: ${check}`);
    pending.forEach((node, i) =>
      options.log(`step ${i + 1}: ${node.name}${node.seed ? " (seed)" : ""}: ${view.describeReplace(node)}; wait until healthy, the mesh is whole and the load balancer has it UP; settle ${(options.settleMs ?? 0) / 1000} s`),
    );
  }
  return pending;
}

/**
 * Replaces the nodes whose droplet differs from the plan, one at a time in {@link rollOrder}:
 * first it refuses to start while anything else would change, then before each step every node must be healthy (unless `force`), then the node goes into lame
 * duck mode and is replaced, and the next starts only once it is ready and has settled. Stops
 * at the first failure with a RollRefused that says how to resume; a new run resumes with
 * the nodes that still differ.
 */
export async function roll(target: RollTarget, options: RollOptions): Promise<RollResult> {
  const pending = await planRoll(target, options);
  if (options.dryRun || pending.length === 0) return { replaced: [], durationsMs: [] };
  await target.refuseOtherChanges();
  const replaced: string[] = [];
  const durationsMs: number[] = [];
  for (const node of pending) {
    if (options.signal?.aborted) throw new RollRefused(`interrupted before ${node.name}: ${replaced.length} nodes replaced; run ${options.resumeHint} to resume`);
    const unhealthy = await target.unhealthy();
    if (unhealthy.length > 0 && !options.force) {
      throw new RollRefused(
        `not replacing ${node.name}: ${unhealthy.join(", ")} ${unhealthy.length === 1 ? "is" : "are"} not healthy, and replacing another node would leave the cluster ` +
          `short of two; fix ${unhealthy.length === 1 ? "it" : "them"} first, or run ${options.resumeHint} --force`,
      );
    }
    const started = Date.now();
    options.log(`${node.name}: lame duck and replace (${target.describeReplace(node)})`);
    try {
      await target.replace(node);
      await target.ready(node);
    } catch (error) {
      // A cause of several lines (Terraform's error and its detail) keeps its detail below the resume hint.
      const [cause, ...detail] = (error as Error).message.split("\n");
      throw new RollRefused(
        `roll stopped at ${node.name}: ${cause}; ${replaced.length} nodes replaced before it. Fix the cause and run ${options.resumeHint} to resume${detail.map((line) => `\n${line}`).join("")}`,
      );
    }
    replaced.push(node.name);
    durationsMs.push(Date.now() - started);
    options.log(`${node.name}: replaced and ready in ${Date.now() - started} ms`);
    if (options.settleMs) await sleep(options.settleMs);
  }
  return { replaced, durationsMs };
}
