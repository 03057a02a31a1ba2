import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { lock } from "proper-lockfile";
import { cacheRoot } from "../twin/nats-binary";

/**
 * The guest: Debian trixie, not Ubuntu 24.04 (droplets run `ubuntu-24-04-x64`; Ubuntu's archive is
 * not reachable from here). What differs: cloud-init 25.1 (Ubuntu 24.04: 24.x/25.x), systemd 257
 * (Ubuntu: 255), the kernel (Debian's cloud kernel), the default user (`debian`, Ubuntu: `ubuntu`)
 * and no snapd or DigitalOcean agent.
 */
export const GUEST_DESCRIPTION = "Debian trixie (cloud-init 25.1, systemd 257, Debian's cloud kernel), not Ubuntu 24.04";

/** Everything the guest carries besides debootstrap's minimal base. */
export const GUEST_PACKAGES = [
  "systemd-sysv", "udev", "dbus", "kmod", "linux-image-cloud-amd64",
  // python3-cffi-backend: cloud-init 25.1 in trixie needs it and does not depend on it.
  "cloud-init", "python3-cffi-backend",
  // What the user_data's scripts call: curl, sha256sum (coreutils), tar, blkid and mount (util-linux), mkfs.ext4.
  "curl", "ca-certificates", "e2fsprogs", "iproute2",
  // A droplet runs sshd; cloud-init's ssh module generates its host keys.
  "openssh-server",
  // The VM twin reads the guest's state through the QEMU guest agent, never through user_data.
  "qemu-guest-agent",
] as const;

const SUITE = "trixie";
const MIRROR = "http://deb.debian.org/debian";
const IMAGE_SIZE = "3G";

/** Files of a built image. */
export interface GuestImage {
  readonly dir: string;
  /** ext4 root filesystem, raw; each VM boots a qcow2 overlay of it. */
  readonly root: string;
  readonly kernel: string;
  readonly initrd: string;
}

/** The configuration written into the image after debootstrap: only what a cloud image has too. */
const IMAGE_FILES: Readonly<Record<string, string>> = {
  "etc/fstab": "/dev/vda / ext4 defaults,errors=remount-ro 0 1\n",
  // The seed ISO is the only datasource: no probing of others.
  "etc/cloud/cloud.cfg.d/90-vm-twin.cfg": "datasource_list: [NoCloud]\n",
  // Empty: systemd gives each VM its own machine id at first boot, as on a new droplet.
  "etc/machine-id": "",
  "etc/hostname": "localhost\n",
};

/**
 * The cache key: the package list, the image configuration and this module's source (its build
 * steps), read as text so that tsx and ts-jest, which compile it differently, agree on it.
 */
export function imageKey(): string {
  const hash = createHash("sha256");
  hash.update(JSON.stringify({ suite: SUITE, packages: GUEST_PACKAGES, files: IMAGE_FILES, size: IMAGE_SIZE, source: readFileSync(__filename, "utf8") }));
  return hash.digest("hex").slice(0, 16);
}

/** `${XDG_CACHE_HOME:-~/.cache}/nats-cluster-do/vm`. */
export function vmCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), "..", "vm");
}

/** The cached image for the current key, built first when missing (about 150 s, once), under a lock. */
export async function ensureImage(log: (line: string) => void, env: NodeJS.ProcessEnv = process.env): Promise<GuestImage> {
  const root = vmCacheRoot(env);
  mkdirSync(root, { recursive: true });
  const dir = join(root, `image-${imageKey()}`);
  const ready = (): GuestImage | undefined => (existsSync(join(dir, "root.img")) ? imageIn(dir) : undefined);
  const cached = ready();
  if (cached !== undefined) return cached;
  const release = await lock(root, { realpath: false, stale: 60_000, retries: { retries: 900, minTimeout: 1000, maxTimeout: 1000, factor: 1 } });
  try {
    const built = ready();
    if (built !== undefined) return built;
    log(`building the guest image (${GUEST_DESCRIPTION}) into ${dir}: debootstrap takes a few minutes, once`);
    const staging = join(root, `.build-${process.pid}`);
    rmSync(staging, { recursive: true, force: true });
    try {
      await buildImage(staging, log);
      rmSync(dir, { recursive: true, force: true });
      renameSync(staging, dir);
      // Images of other keys (an older package list or build) are never used again.
      for (const old of readdirSync(root).filter((name) => name.startsWith("image-") && join(root, name) !== dir)) rmSync(join(root, old), { recursive: true, force: true });
    } finally {
      unmountUnder(staging);
      rmSync(staging, { recursive: true, force: true });
    }
    return imageIn(dir);
  } finally {
    await release();
  }
}

/** debootstrap into `dir/tree`, the image files, then kernel, initrd and an ext4 image of the tree. */
async function buildImage(dir: string, log: (line: string) => void): Promise<void> {
  const tree = join(dir, "tree");
  mkdirSync(tree, { recursive: true });
  await run("debootstrap", ["--variant=minbase", `--include=${GUEST_PACKAGES.join(",")}`, SUITE, tree, MIRROR], log);
  for (const [path, content] of Object.entries(IMAGE_FILES)) writeFileSync(join(tree, path), content);
  // cloud-init renders the seed's network-config for systemd-networkd, which Debian leaves disabled.
  await run("chroot", [tree, "systemctl", "enable", "systemd-networkd.service"], log);
  rmSync(join(tree, "var", "cache", "apt", "archives"), { recursive: true, force: true });
  mkdirSync(join(tree, "var", "cache", "apt", "archives", "partial"), { recursive: true });
  const boot = readdirSync(join(tree, "boot"));
  const kernel = boot.find((name) => name.startsWith("vmlinuz-"));
  const initrd = boot.find((name) => name.startsWith("initrd.img-"));
  if (kernel === undefined || initrd === undefined) throw new Error(`the guest image has no kernel or initrd in /boot (found ${boot.join(", ")})`);
  renameSync(join(tree, "boot", kernel), join(dir, "vmlinuz"));
  renameSync(join(tree, "boot", initrd), join(dir, "initrd.img"));
  await run("mkfs.ext4", ["-q", "-L", "root", "-d", tree, join(dir, "root.img"), IMAGE_SIZE], log);
  rmSync(tree, { recursive: true, force: true });
}

/** Unmounts whatever a failed debootstrap left mounted below `dir` (/proc, /sys), so that removing it stays inside it. */
function unmountUnder(dir: string): void {
  const mounts = readFileSync("/proc/mounts", "utf8").split("\n").map((line) => line.split(" ")[1]).filter((point) => point !== undefined && point.startsWith(`${dir}/`));
  for (const point of mounts.sort().reverse()) spawnSync("umount", ["--lazy", point], { stdio: "ignore" });
}

function imageIn(dir: string): GuestImage {
  return { dir, root: join(dir, "root.img"), kernel: join(dir, "vmlinuz"), initrd: join(dir, "initrd.img") };
}

/** Runs a command at low priority, passing its output lines to `log`; fails naming it and its last lines. */
export function run(command: string, args: readonly string[], log: (line: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("nice", ["-n", "10", command, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    let stdout = "";
    const collect = (chunk: Buffer, isStdout: boolean): void => {
      const text = chunk.toString();
      output = (output + text).slice(-20_000);
      if (isStdout) stdout += text;
      for (const line of text.split("\n")) if (line.trim() !== "") log(`${command}: ${line.trim()}`);
    };
    child.stdout.on("data", (chunk: Buffer) => collect(chunk, true));
    child.stderr.on("data", (chunk: Buffer) => collect(chunk, false));
    child.once("error", (error) => reject(new Error(`${command} could not be run (${error.message}): the VM twin needs qemu-system-x86, qemu-utils, debootstrap, xorriso, iproute2 and haproxy`)));
    child.once("close", (code) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`${command} failed (exit ${code}):\n${output.trimEnd().split("\n").slice(-10).join("\n")}`));
    });
  });
}
