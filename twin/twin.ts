import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_ADDRESS_BASE, assignAddresses } from "./addresses";
import { BalancerRuntime, balancerRuntime, entryPorts, startLoadBalancer } from "./balancer";
import { References, assertSecretVariables, clientCredentials, secretFor, substituteReferences, validateCloudConfig } from "./cloud-config";
import { HaproxyCheck, queryServerStates } from "./haproxy";
import { isHealthy } from "./monitor";
import { freshStackFile } from "../plan/synth";
import type { Credentials } from "../verify/types";
import { ensureNatsServer, minorOf } from "./nats-binary";
import { NodeRuntime, TwinNode, materialiseNode } from "./node";
import { Plan, PlanDroplet, PlanLoadBalancer, readPlan } from "./plan";
import { BOOT_TIMEOUT_MS, meshWhole, waitForJetStream, waitForMesh } from "./readiness";
import { clearManifest, RecordedProcess, recordProcess, identify, stopLeftovers, wake, WORK_DIR_PREFIX, writeManifest } from "./leftovers";
import { clientTls, issueTls } from "./tls";
import { assertPortFree, findExecutable, isAlive, pollWhileRunning, startProcess, stopProcess } from "./process";

/** Options of {@link bootTwin}. */
export interface TwinOptions {
  /** @default "nats-tutorial" */
  stack?: string;
  /** A synthesized cdk.tf.json to boot instead of the stack's. */
  planFile?: string;
  /** The load balancer's address; node i (1-based) gets the last octet + i. @default "127.0.0.10" */
  addressBase?: string;
  /** Multiplies the health check's interval and timeout. @default 1 */
  timeScale?: number;
  /** random_password resource id → value; wins over NATS_TWIN_SECRET_* and generated values. */
  secrets?: Record<string, string>;
  /** Receives progress lines. @default - silent */
  log?: (line: string) => void;
  /**
   * Runs a nats-server of another major.minor than the plan installs (NATS_TWIN_SERVER's, or
   * PATH's when none can be fetched) instead of refusing to boot.
   * @default false - the twin proves the plan only on the version the droplets install
   */
  allowVersionMismatch?: boolean;
}

/** A booted twin: nats-server per droplet plus HAProxy for the load balancer, on loopback. */
export interface Twin {
  lbAddress: string;
  /** In node order; index 0 is the seed. */
  nodes: TwinNode[];
  /** The load balancer's entry port for NATS clients. */
  clientPort: number;
  /** The load balancer's entry port for the monitoring endpoint, when a rule publishes it. */
  publishedMonitorPort?: number;
  /** The health check HAProxy runs, timers scaled. */
  healthCheck: { protocol: string; port: number; path?: string; intervalMs: number; timeoutMs: number; rise: number; fall: number };
  /** The nodes run JetStream (and the twin waited for its meta leader at boot). */
  jetstream: boolean;
  /** Client credentials from the nodes' nats-server.conf, as substituted, and the CA when the plan has one. */
  credentials: Credentials;
  /** The CA certificate's file while the twin runs, when the plan has TLS. */
  caFile?: string;
  /** The keys and certificates issued for the plan's tls resources, by the Terraform attribute they stand for. */
  pems: ReadonlyMap<string, string>;
  /** Sends `signal` (default SIGKILL) to node `index` (0-based) and waits for it to exit. */
  kill(index: number, signal?: NodeJS.Signals): Promise<void>;
  /**
   * Stops node `index` as `systemctl stop` does (KillSignal=, SIGUSR2 in the plans: the lame
   * duck; SIGKILL after TimeoutStopSec=) and waits for it to exit.
   */
  stopNode(index: number): Promise<void>;
  /** Starts killed node `index` again with its original command line and waits until healthy. */
  restart(index: number): Promise<void>;
  /**
   * Replaces node `index` as `terraform apply -replace` does on DigitalOcean with
   * `graceful_shutdown`: stops it as systemd would (KillSignal=SIGUSR2, the lame duck; SIGKILL
   * after TimeoutStopSec), then boots the same droplet of `planFile` (a synthesis of the same
   * stack) on the same address, with that plan's command line and nats-server version, and
   * waits until it is healthy.
   */
  replaceNode(index: number, planFile: string): Promise<void>;
  /** True when every node reports every other node as a route peer. */
  meshWhole(): Promise<boolean>;
  /** Load balancer resource id → its loopback address (the public one and the internal ones). */
  readonly loadBalancerAddresses: ReadonlyMap<string, string>;
  /** HAProxy's view of each server, by node name: "UP", "DOWN" or a transitional state. */
  serverState(): Promise<Record<string, "UP" | "DOWN" | string>>;
  /** {@link serverState} of every load balancer (the public one first, then the internal ones), by its name. */
  loadBalancerStates(): Promise<Map<string, Record<string, string>>>;
  /** Where the twin keeps its files, logs and the list of what it runs (twin/leftovers.ts). */
  readonly workDir: string;
  /** Stops every process the twin started and removes its files. */
  stop(): Promise<void>;
}

interface Tools {
  readonly haproxy: string;
  readonly cloudInit: string;
  readonly openssl: string;
}

/**
 * Boots the synthesized plan on loopback: validates every droplet's cloud-config, runs each
 * droplet's systemd command line with a nats-server of the major.minor the droplet installs
 * (see ensureNatsServer), waits for a complete route mesh, then runs HAProxy for each load
 * balancer (internal ones first: nodes may route through them) and waits until it reports every server UP.
 * On any failure it stops what it started and removes the files it wrote before rethrowing.
 */
export async function bootTwin(options: TwinOptions = {}): Promise<Twin> {
  const log = options.log ?? ((): void => undefined);
  const tools = requireTools();
  for (const line of await stopLeftovers()) log(line);
  const plan = readPlan(options.planFile ?? freshStackFile(options.stack ?? "nats-tutorial"));
  assertSecretVariables(plan.passwords);
  const twin = new LocalTwin(plan, options, tools, log);
  try {
    await twin.boot();
    return twin;
  } catch (error) {
    // Its files hold keys and tokens: a failed boot removes them too (the error quotes the log that explains it).
    await twin.stop();
    throw error;
  }
}

/** Finds HAProxy and cloud-init (nats-server comes from ensureNatsServer). */
function requireTools(): Tools {
  const hint = (pkg: string, brew: string): string => `apt-get install ${pkg} (Debian/Ubuntu) or ${brew} (macOS)`;
  return {
    haproxy: findExecutable("haproxy", hint("haproxy", "brew install haproxy")),
    cloudInit: findExecutable("cloud-init", hint("cloud-init", "pipx install cloud-init")),
    openssl: findExecutable("openssl", hint("openssl", "brew install openssl")),
  };
}

class LocalTwin implements Twin {
  public readonly lbAddress: string;
  public readonly nodes: TwinNode[] = [];
  public clientPort = 0;
  public publishedMonitorPort?: number;
  public readonly healthCheck: HaproxyCheck;
  public credentials: Credentials = {};
  public caFile?: string;
  public pems: ReadonlyMap<string, string> = new Map();
  public jetstream = false;
  public readonly loadBalancerAddresses: ReadonlyMap<string, string>;

  /** Where the nodes' files and logs are: removed by stop(), also when the boot fails. */
  public readonly workDir: string;
  private readonly runtimes: NodeRuntime[] = [];
  private readonly nodeAddresses: string[];
  private readonly balancer: BalancerRuntime;
  private readonly internalBalancers: BalancerRuntime[];
  private secrets = new Map<string, string>();
  private stopping?: Promise<void>;
  /** The processes started, as recorded once running, by PID (see {@link recordProcesses}). */
  private readonly recorded = new Map<number, RecordedProcess>();
  /** Removes the files when the process exits before stop() has (the CLI interrupted while booting). */
  private readonly removeFiles = (): void => rmSync(this.workDir, { recursive: true, force: true });

  constructor(
    private readonly plan: Plan,
    private readonly options: TwinOptions,
    private readonly tools: Tools,
    private readonly log: (line: string) => void,
  ) {
    const addresses = assignAddresses(options.addressBase ?? DEFAULT_ADDRESS_BASE, plan.droplets.length, plan.internalLoadBalancers.length);
    this.lbAddress = addresses.lb;
    this.nodeAddresses = addresses.nodes;
    this.workDir = mkdtempSync(join(tmpdir(), WORK_DIR_PREFIX));
    process.on("exit", this.removeFiles);
    const balancer = (lb: PlanLoadBalancer, address: string): BalancerRuntime => balancerRuntime(lb, address, options.timeScale ?? 1, this.workDir);
    this.balancer = balancer(plan.loadBalancer, addresses.lb);
    this.internalBalancers = plan.internalLoadBalancers.map((lb, j) => balancer(lb, addresses.internal[j]));
    this.healthCheck = this.balancer.check;
    this.loadBalancerAddresses = new Map([this.balancer, ...this.internalBalancers].map((lb) => [lb.plan.id, lb.address]));
  }

  /**
   * Prepares every node, starts node 1 and the internal load balancers (the others may route
   * through them), then the other nodes, then the load balancer.
   */
  public async boot(): Promise<void> {
    const started = Date.now();
    const internal = this.internalBalancers.map((lb) => `, internal load balancer ${lb.plan.name} on ${lb.address}`).join("");
    this.log(`plan ${this.plan.file}: ${this.plan.droplets.length} droplets, load balancer ${this.plan.loadBalancer.name}${internal}`);
    this.secrets = new Map(this.plan.passwords.map((id) => [id, secretFor(id, this.options.secrets, process.env, this.plan.passwordAlphabets.get(id))]));
    await this.prepareNodes();
    const ports = entryPorts(this.plan.loadBalancer, this.nodes[0]);
    this.clientPort = ports.client;
    this.publishedMonitorPort = ports.monitor;
    for (const runtime of this.runtimes) await this.assertNodePortsFree(runtime);
    for (const lb of [this.balancer, ...this.internalBalancers]) {
      for (const rule of lb.plan.forwardingRules) await assertPortFree(lb.address, rule.entryPort, `load balancer ${lb.plan.name}`);
    }
    await this.startNode(0);
    for (const lb of this.internalBalancers) await this.startLoadBalancer(lb, [this.nodes[0]]);
    await Promise.all(this.runtimes.slice(1).map((_runtime, i) => this.startNode(i + 1)));
    await waitForMesh(this.nodes, this.log);
    this.jetstream = await waitForJetStream(this.nodes, this.log);
    await this.startLoadBalancer(this.balancer, this.nodes);
    this.log(`twin up in ${Date.now() - started} ms`);
  }

  private references(): References {
    return { addresses: new Map(this.plan.droplets.map((droplet, i) => [droplet.id, this.nodeAddresses[i]])), loadBalancers: this.loadBalancerAddresses, secrets: this.secrets, pems: this.pems };
  }

  private async prepareNodes(): Promise<void> {
    const pems = await issueTls(this.plan.tls, this.tools.openssl, join(this.workDir, "tls"));
    this.pems = pems;
    if (pems.size > 0) this.log(`tls: issued ${this.plan.tls.keys.size} keys and ${this.plan.tls.selfSigned.size + this.plan.tls.signed.size} certificates with openssl`);
    // Settled, not all: when one node's cloud-init check fails, the others' checks (child
    // processes) must have ended before the twin stops and reports.
    const prepared = await Promise.allSettled(this.plan.droplets.map(async (droplet, i) => {
      this.runtimes[i] = await this.prepareNode(droplet, i);
      this.nodes[i] = this.runtimes[i].node;
    }));
    const failed = prepared.find((result): result is PromiseRejectedResult => result.status === "rejected");
    if (failed !== undefined) throw failed.reason;
    const config = this.runtimes[0].config;
    const caFile = join(this.workDir, "ca.pem");
    const tls = clientTls(this.plan.tls, pems, caFile, this.plan.tlsServerName, this.plan.file);
    if (tls !== undefined) this.caFile = caFile;
    this.credentials = {
      ...(config === undefined ? {} : clientCredentials(readFileSync(join(this.runtimes[0].dir, config), "utf8"))),
      ...(tls === undefined ? {} : { tls }),
    };
  }

  /** Validates droplet `i`'s cloud-config, writes its files to a fresh directory and finds the nats-server it installs. */
  private async prepareNode(droplet: PlanDroplet, i: number): Promise<NodeRuntime> {
    const userData = substituteReferences(droplet.userData, this.references(), droplet.name);
    const dir = mkdtempSync(join(this.workDir, `${droplet.name}-`));
    await validateCloudConfig(this.tools.cloudInit, join(dir, "user-data.yaml"), userData, droplet.name);
    const server = await ensureNatsServer(droplet.natsVersion, { log: this.log, allowMismatch: this.options.allowVersionMismatch });
    const mismatch = minorOf(server.version) === minorOf(droplet.natsVersion) ? "" : " (mismatch allowed: this twin proves nothing about the droplets' version)";
    this.log(`${droplet.name}: cloud-config valid, address ${this.nodeAddresses[i]}; the plan installs nats-server ${droplet.natsVersion}, running ${server.version} (${server.path})${mismatch}`);
    return materialiseNode(this.workDir, droplet, userData, dir, this.nodeAddresses[i], server);
  }

  private async assertNodePortsFree(runtime: NodeRuntime): Promise<void> {
    const { node } = runtime;
    const ports = [node.clientPort, node.monitorPort, runtime.clusterPort].filter((port): port is number => port !== undefined);
    for (const port of ports) await assertPortFree(node.address, port, node.name);
  }

  private async startNode(index: number): Promise<void> {
    const runtime = this.runtimes[index];
    const { node } = runtime;
    const [command, ...args] = runtime.argv;
    const logFile = join(runtime.dir, "nats-server.log");
    const child = await startProcess({ command, args, cwd: runtime.dir, env: runtime.env, logFile });
    node.pid = child.pid;
    await pollWhileRunning(child, logFile, () => isHealthy(node.address, node.clientPort, node.monitorPort, this.readinessPath()), BOOT_TIMEOUT_MS, `node ${node.name} (nats-server on ${node.address}) to become healthy`);
    this.recordProcesses();
    this.log(`${node.name}: nats-server pid ${child.pid} healthy`);
  }

  /**
   * Lists every process the twin runs in its working directory (twin/leftovers.ts), so that a
   * twin that is killed can be cleaned up by the next one. A process is recorded once it runs
   * its final command line (the unit's `sh -c 'exec nats-server …'` has exec'd).
   */
  private recordProcesses(): void {
    const owner = identify(process.pid);
    // Without /proc (macOS) no process can be proven the twin's own: nothing is recorded.
    if (owner === undefined) return;
    const roles: [string, number | undefined][] = [
      ...[this.balancer, ...this.internalBalancers].map((lb): [string, number | undefined] => [`load balancer ${lb.plan.name}`, lb.pid]),
      ...this.nodes.map((node): [string, number | undefined] => [node.name, node.pid]),
    ];
    const live = new Set<number>();
    for (const [role, pid] of roles) {
      if (pid === undefined) continue;
      live.add(pid);
      const record = this.recorded.get(pid) ?? recordProcess(role, pid);
      if (record !== undefined) this.recorded.set(pid, record);
    }
    for (const pid of this.recorded.keys()) if (!live.has(pid)) this.recorded.delete(pid);
    writeManifest(this.workDir, { owner, lbAddress: this.lbAddress, processes: [...this.recorded.values()] });
  }

  public meshWhole(): Promise<boolean> {
    return meshWhole(this.nodes);
  }

  /**
   * The path a node must answer 200 on to count as up: the load balancer's /healthz variant
   * (with JetStream one that does not wait for the meta leader), else the plain /healthz.
   */
  private readinessPath(): string {
    const path = this.plan.loadBalancer.healthCheck.path;
    return path !== undefined && /^\/healthz(\?|$)/.test(path) ? path : "/healthz";
  }

  /** Runs HAProxy for `lb` in front of the nodes that carry its tag; waits until those of `waitFor` are UP. */
  private startLoadBalancer(lb: BalancerRuntime, waitFor: readonly TwinNode[]): Promise<void> {
    const servers = this.nodes.filter((_node, i) => this.plan.droplets[i].tags.includes(lb.plan.dropletTag));
    return startLoadBalancer(lb, waitFor, { haproxy: this.tools.haproxy, workDir: this.workDir, servers, started: () => this.recordProcesses(), log: this.log });
  }

  public async kill(index: number, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const node = this.nodeAt(index);
    if (node.pid === undefined) throw new Error(`node ${index} (${node.name}) is not running`);
    await stopProcess(node.pid, signal, 60_000);
    node.pid = undefined;
    this.recordProcesses();
  }

  public async restart(index: number): Promise<void> {
    const node = this.nodeAt(index);
    if (node.pid !== undefined && isAlive(node.pid)) throw new Error(`node ${index} (${node.name}) is still running: kill it first`);
    await this.assertNodePortsFree(this.runtimes[index]);
    await this.startNode(index);
  }

  public async replaceNode(index: number, planFile: string): Promise<void> {
    const old = this.nodeAt(index);
    const droplet = readPlan(planFile).droplets.find((candidate) => candidate.id === this.plan.droplets[index].id);
    if (droplet === undefined) throw new Error(`${planFile} has no droplet ${this.plan.droplets[index].id} (${old.name}): not a synthesis of the same stack`);
    const runtime = await this.prepareNode(droplet, index);
    if (old.pid !== undefined) await this.stopNode(index);
    this.runtimes[index] = runtime;
    this.nodes[index] = runtime.node;
    await this.assertNodePortsFree(runtime);
    await this.startNode(index);
  }

  public async stopNode(index: number): Promise<void> {
    const node = this.nodeAt(index);
    if (node.pid === undefined) throw new Error(`node ${index} (${node.name}) is not running`);
    const { killSignal, stopTimeoutMs } = this.runtimes[index];
    this.log(`${node.name}: systemctl stop (${killSignal}, SIGKILL after ${stopTimeoutMs / 1000} s)`);
    await stopProcess(node.pid, killSignal, stopTimeoutMs);
    node.pid = undefined;
    this.recordProcesses();
  }

  private nodeAt(index: number): TwinNode {
    const node = this.nodes[index];
    if (node === undefined) throw new Error(`node index ${index} is out of range: expected 0 to ${this.nodes.length - 1}`);
    return node;
  }

  public serverState(): Promise<Record<string, string>> {
    return queryServerStates(this.balancer.statsSocket);
  }

  public async loadBalancerStates(): Promise<Map<string, Record<string, string>>> {
    const balancers = [this.balancer, ...this.internalBalancers];
    const states = await Promise.all(balancers.map((lb) => queryServerStates(lb.statsSocket)));
    return new Map(balancers.map((lb, i) => [lb.plan.name, states[i]]));
  }

  public stop(): Promise<void> {
    this.stopping ??= this.stopAll();
    return this.stopping;
  }

  private async stopAll(): Promise<void> {
    const balancers = [this.balancer, ...this.internalBalancers];
    const pids = [...balancers.map((lb) => lb.pid), ...this.nodes.map((node) => node?.pid)].filter((pid): pid is number => pid !== undefined);
    // A frozen node (SIGSTOP) would hold SIGTERM until SIGKILL: wake it first.
    await Promise.all(pids.map((pid) => {
      wake(pid);
      return stopProcess(pid);
    }));
    for (const lb of balancers) lb.pid = undefined;
    for (const node of this.nodes) if (node !== undefined) node.pid = undefined;
    clearManifest(this.workDir);
    this.removeFiles();
    process.off("exit", this.removeFiles);
  }
}
