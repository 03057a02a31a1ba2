import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { renderCloudInit } from "../constructs/cloud-init";
import { GUEST_PACKAGES, imageKey } from "../vm/image";
import { qemuArgs } from "../vm/qemu";
import { pointAtMirror } from "../vm/release-mirror";
import { parseReport, reportLines } from "../vm/report";
import { macAddress, networkConfig } from "../vm/seed";
import { metadataAnswer } from "../vm/services";
import { removeAllButLogs } from "../vm/vm-twin";

// The VM twin's pure parts: what it substitutes in a user_data, how it presents a volume, what
// the metadata service answers and how a guest's report is read. Booting is in __tests__/vm/.

const USER_DATA = renderCloudInit({ serverName: "nats-1", clusterName: "nats", clientPort: 4222, clusterPort: 6222, natsVersion: "2.15.0" });
const LOCAL = { path: "v2.15.0/nats-server-v2.15.0-linux-amd64.tar.gz", sha256: "a".repeat(64) };

describe("pointAtMirror", () => {
  test("changes the release base and the amd64 checksum, and nothing else", () => {
    const { userData, substitutions } = pointAtMirror(USER_DATA, "http://10.10.0.1:8080", LOCAL, "nats-1");
    expect(userData).toContain('base="http://10.10.0.1:8080/v$version"');
    expect(userData).toContain(`amd64) sha256="${"a".repeat(64)}" ;;`);
    expect(userData).toContain('arm64) sha256="cdc208f5a3f42963a52b6ab06ef65626bb870315dc936e26ba571780c6351112" ;;');
    const changed = userData.split("\n").filter((line, i) => line !== USER_DATA.split("\n")[i]);
    expect(changed).toHaveLength(2);
    expect(substitutions.map((s) => [s.from, s.to])).toEqual([
      ["https://github.com/nats-io/nats-server/releases/download", "http://10.10.0.1:8080"],
      ["5d2c51caca950333aba84911df7d377f826f3a59ec36061c6539105084f65c92", "a".repeat(64)],
    ]);
  });

  test("refuses an install script without a pinned amd64 checksum", () => {
    expect(() => pointAtMirror(USER_DATA.replace(/amd64\) sha256="[0-9a-f]+"/, "amd64) sha256=x"), "http://m", LOCAL, "nats-1")).toThrow(
      "the install script of nats-1 has no release base or no pinned amd64 SHA-256",
    );
  });
});

describe("qemuArgs", () => {
  const spec = {
    name: "nats-1", dir: "/w", image: { dir: "/i", root: "/i/root.img", kernel: "/i/vmlinuz", initrd: "/i/initrd.img" }, rootDisk: "/w/root.qcow2", seedIso: "/w/seed.iso",
    volumes: [{ name: "nats-1-data", file: "/w/volume.img" }], tap: "tap0", mac: macAddress(0), inside: (argv: readonly string[]) => [...argv], accelerator: "tcg" as const,
  };

  test("presents a volume as DigitalOcean does: virtio-scsi, vendor DO, product Volume, the volume's name as serial", () => {
    const args = qemuArgs(spec, "/w/serial.log", "/w/agent.sock").join(" ");
    expect(args).toContain("-device virtio-scsi-pci,id=scsi0");
    expect(args).toContain("-device scsi-hd,bus=scsi0.0,drive=volume0,vendor=DO,product=Volume,serial=nats-1-data");
    expect(args).toContain("-netdev tap,id=net0,ifname=tap0,script=no,downscript=no");
    expect(args).toContain("-machine q35,accel=tcg");
    expect(args).not.toMatch(/-netdev user|hostfwd/);
  });
});

describe("seed network-config", () => {
  test("gives VM i its private, public and link-local addresses on the NIC with its MAC", () => {
    expect(networkConfig(1, macAddress(1))).toEqual({
      version: 2,
      ethernets: { eth0: { match: { macaddress: "52:54:00:0a:00:0c" }, "set-name": "eth0", addresses: ["10.10.0.12/24", "203.0.113.12/24", "169.254.0.12/16"] } },
    });
  });
});

describe("metadata service", () => {
  const answers = { privateAddress: "10.10.0.11", publicAddress: "203.0.113.11", hostname: "nats-1" };

  test("answers the paths the bootcmd reads, under DigitalOcean's paths, and nothing else", () => {
    const boot = (parse(USER_DATA) as { bootcmd: string[][] }).bootcmd.flat().join(" ");
    for (const [, path] of boot.matchAll(/http:\/\/169\.254\.169\.254(\/[\w/.]+)/g)) expect(metadataAnswer(answers, path)).toMatch(/^(10\.10\.0\.11|203\.0\.113\.11)$/);
    expect(metadataAnswer(answers, "/metadata/v1/user-data")).toBeUndefined();
  });
});

describe("guest report", () => {
  const output = [
    "## cloud-init",
    JSON.stringify({ status: "done", errors: [], recoverable_errors: { WARNING: ["Unable to find a system nic for eth1"] } }),
    "## unit",
    "ActiveState=active\nSubState=running\nResult=success\nNRestarts=0",
    "## mount",
    "/dev/sda  ext4",
    "## files",
    "nats:nats 600 /etc/nats/nats-server.conf\nroot:root 644 /etc/nats/node.env",
    "",
  ].join("\n");

  test("reads cloud-init's status and warnings, the unit, the mount and the files", () => {
    expect(parseReport("nats-1", output, "/mnt/nats-data")).toEqual({
      name: "nats-1",
      mountPoint: "/mnt/nats-data",
      cloudInit: "done",
      cloudInitProblems: ["WARNING: Unable to find a system nic for eth1"],
      unit: { state: "active/running", result: "success", restarts: 0 },
      mount: "/dev/sda ext4",
      files: ["nats:nats 600 /etc/nats/nats-server.conf", "root:root 644 /etc/nats/node.env"],
    });
  });

  test("a guest that prints escape sequences cannot reach the terminal raw", () => {
    const report = parseReport("nats-1", output.replace("Unable to find", "\u001b]0;owned\u0007Unable"));
    expect(reportLines(report, 95_000).join("\n")).not.toContain("\u001b");
    expect(reportLines(report, 95_000)[0]).toContain("healthy 95.0 s after power-on");
  });

  test("the volume line names the mount point the plan's unit asks for", () => {
    expect(reportLines(parseReport("nats-1", output, "/mnt/nats-data"), undefined)).toContain("  volume: /dev/sda ext4 at /mnt/nats-data");
    expect(reportLines(parseReport("nats-1", output.replace("/dev/sda  ext4", ""), "/mnt/nats-data"), undefined)).toContain("  volume: nothing mounted at /mnt/nats-data");
    expect(reportLines(parseReport("nats-1", output), undefined).some((line) => line.startsWith("  volume:"))).toBe(false);
  });
});

describe("guest image", () => {
  test("carries cloud-init with python3-cffi-backend (cloud-init 25.1 in trixie needs it) and the guest agent", () => {
    expect(GUEST_PACKAGES).toEqual(expect.arrayContaining(["cloud-init", "python3-cffi-backend", "qemu-guest-agent", "linux-image-cloud-amd64"]));
    expect(imageKey()).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe("a failed boot's kept files", () => {
  test("are the logs only: disks, seeds, keys and credentials (the plan's secrets) are removed", () => {
    const dir = mkdtempSync(join(tmpdir(), "vm-kept-"));
    try {
      for (const file of ["nats-1/serial.log", "nats-1/qemu-1.log", "nats-1/seed/user-data", "nats-1/seed.iso", "nats-1/root.qcow2", "tls/ca-key.pem", "verify-credentials", "haproxy-lb.log"]) {
        mkdirSync(join(dir, file, ".."), { recursive: true });
        writeFileSync(join(dir, file), "x");
      }
      removeAllButLogs(dir);
      expect(readdirSync(dir, { recursive: true }).map(String).sort()).toEqual(["haproxy-lb.log", "nats-1", join("nats-1", "qemu-1.log"), join("nats-1", "serial.log")]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
