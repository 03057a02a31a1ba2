import { ChildProcess, spawn } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freshStackFile } from "../plan/synth";
import { References, clientCredentials, readNodeConfig, secretFor, substituteReferences } from "../twin/cloud-config";
import { HaproxyCheck, queryServerStates, renderHaproxyConfig, scaledCheck } from "../twin/haproxy";
import { ensureNatsServer } from "../twin/nats-binary";
import { Plan, PlanLoadBalancer, readPlan } from "../twin/plan";
import { Started, findExecutable, poll, startProcess, stopProcess } from "../twin/process";
import { issueTls } from "../twin/tls";
import type { Credentials } from "../verify/types";
import { agentAnswers, guestExec } from "./guest-agent";
import { GUEST_DESCRIPTION, GuestImage, ensureImage } from "./image";
import { METADATA_ADDRESS, VM_ADDRESSES, VmNetwork, addAddress, createNetwork } from "./network";
import { RunningVm, VmSpec, createRootDisk, createVolume, kvmWorks, startVm, stopVm } from "./qemu";
import { LocalRelease, Substitution, packRelease, pointAtMirror } from "./release-mirror";
import { GuestReport, failureLines, readReport } from "./report";
import { macAddress, writeSeed } from "./seed";
import type { ServicesConfig } from "./services";

/** Options of {@link bootVmTwin}. */
export interface VmTwinOptions {
  /** @default "nats-tutorial" */
  readonly stack?: string;
  /** A synthesized cdk.tf.json to boot instead of the stack's. */
  readonly planFile?: string;
  /** Receives progress lines. @default - silent */
  readonly log?: (line: string) => void;
  /** random_password resource id → value. @default - NATS_TWIN_SECRET_* or random */
  readonly secrets?: Record<string, string>;
  /**
   * Seconds the metadata service stays unreachable ("no route to host") after the first VM's
   * cloud-init reaches its network stage, where bootcmd runs: a droplet whose network comes up late.
   * @default 0 - reachable from the start
   */
  readonly metadataDelaySeconds?: number;
  /** Seconds each VM may take from power-on to healthy behind the load balancer. @default 900 */
  readonly bootTimeoutSeconds?: number;
  /**
   * Waits until each VM is healthy behind the load balancer; false waits only until cloud-init has
   * finished (to look at a node that is expected to fail).
   * @default true
   */
  readonly untilHealthy?: boolean;
}

/** One droplet as a VM. */
export interface VmNode {
  readonly name: string;
  readonly index: number;
  readonly privateAddress: string;
  readonly dir: string;
  /** The running VM; undefined while powered off. */
  vm?: RunningVm;
  /** Milliseconds from the last power-on to the load balancer's first UP. */
  healthyAfterMs?: number;
  /** The guest's report after the last boot. */
  report?: GuestReport;
  /** Boots so far (1 after the first). */
  boots: number;
}

/** Minimum GiB of a VM's volume file (sparse: it takes only what is written). */
const VOLUME_GIB = 10;
const MIRROR_PORT = 8080;
const HAPROXY_WAIT_MS = 20_000;

/**
 * Every droplet of a plan booted in its own QEMU VM (Debian trixie, not Ubuntu 24.04) from its
 * user_data, with real cloud-init, systemd and a block-storage volume; the load balancers are
 * HAProxy configured as the process twin does; everything lives in one network namespace.
 */
export class VmTwin {
  public readonly nodes: VmNode[] = [];
  /** Every substitution made in a user_data, listed for the user. */
  public readonly substitutions: string[] = [];
  public readonly lbAddress = VM_ADDRESSES.loadBalancer(0);
  public readonly healthCheck: HaproxyCheck;
  public credentials: Credentials = {};
  public caFile?: string;
  public readonly jetstream: boolean;
  public clientPort = 0;
  public publishedMonitorPort?: number;
  /** Serial logs, files and disks; kept when something fails, removed by stop() otherwise. */
  public readonly workDir: string;
  public accelerator: "kvm" | "tcg" = "tcg";
  public network?: VmNetwork;

  private readonly processes: Started[] = [];
  private readonly children: ChildProcess[] = [];
  private readonly balancers: { plan: PlanLoadBalancer; address: string; check: HaproxyCheck; statsSocket: string }[];
  private readonly userData: string[] = [];
  private image?: GuestImage;
  private readonly log: (line: string) => void;

  constructor(
    public readonly plan: Plan,
    private readonly options: VmTwinOptions,
  ) {
    this.log = options.log ?? ((): void => undefined);
    this.workDir = mkdtempSync(join(tmpdir(), "nats-vm-twin-"));
    this.balancers = [plan.loadBalancer, ...plan.internalLoadBalancers].map((lb, j) => ({
      plan: lb,
      address: VM_ADDRESSES.loadBalancer(j),
      check: scaledCheck(lb, 1),
      statsSocket: join(this.workDir, `haproxy-${j}.sock`),
    }));
    this.healthCheck = this.balancers[0].check;
    this.jetstream = plan.droplets.some((droplet) => droplet.volumes.length > 0);
  }

  /** Builds or reuses the image, prepares every droplet, starts the namespace's services and boots every VM. */
  public async boot(): Promise<void> {
    const tools = { haproxy: findExecutable("haproxy", "apt-get install haproxy"), openssl: findExecutable("openssl", "apt-get install openssl") };
    for (const tool of ["qemu-system-x86_64", "qemu-img", "xorriso", "debootstrap", "ip"]) findExecutable(tool, "apt-get install qemu-system-x86 qemu-utils xorriso debootstrap iproute2");
    this.log(`guest: ${GUEST_DESCRIPTION}; droplets run ubuntu-24-04-x64`);
    this.image = await ensureImage(this.log);
    this.accelerator = await this.probeKvm(this.image);
    this.log(`accelerator: ${this.accelerator === "kvm" ? "KVM" : "TCG (software emulation: /dev/kvm is missing or cannot run the guest's kernel)"}`);

    const secrets = new Map(this.plan.passwords.map((id) => [id, secretFor(id, this.options.secrets)]));
    const pems = await issueTls(this.plan.tls, tools.openssl, join(this.workDir, "tls"));
    const refs: References = {
      addresses: new Map(this.plan.droplets.map((droplet, i) => [droplet.id, VM_ADDRESSES.private(i)])),
      loadBalancers: new Map(this.balancers.map((lb) => [lb.plan.id, lb.address])),
      secrets,
      pems,
    };
    this.substitutions.push(
      `Terraform references: droplet private addresses → ${this.plan.droplets.map((_d, i) => VM_ADDRESSES.private(i)).join(", ")}; ` +
        `load balancer addresses → ${this.balancers.map((lb) => `${lb.plan.name} ${lb.address}`).join(", ")}; ` +
        `${secrets.size} random_password results (NATS_TWIN_SECRET_* or random); ${pems.size} TLS keys and certificates issued with openssl`,
      `metadata service (${METADATA_ADDRESS}, only inside the namespace): each VM's private and public address (${VM_ADDRESSES.private(0)}…, ${VM_ADDRESSES.public(0)}…)`,
    );
    const release = await this.prepareMirror();
    this.network = createNetwork(`nats-vm-${process.pid}`, this.plan.droplets.length);
    for (const lb of this.balancers) addAddress(this.network, lb.address);
    this.plan.droplets.forEach((droplet, i) => {
      const resolved = substituteReferences(droplet.userData, refs, droplet.name);
      const mirrored = pointAtMirror(resolved, `http://${VM_ADDRESSES.host}:${MIRROR_PORT}`, release, droplet.name);
      this.userData[i] = mirrored.userData;
      if (i === 0) this.substitutions.push(...mirrored.substitutions.map((s: Substitution) => `${s.what}: ${s.from} → ${s.to}`));
      const dir = join(this.workDir, droplet.name);
      mkdirSync(dir, { recursive: true });
      this.nodes.push({ name: droplet.name, index: i, privateAddress: VM_ADDRESSES.private(i), dir, boots: 0 });
    });
    this.log("substitutions, only those Terraform and DigitalOcean would make:");
    this.substitutions.forEach((line) => this.log(`  - ${line}`));
    const conf = readNodeConfig(this.userData[0], this.nodes[0].name).workingFiles.find((file) => file.path === "nats-server.conf");
    this.credentials = { ...(conf === undefined ? {} : clientCredentials(conf.content)), ...this.clientTls(pems) };
    this.resolvePorts();
    await this.startServices();
    for (const lb of this.balancers) await this.startHaproxy(lb);
    for (const node of this.nodes) await this.createDisks(node);
    const delay = this.options.metadataDelaySeconds ?? 0;
    const metadata = delay === 0 ? this.addMetadataAddress() : this.addMetadataAddressLate(delay);
    await Promise.all([metadata, ...this.nodes.map((node) => this.powerOn(node, true))]);
  }

  private async addMetadataAddress(): Promise<void> {
    addAddress(this.network as VmNetwork, METADATA_ADDRESS, 16);
  }

  /** Adds the metadata address `delay` seconds after the first serial console shows cloud-init's network stage. */
  private async addMetadataAddressLate(delay: number): Promise<void> {
    const timeoutMs = (this.options.bootTimeoutSeconds ?? 900) * 1000;
    await poll(() => this.nodes.some((node) => /running 'init' at/.test(readIfExists(join(node.dir, "serial.log")) ?? "")), timeoutMs, 500, "cloud-init's network stage");
    this.log(`cloud-init reached its network stage: the metadata service stays unreachable for ${delay} s more`);
    await new Promise((resolve) => setTimeout(resolve, delay * 1000));
    await this.addMetadataAddress();
    this.log("metadata service reachable");
  }

  /** Powers node `index` on: a new root disk (and seed instance) when `newRootDisk`, else a reboot of the same disk. */
  public async powerOn(node: VmNode, newRootDisk: boolean): Promise<void> {
    const image = this.image as GuestImage;
    if (newRootDisk) await createRootDisk(join(node.dir, "root.qcow2"), image, this.log);
    node.boots += 1;
    const seedIso = newRootDisk || node.boots === 1
      ? await writeSeed(node.dir, { name: node.name, instanceId: `${node.name}-${node.boots}`, index: node.index, mac: macAddress(node.index), userData: this.userData[node.index] })
      : join(node.dir, "seed.iso");
    const started = Date.now();
    node.vm = await startVm(this.spec(node, seedIso), node.boots);
    this.log(`${node.name}: powered on (QEMU pid ${node.vm.process.pid}, ${this.accelerator}), serial console in ${node.vm.serialLog}`);
    await this.waitHealthy(node, started);
  }

  /** Shuts node `index` down as DigitalOcean's graceful shutdown does (ACPI power button: systemd stops every unit), then powers it off. */
  public async shutdown(node: VmNode): Promise<void> {
    const vm = node.vm;
    if (vm === undefined) return;
    await guestExec(vm.agentSocket, "systemctl poweroff --no-block", 30_000).catch(() => undefined);
    // unref: the 3-minute limit must not keep the process alive once the VM has exited.
    await Promise.race([vm.process.exited, new Promise((resolve) => setTimeout(resolve, 180_000).unref())]);
    await stopVm(vm);
    node.vm = undefined;
  }

  /** The guest's report, read now. */
  public async reportOf(node: VmNode): Promise<GuestReport> {
    if (node.vm === undefined) throw new Error(`${node.name} is powered off`);
    const [mountPoint] = readNodeConfig(this.userData[node.index], node.name).mountPoints;
    node.report = await readReport(node.name, node.vm.agentSocket, mountPoint);
    return node.report;
  }

  /** The guest's journal and cloud-init lines, for a failure. */
  public async failureOf(node: VmNode): Promise<string[]> {
    if (node.vm === undefined) return [`  ${node.name} is powered off; serial console: ${join(node.dir, "serial.log")}`];
    return [...(await failureLines(node.vm.agentSocket)), `  serial console: ${node.vm.serialLog}`];
  }

  /** Runs `argv` inside the namespace (verify, a client), output appended to `logFile`; resolves with its exit code. */
  public runInside(argv: readonly string[], logFile: string): Promise<number> {
    const full = (this.network as VmNetwork).inside(argv);
    const out = openSync(logFile, "a");
    try {
      const child = spawn(full[0], full.slice(1), { stdio: ["ignore", out, out] });
      this.children.push(child);
      return new Promise((resolve, reject) => {
        child.once("error", reject);
        child.once("close", (code) => resolve(code ?? 1));
      });
    } finally {
      closeSync(out);
    }
  }

  /**
   * Stops every VM and process by PID, removes the namespace and the work directory; with `keep`
   * only the logs stay (serial consoles, QEMU, HAProxy, the services, verify): the disks, seeds,
   * keys and credentials hold the plan's secrets and go.
   */
  public async stop(keep = false): Promise<void> {
    await Promise.all(this.nodes.map(async (node) => {
      if (node.vm !== undefined) await stopVm(node.vm);
      node.vm = undefined;
    }));
    for (const child of this.children) if (child.pid !== undefined && child.exitCode === null) child.kill("SIGKILL");
    for (const child of this.processes) await stopProcess(child.pid, "SIGTERM", 5000);
    this.network?.destroy();
    if (!keep) rmSync(this.workDir, { recursive: true, force: true });
    else removeAllButLogs(this.workDir);
  }

  private spec(node: VmNode, seedIso: string): VmSpec {
    const network = this.network as VmNetwork;
    const volumes = [...this.userData[node.index].matchAll(/scsi-0DO_Volume_([\w.-]+)/g)].map((match) => match[1]);
    return {
      name: node.name,
      dir: node.dir,
      image: this.image as GuestImage,
      rootDisk: join(node.dir, "root.qcow2"),
      seedIso,
      volumes: [...new Set(volumes)].map((name) => ({ name, file: join(node.dir, `volume-${name}.img`) })),
      tap: network.taps[node.index],
      mac: macAddress(node.index),
      inside: network.inside,
      accelerator: this.accelerator,
    };
  }

  /** A new droplet's volumes: empty sparse files, kept across reboots and replacements. */
  private async createDisks(node: VmNode): Promise<void> {
    for (const volume of this.spec(node, "").volumes) await createVolume(volume.file, VOLUME_GIB, this.log);
  }

  /** Waits until the public load balancer reports the node UP, then reads its report. */
  private async waitHealthy(node: VmNode, started: number): Promise<void> {
    const lb = this.balancers[0];
    const vm = node.vm as RunningVm;
    const timeoutMs = (this.options.bootTimeoutSeconds ?? 900) * 1000;
    if (this.options.untilHealthy === false) {
      await poll(() => agentAnswers(vm.agentSocket), timeoutMs, 1000, `the guest agent of ${node.name}`);
      await poll(async () => (["running", "not started", "unknown"].includes((await this.reportOf(node)).cloudInit) ? undefined : true), timeoutMs, 2000, `cloud-init of ${node.name} to finish`);
      return;
    }
    try {
      await poll(async () => {
        if (!vm.isRunning()) throw new Error(`QEMU of ${node.name} exited`);
        return (await queryServerStates(lb.statsSocket))[node.name] === "UP";
      }, timeoutMs, 1000, `${node.name} to be healthy behind ${lb.plan.name}`);
      node.healthyAfterMs = Date.now() - started;
    } catch (error) {
      node.healthyAfterMs = undefined;
      if (await agentAnswers(vm.agentSocket)) await this.reportOf(node).catch(() => undefined);
      throw error;
    }
    await poll(() => agentAnswers(vm.agentSocket), 120_000, 1000, `the guest agent of ${node.name}`);
    await poll(async () => (["running", "not started", "unknown"].includes((await this.reportOf(node)).cloudInit) ? undefined : true), 300_000, 2000, `cloud-init of ${node.name} to finish`);
  }

  private async probeKvm(image: GuestImage): Promise<"kvm" | "tcg"> {
    // Kept with the image: a new image (another kernel) is probed again.
    const marker = join(image.dir, "kvm-probe");
    const cached = readIfExists(marker);
    if (cached === "kvm" || cached === "tcg") return cached;
    const result = (await kvmWorks(image, this.workDir, this.log)) ? "kvm" : "tcg";
    writeFileSync(marker, result);
    return result;
  }

  /** The release mirror's files: Debian's nats-server of the pinned line, packed as nats-io's tarball. */
  private async prepareMirror(): Promise<LocalRelease> {
    const versions = [...new Set(this.plan.droplets.map((droplet) => droplet.natsVersion))];
    if (versions.length !== 1) throw new Error(`the droplets install ${versions.join(" and ")}: the VM twin serves one release`);
    const server = await ensureNatsServer(versions[0], { log: this.log });
    const release = await packRelease(join(this.workDir, "mirror"), versions[0], server.path, this.log);
    this.log(`release mirror: nats-server ${server.version} (Debian's build of the ${versions[0].split(".").slice(0, 2).join(".")} line) packed as ${release.path}, SHA-256 ${release.sha256}`);
    return release;
  }

  private async startServices(): Promise<void> {
    const network = this.network as VmNetwork;
    const config: ServicesConfig = {
      metadata: Object.fromEntries(this.nodes.map((node) => [VM_ADDRESSES.linkLocal(node.index), { privateAddress: node.privateAddress, publicAddress: VM_ADDRESSES.public(node.index), hostname: node.name }])),
      metadataAddress: METADATA_ADDRESS,
      mirror: { dir: join(this.workDir, "mirror"), address: VM_ADDRESSES.host, port: MIRROR_PORT },
    };
    const file = join(this.workDir, "services.json");
    writeFileSync(file, JSON.stringify(config));
    const argv = network.inside([process.execPath, "--import", "tsx", join(__dirname, "services.ts"), file]);
    const logFile = join(this.workDir, "services.log");
    this.processes.push(await startProcess({ command: argv[0], args: argv.slice(1), cwd: join(__dirname, ".."), env: process.env, logFile }));
    await poll(() => /mirror listening/.test(readIfExists(logFile) ?? ""), 20_000, 100, "the namespace's services to listen");
  }

  private async startHaproxy(lb: (typeof this.balancers)[number]): Promise<void> {
    const network = this.network as VmNetwork;
    const servers = this.nodes.filter((_node, i) => this.plan.droplets[i].tags.includes(lb.plan.dropletTag)).map((node) => ({ name: node.name, address: node.privateAddress }));
    if (servers.length === 0) throw new Error(`no droplet carries the droplet_tag ${JSON.stringify(lb.plan.dropletTag)} of load balancer ${lb.plan.name}`);
    const configFile = join(this.workDir, `haproxy-${lb.plan.id}.cfg`);
    writeFileSync(configFile, renderHaproxyConfig(lb.plan, lb.address, servers, lb.check, lb.statsSocket));
    const argv = network.inside([findExecutable("haproxy", "apt-get install haproxy"), "-db", "-f", configFile]);
    const haproxy = await startProcess({ command: argv[0], args: argv.slice(1), cwd: this.workDir, env: process.env, logFile: join(this.workDir, `haproxy-${lb.plan.id}.log`) });
    this.processes.push(haproxy);
    await poll(async () => Object.keys(await queryServerStates(lb.statsSocket)).length > 0, HAPROXY_WAIT_MS, 200, `haproxy of ${lb.plan.name} to answer on its stats socket`);
    this.log(`load balancer ${lb.plan.name}: haproxy pid ${haproxy.pid} on ${lb.address}, ${servers.length} servers`);
  }

  /** The public load balancer's entry ports for clients and for the monitor (when a rule publishes it). */
  private resolvePorts(): void {
    const rules = this.plan.loadBalancer.forwardingRules;
    const client = rules.find((rule) => rule.entryProtocol === "tcp" && rule.targetPort !== this.healthCheck.port) ?? rules[0];
    this.clientPort = client.entryPort;
    this.publishedMonitorPort = rules.find((rule) => rule !== client && rule.targetPort === this.healthCheck.port)?.entryPort;
  }

  private clientTls(pems: ReadonlyMap<string, string>): Pick<Credentials, "tls"> {
    const cas = [...this.plan.tls.selfSigned.keys()];
    if (cas.length !== 1) return {};
    const ca = pems.get(`tls_self_signed_cert.${cas[0]}.cert_pem`) as string;
    this.caFile = join(this.workDir, "ca.pem");
    writeFileSync(this.caFile, ca);
    return { tls: { ca, serverName: this.plan.tlsServerName } };
  }
}

/** Removes every file below `dir` but the `*.log` files, and the directories left empty. */
export function removeAllButLogs(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      removeAllButLogs(path);
      if (readdirSync(path).length === 0) rmSync(path, { recursive: true });
    } else if (!entry.name.endsWith(".log")) {
      rmSync(path, { force: true });
    }
  }
}

function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

/** Boots every droplet of the plan in a VM; on failure prints each guest's account, stops everything and keeps the files. */
export async function bootVmTwin(options: VmTwinOptions = {}): Promise<VmTwin> {
  const twin = new VmTwin(readPlan(options.planFile ?? freshStackFile(options.stack ?? "nats-tutorial")), options);
  try {
    await twin.boot();
    return twin;
  } catch (error) {
    await abandonBoot(twin, options.log ?? ((): void => undefined));
    throw error;
  }
}

/** After a failed boot: the journal and cloud-init lines of every VM that did not get healthy, then stop, keeping the serial logs. */
export async function abandonBoot(twin: VmTwin, log: (line: string) => void): Promise<void> {
  for (const node of twin.nodes) {
    if (node.vm !== undefined && node.healthyAfterMs === undefined) (await twin.failureOf(node).catch((failure: Error) => [`  ${failure.message}`])).forEach((line) => log(line));
  }
  await twin.stop(true);
  log(`kept the logs in ${twin.workDir} (serial consoles, QEMU, haproxy, services); disks, seeds and keys removed`);
}
