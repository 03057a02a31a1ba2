import { addressesOf, dependenciesOf } from "./references";
import { DROPLET } from "./nodes";
import { Plan } from "../helpers/tf-json";

/** The resource dependency graph Terraform would build from a synthesized stack. */
export interface DependencyGraph {
  /** address → addresses it waits for (references and `depends_on`). */
  readonly dependsOn: ReadonlyMap<string, readonly string[]>;
}

/** Where each resource lands when Terraform creates everything with unlimited parallelism. */
export interface DeployOrder {
  /** address → wave, 1 for resources that wait for nothing. */
  readonly wave: ReadonlyMap<string, number>;
  /** Number of waves on the longest chain: the critical path, counted in resources. */
  readonly depth: number;
  /** One longest chain, first resource first. */
  readonly criticalPath: readonly string[];
}

/** Builds the dependency graph of a plan from `${type.name...}` references and `depends_on`. */
export function dependencyGraph(plan: Plan): DependencyGraph {
  const known = addressesOf(plan);
  const dependsOn = new Map<string, string[]>();
  for (const resource of plan.resources) {
    dependsOn.set(resource.address, dependenciesOf(resource, known));
  }
  return { dependsOn };
}

/** Assigns every resource to a wave (1 + the latest wave it waits for); throws on a cycle. */
export function deployOrder(graph: DependencyGraph): DeployOrder {
  const wave = new Map<string, number>();
  const via = new Map<string, string>();
  const visit = (address: string, trail: readonly string[]): number => {
    const known = wave.get(address);
    if (known !== undefined) {
      return known;
    }
    if (trail.includes(address)) {
      throw new Error(`dependency cycle: ${[...trail, address].join(" → ")}`);
    }
    let level = 1;
    for (const dependency of graph.dependsOn.get(address) ?? []) {
      const candidate = visit(dependency, [...trail, address]) + 1;
      if (candidate > level) {
        level = candidate;
        via.set(address, dependency);
      }
    }
    wave.set(address, level);
    return level;
  };
  for (const address of graph.dependsOn.keys()) {
    visit(address, []);
  }
  return { wave, depth: Math.max(0, ...wave.values()), criticalPath: longestChain(wave, via) };
}

/** Every address `from` waits for, directly or through others. */
export function upstreamOf(graph: DependencyGraph, from: string): Set<string> {
  const seen = new Set<string>();
  const pending = [...(graph.dependsOn.get(from) ?? [])];
  while (pending.length > 0) {
    const next = pending.pop() as string;
    if (!seen.has(next)) {
      seen.add(next);
      pending.push(...(graph.dependsOn.get(next) ?? []));
    }
  }
  return seen;
}

/** The distinct waves the resources of one type land in, ascending. */
export function wavesOfType(order: DeployOrder, type: string): number[] {
  const waves = [...order.wave].filter(([address]) => address.startsWith(`${type}.`)).map(([, level]) => level);
  return [...new Set(waves)].sort((a, b) => a - b);
}

function longestChain(wave: ReadonlyMap<string, number>, via: ReadonlyMap<string, string>): string[] {
  let last: string | undefined;
  for (const [address, level] of wave) {
    if (last === undefined || level > (wave.get(last) as number)) {
      last = address;
    }
  }
  const chain: string[] = [];
  for (let at = last; at !== undefined; at = via.get(at)) {
    chain.unshift(at);
  }
  return chain;
}

/** Resource types that must come up without waiting for any droplet. */
export const INDEPENDENT_OF_DROPLETS = ["digitalocean_loadbalancer", "digitalocean_firewall"] as const;

/** The deploy-time shape of a plan: what a reviewer and the benchmark check. */
export interface DeployFacts {
  /** Longest chain of resources Terraform must create one after another. */
  readonly depth: number;
  readonly criticalPath: readonly string[];
  /** Distinct waves droplets are created in (2 = seed, then the rest). */
  readonly dropletWaves: number;
  /** Load balancers and firewalls that wait for a droplet, directly or not (should be none). */
  readonly waitingForDroplets: readonly string[];
}

/** Computes {@link DeployFacts} from a plan. */
export function deployFacts(plan: Plan): DeployFacts {
  const graph = dependencyGraph(plan);
  const order = deployOrder(graph);
  const waiting = plan.resources
    .filter((resource) => (INDEPENDENT_OF_DROPLETS as readonly string[]).includes(resource.type))
    .filter((resource) => [...upstreamOf(graph, resource.address)].some((up) => up.startsWith(`${DROPLET}.`)))
    .map((resource) => resource.address);
  return {
    depth: order.depth,
    criticalPath: order.criticalPath,
    dropletWaves: wavesOfType(order, DROPLET).length,
    waitingForDroplets: waiting,
  };
}
