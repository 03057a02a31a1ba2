import { ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { CloudInitProps, renderCloudInit } from "../constructs/cloud-init";
import { natsRelease } from "../facts/nats-releases";

// Integration test: runs the droplet's boot scripts, as rendered, in /bin/sh with the real curl,
// sha256sum and tar. What stands in for the droplet: a network namespace whose metadata address
// appears late (the network coming up after bootcmd started), and a fake `curl`/`dpkg` for the
// install script, which reads the "mirror" from a directory. Paths under / (/etc/nats,
// /usr/local/bin) are moved into a temporary directory by plain text substitution; nothing else
// of the scripts is changed. The VM tests (vm/, npm run test:vm) run them under cloud-init itself.
jest.setTimeout(60_000);

const BASE: CloudInitProps = { serverName: "nats-1", clusterName: "nats", clientPort: 4222, monitorPort: 8222, clusterPort: 6222, natsVersion: "2.15.0" };

interface CloudConfig {
  bootcmd: string[][];
  write_files: { path: string; content: string }[];
}
const config = parse(renderCloudInit(BASE)) as CloudConfig;

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), "boot-scripts-"));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

/** Resolves with the exit status and stderr of a child once it has exited. */
function exited(child: ChildProcess): Promise<{ status: number | null; stderr: string }> {
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once("close", (status) => resolve({ status, stderr })));
}

describe("bootcmd before the network is up (defect 1)", () => {
  const namespace = `bootcmd-${process.pid}`;
  const ip = (...args: string[]): void => void execFileSync("ip", args, { stdio: "pipe" });
  let server: ChildProcess | undefined;
  let boot: ChildProcess | undefined;

  beforeAll(() => {
    if (process.getuid?.() !== 0) throw new Error("this test creates a network namespace: run it as root (CI does)");
    ip("netns", "add", namespace);
    ip("-n", namespace, "link", "set", "lo", "up");
  });

  afterAll(() => {
    for (const child of [boot, server]) if (child?.pid !== undefined && child.exitCode === null) process.kill(child.pid, "SIGKILL");
    spawnSync("ip", ["netns", "del", namespace]);
  });

  test("writes node.env once the metadata service becomes reachable 3 s after bootcmd started", async () => {
    const [command] = config.bootcmd;
    expect(command.slice(0, 2)).toEqual(["sh", "-c"]);
    const etc = join(work, "etc-nats");
    boot = spawn("ip", ["netns", "exec", namespace, "sh", "-c", command[2].replaceAll("/etc/nats", etc)], { stdio: ["ignore", "ignore", "pipe"] });
    const done = exited(boot);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    // Until now 169.254.169.254 had no route: curl failed with "network unreachable" (exit 7).
    expect(boot.exitCode).toBeNull();
    ip("-n", namespace, "link", "add", "metadata", "type", "bridge");
    ip("-n", namespace, "addr", "add", "169.254.169.254/16", "dev", "metadata");
    ip("-n", namespace, "link", "set", "metadata", "up");
    const answers = { "/metadata/v1/interfaces/private/0/ipv4/address": "10.10.0.5", "/metadata/v1/interfaces/public/0/ipv4/address": "203.0.113.5" };
    const script = `const a = ${JSON.stringify(answers)}; require("http").createServer((q, r) => { const b = a[q.url]; r.statusCode = b ? 200 : 404; r.end(b ?? ""); }).listen(80, "169.254.169.254");`;
    server = spawn("ip", ["netns", "exec", namespace, process.execPath, "-e", script], { stdio: "ignore" });
    const { status, stderr } = await done;
    expect({ status, stderr }).toEqual({ status: 0, stderr: expect.any(String) });
    expect(readFileSync(join(etc, "node.env"), "utf8")).toBe("PRIVATE_IP=10.10.0.5\nPUBLIC_IP=203.0.113.5\n");
  });
});

describe("install script (a mirror cannot change what is installed)", () => {
  const install = config.write_files.find((file) => file.path === "/usr/local/sbin/install-nats-server")!.content;
  const pinned = natsRelease("2.15.0")!.sha256.amd64;

  /** A mirror directory in nats-io's layout holding a tarball of a fake nats-server, and its SHA256SUMS. */
  function mirror(): { dir: string; sha256: string } {
    const dir = join(work, "mirror");
    const name = "nats-server-v2.15.0-linux-amd64";
    mkdirSync(join(work, "build", name), { recursive: true });
    writeFileSync(join(work, "build", name, "nats-server"), "#!/bin/sh\necho 'nats-server: v2.15.0'\n", { mode: 0o755 });
    mkdirSync(join(dir, "v2.15.0"), { recursive: true });
    const tarball = join(dir, "v2.15.0", `${name}.tar.gz`);
    execFileSync("tar", ["-czf", tarball, "-C", join(work, "build"), name]);
    const sha256 = createHash("sha256").update(readFileSync(tarball)).digest("hex");
    writeFileSync(join(dir, "v2.15.0", "SHA256SUMS"), `${sha256}  ${name}.tar.gz\n`);
    return { dir, sha256 };
  }

  /** Runs the install script with `dpkg` saying amd64 and `curl` copying from the mirror directory. */
  function runInstall(script: string, mirrorDir: string): { status: number | null; stdout: string; stderr: string; installed: boolean } {
    const bin = join(work, "bin");
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, "dpkg"), "#!/bin/sh\necho amd64\n", { mode: 0o755 });
    // curl -fsSL --retry 5 -o FILE URL: copies the URL's path below the release base from the mirror.
    writeFileSync(join(bin, "curl"), `#!/bin/sh\nwhile [ "$1" != "-o" ]; do shift; done\ncp "${mirrorDir}/\${3#https://github.com/nats-io/nats-server/releases/download/}" "$2"\n`, { mode: 0o755 });
    const target = join(work, "nats-server");
    const file = join(work, "install-nats-server");
    writeFileSync(file, script.replace("/usr/local/bin/nats-server", target));
    chmodSync(file, 0o755);
    const run = spawnSync(file, [], { env: { PATH: `${bin}:${process.env.PATH}` }, encoding: "utf8" });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr, installed: existsSync(target) };
  }

  test("refuses a tarball whose SHA-256 is not the pinned one, even with a SHA256SUMS from the mirror that matches it", () => {
    const { dir, sha256 } = mirror();
    expect(sha256).not.toBe(pinned);
    const run = runInstall(install, dir);
    expect(run.status).not.toBe(0);
    expect(run.stdout).toBe("nats-server-v2.15.0-linux-amd64.tar.gz: FAILED\n");
    expect(run.stderr).toContain("computed checksum did NOT match");
    expect(run.installed).toBe(false);
  });

  test("installs the tarball whose SHA-256 is pinned (the pin replaced by the local tarball's, as the VM twin does)", () => {
    const { dir, sha256 } = mirror();
    expect(install).toContain(`amd64) sha256="${pinned}"`);
    const run = runInstall(install.replace(pinned, sha256), dir);
    expect(run).toEqual({ status: 0, stdout: "nats-server-v2.15.0-linux-amd64.tar.gz: OK\n", stderr: "", installed: true });
  });
});
