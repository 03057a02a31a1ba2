import type { Twin } from "../twin/twin";
import { isHealthy } from "../twin/monitor";
import { poll } from "../twin/process";
import { Json, Resource } from "../helpers/tf-json";
import { PendingNode, RollNode, RollTarget, RollView } from "./driver";
import { RollPlan, rolledDifferences } from "./plan";

/** How long one node may take to be healthy, meshed and UP in the twin. */
const READY_TIMEOUT_MS = 60_000;

/** What a twin roll from `running` to `desired` (two syntheses of one stack) would replace. */
export class TwinPlanView implements RollView {
  public readonly nodes: readonly RollNode[];
  /** What each node runs now: droplet address → the body of the plan it was started from. */
  protected readonly running = new Map<string, Readonly<Record<string, Json | undefined>>>();

  constructor(
    running: RollPlan,
    protected readonly desired: RollPlan,
  ) {
    this.nodes = desired.nodes;
    for (const [address, droplet] of running.droplets) this.running.set(address, droplet.body);
  }

  public describeReplace(node: RollNode): string {
    return `stop ${node.name}'s nats-server as systemd does (lame duck), start ${this.desired.file}'s ${node.name} on the same address with its volume`;
  }

  /** The twin runs only the droplets: nothing else can be pending. */
  public describeCheck(): undefined {
    return undefined;
  }

  public async pending(): Promise<PendingNode[]> {
    return this.nodes.flatMap((node) => {
      const differences = rolledDifferences(this.running.get(node.address) ?? {}, this.droplet(node));
      return differences.length > 0 ? [{ ...node, differences }] : [];
    });
  }

  protected droplet(node: RollNode): Resource {
    const droplet = this.desired.droplets.get(node.address);
    if (droplet === undefined) throw new Error(`${this.desired.file} has no droplet ${node.address}`);
    return droplet;
  }
}

/**
 * The twin as a roll target: replacing a node stops its nats-server as systemd would (lame
 * duck) and starts the desired plan's command line with its nats-server version on the same
 * address.
 */
export class TwinTarget extends TwinPlanView implements RollTarget {
  constructor(
    private readonly twin: Twin,
    running: RollPlan,
    desired: RollPlan,
  ) {
    super(running, desired);
  }

  public async unhealthy(): Promise<string[]> {
    const states = await this.twin.serverState();
    const problems = await Promise.all(
      this.twin.nodes.map(async (node) => {
        if (node.pid === undefined) return `${node.name} (not running)`;
        if (!(await isHealthy(node.address, node.clientPort, node.monitorPort).catch(() => false))) return `${node.name} (health check fails)`;
        return states[node.name] === "UP" ? undefined : `${node.name} (load balancer: ${states[node.name] ?? "unknown"})`;
      }),
    );
    return problems.filter((problem): problem is string => problem !== undefined);
  }

  public async refuseOtherChanges(): Promise<void> {
    // The twin boots droplets and load balancers from the plan it is given: nothing else to apply.
  }

  /**
   * A replaced droplet and a resized one look the same here: the node stops in lame duck mode and
   * starts again on its address with its volume, from the desired plan (whose user_data carries
   * what the new size changes, such as max_memory_store).
   */
  public async replace(node: RollNode): Promise<void> {
    await this.twin.replaceNode(this.indexOf(node), this.desired.file);
    this.running.set(node.address, this.droplet(node).body);
  }

  public async ready(node: RollNode): Promise<void> {
    await poll(
      async () => (await this.twin.meshWhole()) && (await this.twin.serverState())[node.name] === "UP",
      READY_TIMEOUT_MS,
      100,
      `${node.name} to be UP behind the load balancer with the mesh whole`,
    );
  }

  private indexOf(node: RollNode): number {
    const index = this.twin.nodes.findIndex((candidate) => candidate.name === node.name);
    if (index < 0) throw new Error(`the twin runs no node ${node.name}`);
    return index;
  }
}
