import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { VM_ADDRESSES } from "./network";
import { reportLines } from "./report";
import { freshStackFile } from "../plan/synth";
import { readPlan } from "../twin/plan";
import { VmTwin, abandonBoot } from "./vm-twin";

/** What still differs from a real droplet, printed with every run. */
export const DIFFERENCES_FROM_A_DROPLET = [
  "the guest is Debian trixie (cloud-init 25.1, systemd 257, Debian's cloud kernel, default user debian), not ubuntu-24-04-x64 (cloud-init 24/25, systemd 255, user ubuntu)",
  "nats-server is Debian's build of the pinned line, packed as nats-io's tarball, not nats-io's release itself",
  "the metadata service answers only the addresses and hostname; DigitalOcean's vendor data, agent and SSH keys are absent",
  "one NIC with the private, public and link-local addresses; a droplet has a public and a private NIC",
  "the load balancers are HAProxy (health checks and round robin as configured), not DigitalOcean's; no firewall",
  "volumes are sparse files of 10 GiB whatever the plan's size, on virtio-scsi like DigitalOcean's",
  "QEMU with software emulation (TCG) unless KVM works: boots and timings are several times slower than a droplet's",
];

/** `npm run twin -- --stack <s> --vm [--check]`: boots the plan's droplets as VMs; with check, runs verify and stops. */
export async function runVmTwin(options: { stack: string; check: boolean; signal: Promise<NodeJS.Signals> }): Promise<number> {
  const log = (line: string): void => console.log(`vm twin: ${line}`);
  log("what differs from a real droplet:");
  DIFFERENCES_FROM_A_DROPLET.forEach((line) => log(`  - ${line}`));
  const started = Date.now();
  const twin = new VmTwin(readPlan(freshStackFile(options.stack)), { log });
  const booted = twin.boot().then(() => "booted" as const, async (error: Error) => {
    await abandonBoot(twin, log);
    throw error;
  });
  const first = await Promise.race([booted, options.signal]);
  if (first !== "booted") {
    log(`${first} while booting: stopping`);
    await twin.stop(false);
    return 130;
  }
  let ok = true;
  try {
    log(`booted ${twin.nodes.length} VMs in ${Math.round((Date.now() - started) / 1000)} s (${twin.accelerator}); from inside each guest:`);
    for (const node of twin.nodes) {
      const report = await twin.reportOf(node);
      reportLines(report, node.healthyAfterMs).forEach((line) => console.log(line));
      if (report.cloudInit !== "done" || report.unit.state !== "active/running") {
        ok = false;
        (await twin.failureOf(node)).forEach((line) => console.log(line));
      }
    }
    if (!options.check) {
      log(`load balancer ${twin.lbAddress}:${twin.clientPort} inside network namespace ${twin.network?.namespace} (ip netns exec ${twin.network?.namespace} …); Ctrl-C stops it`);
      await options.signal;
      return 0;
    }
    const verified = await Promise.race([runVerify(twin), options.signal.then(() => 130)]);
    ok = ok && verified === 0;
    return ok ? 0 : 1;
  } finally {
    if (!ok) log(`kept ${twin.workDir}: serial logs in ${twin.nodes.map((node) => join(node.dir, "serial.log")).join(", ")}`);
    await twin.stop(!ok);
    log("stopped every VM (QEMU by PID), haproxy and the metadata and mirror services, and removed the network namespace");
  }
}

/** Runs verify (TLS, token, JetStream) from inside the namespace through the load balancer; prints its output. */
async function runVerify(twin: VmTwin): Promise<number> {
  const { token, user, password } = twin.credentials;
  const credentialsFile = join(twin.workDir, "verify-credentials");
  const lines = token !== undefined ? [`NATS_TOKEN=${token}`] : user !== undefined ? [`NATS_USER=${user}`, `NATS_PASSWORD=${password ?? ""}`] : [];
  writeFileSync(credentialsFile, lines.map((line) => `${line}\n`).join(""), { mode: 0o600 });
  const monitorPort = twin.healthCheck.protocol === "http" ? twin.healthCheck.port : undefined;
  const argv = [
    "env", ...(twin.caFile === undefined ? [] : [`NATS_CA=${twin.caFile}`, ...(twin.credentials.tls?.serverName === undefined ? [] : [`NATS_TLS_SERVER_NAME=${twin.credentials.tls.serverName}`])]),
    process.execPath, "--import", "tsx", join(__dirname, "..", "scripts", "verify.ts"),
    "--lb", twin.lbAddress,
    "--expect-nodes", String(twin.nodes.length),
    "--client-port", String(twin.clientPort),
    ...(twin.publishedMonitorPort === undefined ? [] : ["--monitor-port", String(twin.publishedMonitorPort)]),
    ...(monitorPort === undefined ? [] : ["--nodes", twin.nodes.map((_node, i) => `${VM_ADDRESSES.private(i)}:${monitorPort}`).join(",")]),
    ...(twin.healthCheck.path === undefined ? [] : ["--health-path", twin.healthCheck.path]),
    ...(twin.jetstream ? ["--jetstream"] : []),
    "--credentials-file", credentialsFile,
    "--timeout", "120",
  ];
  const logFile = join(twin.workDir, "verify.log");
  const status = await twin.runInside(argv, logFile);
  readFileSync(logFile, "utf8").trimEnd().split("\n").forEach((line) => console.log(`verify: ${line}`));
  return status;
}
