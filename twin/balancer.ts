import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { HaproxyCheck, queryServerStates, renderHaproxyConfig, scaledCheck } from "./haproxy";
import type { TwinNode } from "./node";
import { PlanLoadBalancer } from "./plan";
import { SERVICE_PATH, pollWhileRunning, startProcess } from "./process";
import { BOOT_TIMEOUT_MS } from "./readiness";

/** One HAProxy standing in for one load balancer of the plan. */
export interface BalancerRuntime {
  readonly plan: PlanLoadBalancer;
  readonly address: string;
  readonly check: HaproxyCheck;
  readonly statsSocket: string;
  pid?: number;
}

/** The HAProxy for `lb` on `address`, its health check's timers multiplied by `timeScale`, its stats socket in `workDir`. */
export function balancerRuntime(lb: PlanLoadBalancer, address: string, timeScale: number, workDir: string): BalancerRuntime {
  // Named by the address, not the longer ID: HAProxy refuses a socket path over 97 characters.
  return { plan: lb, address, check: scaledCheck(lb, timeScale), statsSocket: join(workDir, `haproxy-${address}.sock`) };
}

/**
 * The load balancer's entry ports for what `node` serves: the rule that targets its client
 * port (there must be one) and the one that targets its monitor port, if any.
 */
export function entryPorts(lb: PlanLoadBalancer, node: TwinNode): { client: number; monitor?: number } {
  const rules = lb.forwardingRules;
  const client = rules.find((rule) => rule.targetPort === node.clientPort);
  if (client === undefined) {
    throw new Error(`no forwarding rule of ${lb.name} targets the client port ${node.clientPort}: rules target ${rules.map((rule) => rule.targetPort).join(", ")}`);
  }
  return { client: client.entryPort, monitor: rules.find((rule) => rule.targetPort === node.monitorPort)?.entryPort };
}

/** What {@link startLoadBalancer} needs besides the load balancer. */
export interface BalancerStart {
  readonly haproxy: string;
  readonly workDir: string;
  /** The nodes behind it: those that carry its droplet tag. */
  readonly servers: readonly TwinNode[];
  /** Called once HAProxy runs (lb.pid is set), before it reports the servers UP. */
  readonly started: () => void;
  readonly log: (line: string) => void;
}

/** Runs HAProxy for `lb` and waits until it reports every server in `waitFor` that it targets UP. */
export async function startLoadBalancer(lb: BalancerRuntime, waitFor: readonly TwinNode[], { haproxy: command, workDir, servers, started, log }: BalancerStart): Promise<void> {
  if (servers.length === 0) throw new Error(`no droplet carries the droplet_tag ${JSON.stringify(lb.plan.dropletTag)} of load balancer ${lb.plan.name}`);
  const configFile = join(workDir, `haproxy-${lb.plan.id}.cfg`);
  writeFileSync(configFile, renderHaproxyConfig(lb.plan, lb.address, servers, lb.check, lb.statsSocket));
  const logFile = join(workDir, `haproxy-${lb.plan.id}.log`);
  const haproxy = await startProcess({ command, args: ["-db", "-f", configFile], cwd: workDir, env: { PATH: SERVICE_PATH }, logFile });
  lb.pid = haproxy.pid;
  started();
  const expected = servers.filter((server) => waitFor.includes(server));
  const allUp = async (): Promise<boolean> => {
    const states = await queryServerStates(lb.statsSocket);
    return expected.every((server) => states[server.name] === "UP");
  };
  await pollWhileRunning(haproxy, logFile, allUp, BOOT_TIMEOUT_MS, `haproxy of ${lb.plan.name} to report ${expected.map((server) => server.name).join(", ")} UP`);
  log(`load balancer ${lb.plan.name}: haproxy pid ${haproxy.pid} on ${lb.address}, ${servers.length} servers`);
}
