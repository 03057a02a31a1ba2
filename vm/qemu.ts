import { execFileSync } from "node:child_process";
import { appendFileSync, existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { GuestImage, run } from "./image";
import { Started, poll, startProcess, stopProcess } from "../twin/process";

/** One VM's disks, devices and files. */
export interface VmSpec {
  readonly name: string;
  readonly dir: string;
  readonly image: GuestImage;
  /** The qcow2 overlay of the image: the droplet's root disk. */
  readonly rootDisk: string;
  readonly seedIso: string;
  /** Block-storage volumes: the name DigitalOcean gives the volume (its by-id serial) and its raw file. */
  readonly volumes: readonly { readonly name: string; readonly file: string }[];
  readonly tap: string;
  readonly mac: string;
  /** `ip netns exec <ns>`: QEMU opens its tap inside the namespace. */
  readonly inside: (argv: readonly string[]) => string[];
  readonly accelerator: "kvm" | "tcg";
  /** @default 1 */
  readonly vcpus?: number;
  /** @default 1024 */
  readonly memoryMib?: number;
}

/** A running VM: QEMU's PID, its serial console log and the guest agent's socket. */
export interface RunningVm {
  readonly name: string;
  readonly process: Started;
  readonly serialLog: string;
  readonly agentSocket: string;
  /** False once QEMU has exited. */
  isRunning(): boolean;
}

/** A new qcow2 overlay of the image (a new droplet's root disk); an existing one is replaced. */
export async function createRootDisk(file: string, image: GuestImage, log: (line: string) => void): Promise<void> {
  rmSync(file, { force: true });
  await run("qemu-img", ["create", "-q", "-f", "qcow2", "-F", "raw", "-b", image.root, file], log);
}

/** A sparse raw file of `sizeGib` GiB: a new, empty volume. */
export async function createVolume(file: string, sizeGib: number, log: (line: string) => void): Promise<void> {
  await run("qemu-img", ["create", "-q", "-f", "raw", file, `${sizeGib}G`], log);
}

/**
 * The QEMU command line: the image's kernel and initrd, the root disk on virtio, the seed ISO,
 * each volume presented as DigitalOcean presents it (virtio-scsi, vendor DO, product Volume, the
 * volume's name as serial: /dev/disk/by-id/scsi-0DO_Volume_<name>), one NIC on the tap, the
 * serial console to a file and the guest agent's channel. No display, no host network.
 */
export function qemuArgs(spec: VmSpec, serialLog: string, agentSocket: string): string[] {
  return [
    "qemu-system-x86_64",
    "-name", spec.name,
    "-machine", `q35,accel=${spec.accelerator}`,
    ...(spec.accelerator === "kvm" ? ["-cpu", "host"] : ["-cpu", "max"]),
    "-smp", String(spec.vcpus ?? 1),
    "-m", String(spec.memoryMib ?? 1024),
    "-nodefaults", "-no-user-config", "-display", "none",
    "-kernel", spec.image.kernel,
    "-initrd", spec.image.initrd,
    "-append", "root=/dev/vda rw console=ttyS0 net.ifnames=0 systemd.show_status=1",
    "-drive", `file=${spec.rootDisk},if=virtio,format=qcow2`,
    "-drive", `file=${spec.seedIso},if=virtio,format=raw,readonly=on`,
    "-device", "virtio-scsi-pci,id=scsi0",
    ...spec.volumes.flatMap((volume, i) => [
      "-drive", `file=${volume.file},if=none,id=volume${i},format=raw`,
      "-device", `scsi-hd,bus=scsi0.0,drive=volume${i},vendor=DO,product=Volume,serial=${volume.name}`,
    ]),
    "-netdev", `tap,id=net0,ifname=${spec.tap},script=no,downscript=no`,
    "-device", `virtio-net-pci,netdev=net0,mac=${spec.mac}`,
    // Appended to, so that a reboot keeps the earlier boots' console.
    "-chardev", `file,id=console,path=${serialLog},append=on`,
    "-serial", "chardev:console",
    "-chardev", `socket,id=agent,path=${agentSocket},server=on,wait=off`,
    "-device", "virtio-serial-pci",
    "-device", "virtserialport,chardev=agent,name=org.qemu.guest_agent.0",
  ];
}

/** Starts QEMU at low priority inside the namespace; the serial log is appended to across boots, each marked. */
export async function startVm(spec: VmSpec, boot: number): Promise<RunningVm> {
  const serialLog = join(spec.dir, "serial.log");
  const agentSocket = join(spec.dir, "agent.sock");
  rmSync(agentSocket, { force: true });
  appendFileSync(serialLog, `\n==== vm twin: boot ${boot} of ${spec.name} ====\n`);
  // `ip netns exec` and `nice` exec QEMU in place: the PID is QEMU's.
  const argv = spec.inside(["nice", "-n", "10", ...qemuArgs(spec, serialLog, agentSocket)]);
  const qemu = await startProcess({ command: argv[0], args: argv.slice(1), cwd: spec.dir, env: process.env, logFile: join(spec.dir, `qemu-${boot}.log`) });
  await poll(() => existsSync(agentSocket), 10_000, 100, `QEMU of ${spec.name} to open its guest agent socket`);
  let running = true;
  void qemu.exited.then(() => (running = false));
  return { name: spec.name, process: qemu, serialLog, agentSocket, isRunning: () => running };
}

/** Stops QEMU by PID: SIGTERM (QEMU exits at once, like pulling the plug), SIGKILL after 5 s. */
export async function stopVm(vm: RunningVm): Promise<void> {
  await stopProcess(vm.process.pid, "SIGTERM", 5000);
}

/**
 * Whether KVM can run the guest's kernel here: boots it without a root disk with `-accel kvm`
 * and waits up to 20 s for the kernel's panic about the missing root filesystem. A /dev/kvm
 * that cannot run a stock kernel (an emulation failure) never gets there.
 */
export async function kvmWorks(image: GuestImage, dir: string, log: (line: string) => void): Promise<boolean> {
  if (!existsSync("/dev/kvm")) return false;
  const serial = join(dir, "kvm-probe.log");
  rmSync(serial, { force: true });
  try {
    execFileSync("timeout", ["20", "qemu-system-x86_64", "-machine", "q35,accel=kvm", "-cpu", "host", "-m", "256", "-nodefaults", "-display", "none", "-no-reboot",
      "-kernel", image.kernel, "-append", "console=ttyS0 panic=-1", "-serial", `file:${serial}`], { stdio: "pipe" });
  } catch (error) {
    log(`kvm probe: ${(error as Error).message.split("\n")[0]}`);
  }
  const output = existsSync(serial) ? readFileSync(serial, "utf8") : "";
  return /Kernel panic|VFS: Unable to mount root/.test(output);
}
