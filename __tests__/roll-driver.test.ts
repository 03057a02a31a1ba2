import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PendingNode, RollNode, RollRefused, RollTarget, roll, rollOrder } from "../roll/driver";
import { readRollPlan, rolledDifferences } from "../roll/plan";
import { DEFAULT_STACK, TUTORIAL_STACK } from "../constructs/stacks";
import { synthJson, testStack } from "./helpers";

const NODES: RollNode[] = [
  { name: "nats-1", address: "digitalocean_droplet.n1", seed: true },
  { name: "nats-2", address: "digitalocean_droplet.n2", seed: false },
  { name: "nats-3", address: "digitalocean_droplet.n3", seed: false },
];

/** A target that records what the driver does to it. */
class FakeTarget implements RollTarget {
  public readonly calls: string[] = [];
  public unhealthyNodes: string[] = [];
  public failOn?: string;
  /** Set: changes besides the roll are pending, and the check refuses with this. */
  public pendingElsewhere?: string;

  constructor(
    public readonly nodes: readonly RollNode[] = NODES,
    private readonly differing: readonly string[] = NODES.map((node) => node.name),
  ) {}

  describeReplace(node: RollNode): string {
    return `replace ${node.address}`;
  }
  describeCheck(): string {
    return "check that nothing else is pending";
  }
  async refuseOtherChanges(): Promise<void> {
    this.calls.push("check");
    if (this.pendingElsewhere !== undefined) throw new RollRefused(this.pendingElsewhere);
  }
  async pending(): Promise<PendingNode[]> {
    return this.nodes.filter((node) => this.differing.includes(node.name)).map((node) => ({ ...node, differences: ["user_data"] }));
  }
  async unhealthy(): Promise<string[]> {
    this.calls.push("health");
    return this.unhealthyNodes;
  }
  async replace(node: RollNode): Promise<void> {
    this.calls.push(`replace ${node.name}`);
    if (node.name === this.failOn) throw new Error("droplet create failed");
  }
  async ready(node: RollNode): Promise<void> {
    this.calls.push(`ready ${node.name}`);
  }
}

const quiet = { log: (): void => undefined, resumeHint: "npm run roll -- --stack nats" };

describe("roll", () => {
  test("replaces every differing node alone, the seed last, checking health before each", async () => {
    const target = new FakeTarget();
    const result = await roll(target, quiet);
    expect(result.replaced).toEqual(["nats-2", "nats-3", "nats-1"]);
    expect(target.calls).toEqual(["check", "health", "replace nats-2", "ready nats-2", "health", "replace nats-3", "ready nats-3", "health", "replace nats-1", "ready nats-1"]);
  });

  test("refuses to start while other changes are pending, before touching any node", async () => {
    const target = new FakeTarget();
    target.pendingElsewhere = "not starting: 1 change(s) pending besides the roll";
    await expect(roll(target, quiet)).rejects.toThrow(/^not starting: 1 change\(s\) pending besides the roll$/);
    expect(target.calls).toEqual(["check"]);
  });

  test("replaces only the nodes that still differ, so a second run resumes", async () => {
    const target = new FakeTarget(NODES, ["nats-1", "nats-3"]);
    expect((await roll(target, quiet)).replaced).toEqual(["nats-3", "nats-1"]);
    expect((await roll(new FakeTarget(NODES, []), quiet)).replaced).toEqual([]);
  });

  test("--dry-run prints one step per node and changes nothing", async () => {
    const lines: string[] = [];
    const target = new FakeTarget();
    await roll(target, { ...quiet, dryRun: true, settleMs: 5000, log: (line) => lines.push(line) });
    expect(target.calls).toEqual([]);
    expect(lines).toEqual([
      "3 of 3 nodes differ from the plan: nats-2 (user_data), nats-3 (user_data), nats-1 (user_data)",
      "before the first step: check that nothing else is pending",
      "step 1: nats-2: replace digitalocean_droplet.n2; wait until healthy, the mesh is whole and the load balancer has it UP; settle 5 s",
      "step 2: nats-3: replace digitalocean_droplet.n3; wait until healthy, the mesh is whole and the load balancer has it UP; settle 5 s",
      "step 3: nats-1 (seed): replace digitalocean_droplet.n1; wait until healthy, the mesh is whole and the load balancer has it UP; settle 5 s",
    ]);
  });

  test("refuses while another node is unhealthy, unless forced", async () => {
    const target = new FakeTarget();
    target.unhealthyNodes = ["nats-3 (health check fails)"];
    await expect(roll(target, quiet)).rejects.toThrow(
      /^not replacing nats-2: nats-3 \(health check fails\) is not healthy, .* fix it first, or run npm run roll -- --stack nats --force$/,
    );
    expect(target.calls).toEqual(["check", "health"]);
    expect((await roll(target, { ...quiet, force: true })).replaced).toEqual(["nats-2", "nats-3", "nats-1"]);
  });

  test("refuses a stack of fewer than 2 nodes: it must take an outage", async () => {
    const target = new FakeTarget([NODES[0]]);
    await expect(roll(target, quiet)).rejects.toThrow(/^the stack has 1 node: replacing it one at a time still takes an outage/);
    expect(target.calls).toEqual([]);
  });

  test("stops at the first failure and says how to resume", async () => {
    const target = new FakeTarget();
    target.failOn = "nats-3";
    await expect(roll(target, quiet)).rejects.toThrow(
      "roll stopped at nats-3: droplet create failed; 1 nodes replaced before it. Fix the cause and run npm run roll -- --stack nats to resume",
    );
    expect(target.calls).not.toContain("replace nats-1");
  });

  test("a cause of several lines (Terraform's error and its detail) keeps its detail below the resume hint", async () => {
    const target = new FakeTarget();
    target.replace = async () => {
      throw new Error('terraform apply exited 1: Error: Backend initialization required, please run "terraform init"\n  Reason: Initial configuration');
    };
    await expect(roll(target, quiet)).rejects.toThrow(
      'roll stopped at nats-2: terraform apply exited 1: Error: Backend initialization required, please run "terraform init"; 0 nodes replaced before it. ' +
        "Fix the cause and run npm run roll -- --stack nats to resume\n  Reason: Initial configuration",
    );
  });

  test("an interrupt stops before the next node", async () => {
    const interrupt = new AbortController();
    const target = new FakeTarget();
    const replace = target.replace.bind(target);
    target.replace = async (node) => {
      await replace(node);
      interrupt.abort();
    };
    await expect(roll(target, { ...quiet, signal: interrupt.signal })).rejects.toThrow(/^interrupted before nats-3: 1 nodes replaced; run npm run roll -- --stack nats to resume$/);
    expect(target.calls.filter((call) => call.startsWith("replace"))).toEqual(["replace nats-2"]);
  });

  test("rollOrder puts the seed last", () => {
    expect(rollOrder(NODES).map((node) => node.name)).toEqual(["nats-2", "nats-3", "nats-1"]);
  });
});

describe("readRollPlan", () => {
  const write = (json: unknown): string => {
    const file = join(mkdtempSync(join(tmpdir(), "roll-plan-")), "cdk.tf.json");
    writeFileSync(file, JSON.stringify(json));
    return file;
  };

  test("reads the droplets in node order, node 1 the seed", () => {
    const plan = readRollPlan(write(synthJson(testStack(DEFAULT_STACK, "nats"))));
    expect(plan.nodes.map((node) => [node.name, node.seed])).toEqual([["nats-1", true], ["nats-2", false], ["nats-3", false]]);
    expect(plan.nodes[0].address).toMatch(/^digitalocean_droplet\.cluster_nodes_node-1_\w+$/);
  });

  test("refuses a plan whose nodes route to node 1's own address (replacing it would replace them)", () => {
    const file = write(synthJson(testStack(TUTORIAL_STACK, "nats-tutorial")));
    expect(() => readRollPlan(file)).toThrow(RollRefused);
    expect(() => readRollPlan(file)).toThrow(/^nats-droplet-2 refers to nats-droplet-1 in its settings .* deploy with the seed load balancer/);
  });
});

describe("rolledDifferences", () => {
  const desired = readRollPlan(
    ((): string => {
      const file = join(mkdtempSync(join(tmpdir(), "roll-plan-")), "cdk.tf.json");
      writeFileSync(file, JSON.stringify(synthJson(testStack(DEFAULT_STACK, "nats"))));
      return file;
    })(),
  ).droplets;
  const node2 = [...desired.values()][1];
  const running = { ...node2.body, vpc_uuid: "c1a5e5d0-1b2c-4d3e-8f90-123456789abc" };

  test("a new size is rolled like a new image; an unset vpc keeps the droplet's own", () => {
    expect(rolledDifferences(running, node2)).toEqual([]);
    expect(rolledDifferences({ ...running, size: "s-2vcpu-4gb" }, node2)).toEqual(["size"]);
    expect(rolledDifferences({ ...running, size: "s-2vcpu-4gb", image: "debian-12-x64", monitoring: false }, node2)).toEqual(["image", "size", "monitoring"]);
  });

  test("a region move is refused with what to do, before anything is changed", () => {
    expect(() => rolledDifferences({ ...running, region: "sfo3" }, node2)).toThrow(RollRefused);
    expect(() => rolledDifferences({ ...running, region: "sfo3" }, node2)).toThrow(
      /^nats-2 has region "sfo3", the plan says "nyc3": a region move needs a second cluster, not a roll: .* deploy a second stack in the new region, move the clients, then destroy this one; nothing was changed$/,
    );
  });
});
