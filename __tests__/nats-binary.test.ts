import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { lock } from "proper-lockfile";
import { poll } from "../twin/process";
import { closedPort } from "./loopback";
import { ArchiveRelease, NatsArchive, cacheRoot, ensureNatsServer, minorOf, parseMadison, versionOf } from "../twin/nats-binary";

// Integration test: runs nats-server binaries and a locked fetch.
jest.setTimeout(60_000);

/** A stand-in binary whose `--version` prints `reports`. */
function fakeServer(file: string, reports: string): string {
  mkdirSync(join(file, ".."), { recursive: true });
  writeFileSync(file, `#!/bin/sh\necho "${reports}"\n`);
  chmodSync(file, 0o755);
  return file;
}

/** An archive offering `versions`; records what it was asked. `reports` overrides what an installed binary says. */
function fakeArchive(versions: string[], reports: Record<string, string> = {}): NatsArchive & { listed: number; installed: string[] } {
  const archive = {
    description: "the test archive",
    listed: 0,
    installed: [] as string[],
    async releases(log: (line: string) => void): Promise<ArchiveRelease[]> {
      archive.listed++;
      log("listing the test archive");
      return versions.map((version) => ({
        version,
        source: `test ${version}`,
        async install(file: string) {
          archive.installed.push(version);
          fakeServer(file, reports[version] ?? `nats-server: v${version}`);
        },
      }));
    },
  };
  return archive;
}

let home: string;
let env: NodeJS.ProcessEnv;
let lines: string[];
const log = (line: string): void => {
  lines.push(line);
};

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), "nats-binary-"));
  env = { XDG_CACHE_HOME: join(home, "cache"), PATH: join(home, "bin") };
  lines = [];
});

afterEach(() => rmSync(home, { recursive: true, force: true }));

describe("ensureNatsServer", () => {
  test("uses the binary NATS_TWIN_SERVER names when its major.minor matches, without asking the archive", async () => {
    const path = fakeServer(join(home, "mine", "nats-server"), "nats-server: v2.15.0");
    const archive = fakeArchive(["2.15.1"]);
    await expect(ensureNatsServer("2.15.1", { env: { ...env, NATS_TWIN_SERVER: path }, archive })).resolves.toEqual({ path, version: "2.15.0" });
    expect(archive.listed).toBe(0);
  });

  test("refuses a NATS_TWIN_SERVER of another major.minor, naming both versions, unless the mismatch is allowed", async () => {
    const path = fakeServer(join(home, "old", "nats-server"), "nats-server: v2.9.10");
    const options = { env: { ...env, NATS_TWIN_SERVER: path }, archive: fakeArchive([]) };
    await expect(ensureNatsServer("2.15.1", options)).rejects.toThrow(/NATS_TWIN_SERVER=.* is nats-server 2\.9\.10 but the plan installs 2\.15\.1.*--allow-version-mismatch/);
    await expect(ensureNatsServer("2.15.1", { ...options, allowMismatch: true })).resolves.toEqual({ path, version: "2.9.10" });
  });

  test("rejects a NATS_TWIN_SERVER that is not a nats-server", async () => {
    const path = fakeServer(join(home, "other", "tool"), "something else 1.0");
    await expect(ensureNatsServer("2.15.1", { env: { ...env, NATS_TWIN_SERVER: path }, archive: fakeArchive([]) })).rejects.toThrow(/NATS_TWIN_SERVER=.*tool is not a nats-server binary/);
  });

  test("uses a nats-server on PATH of the same major.minor", async () => {
    const path = fakeServer(join(home, "bin", "nats-server"), "nats-server: v2.15.0");
    const archive = fakeArchive(["2.15.1"]);
    await expect(ensureNatsServer("2.15.1", { env, archive })).resolves.toEqual({ path, version: "2.15.0" });
    expect(archive.listed).toBe(0);
  });

  test("fetches the newest patch of the minor into the cache once, with progress lines, when PATH has another minor", async () => {
    fakeServer(join(home, "bin", "nats-server"), "nats-server: v2.9.10");
    const archive = fakeArchive(["2.10.27", "2.15.0", "2.15.1"]);
    const expected = { path: join(home, "cache", "nats-cluster-do", "nats-server", "2.15.1", "nats-server"), version: "2.15.1" };
    await expect(ensureNatsServer("2.15.0", { env, archive, log })).resolves.toEqual(expected);
    expect(lines.join("\n")).toMatch(/nats-server 2\.15\.x is not in .*PATH has 2\.9\.10.*fetching it from the test archive/);
    expect(lines.join("\n")).toMatch(/downloading nats-server 2\.15\.1 from test 2\.15\.1/);
    await expect(ensureNatsServer("2.15.1", { env, archive })).resolves.toEqual(expected);
    expect(archive.installed).toEqual(["2.15.1"]);
    expect(readdirSync(cacheRoot(env))).toEqual(["2.15.1"]);
  });

  test("prefers the cached exact version over a newer cached patch", async () => {
    const root = cacheRoot(env);
    fakeServer(join(root, "2.15.1", "nats-server"), "nats-server: v2.15.1");
    const exact = fakeServer(join(root, "2.15.0", "nats-server"), "nats-server: v2.15.0");
    await expect(ensureNatsServer("2.15.0", { env, archive: fakeArchive([]) })).resolves.toEqual({ path: exact, version: "2.15.0" });
  });

  test("fetches again a cached binary whose --version does not match its directory", async () => {
    const root = cacheRoot(env);
    mkdirSync(join(root, "2.15.1"), { recursive: true });
    writeFileSync(join(root, "2.15.1", "nats-server"), "\x7fELF truncated");
    chmodSync(join(root, "2.15.1", "nats-server"), 0o755);
    const archive = fakeArchive(["2.15.1"]);
    await expect(ensureNatsServer("2.15.1", { env, archive })).resolves.toEqual({ path: join(root, "2.15.1", "nats-server"), version: "2.15.1" });
    expect(archive.installed).toEqual(["2.15.1"]);
    await expect(versionOf(join(root, "2.15.1", "nats-server"))).resolves.toBe("2.15.1");
  });

  test("keeps nothing in the cache when the fetched binary reports another version", async () => {
    const archive = fakeArchive(["2.15.1"], { "2.15.1": "nats-server: v2.14.0" });
    await expect(ensureNatsServer("2.15.1", { env, archive })).rejects.toThrow(/fetching it failed: nats-server from test 2\.15\.1 reports 2\.14\.0, expected 2\.15\.1/);
    expect(readdirSync(cacheRoot(env))).toEqual([]);
  });

  test("fails naming the versions found and the environment variable when the archive lacks the minor", async () => {
    fakeServer(join(home, "bin", "nats-server"), "nats-server: v2.9.10");
    const archive = fakeArchive(["2.10.27", "2.15.1"]);
    await expect(ensureNatsServer("2.12.3", { env, archive })).rejects.toThrow(
      "no nats-server 2.12.x: the test archive has no nats-server 2.12.x (it offers 2.10.27, 2.15.1); " +
        `PATH has 2.9.10 at ${join(home, "bin", "nats-server")}. Point NATS_TWIN_SERVER at a nats-server 2.12.x binary`,
    );
    await expect(ensureNatsServer("2.12.3", { env, archive, allowMismatch: true, log })).resolves.toEqual({ path: join(home, "bin", "nats-server"), version: "2.9.10" });
    expect(lines.join("\n")).toMatch(/warning: .*using nats-server 2\.9\.10 .* although the plan installs 2\.12\.3 \(mismatch allowed\)/);
  });

  test("fails with the archive's error when fetching fails", async () => {
    const archive: NatsArchive = {
      description: "an unreachable archive",
      releases: () => Promise.reject(new Error("apt-get failed (exit 100): Temporary failure resolving 'deb.debian.org'")),
    };
    await expect(ensureNatsServer("2.15.1", { env, archive })).rejects.toThrow(/no nats-server 2\.15\.x: fetching it failed: apt-get failed .*; none on PATH\. Point NATS_TWIN_SERVER/);
  });

  test("concurrent callers in one process (the twin's nodes) share one look-up, one fetch and its progress lines", async () => {
    const archive = fakeArchive(["2.15.1"]);
    const results = await Promise.all([1, 2, 3].map(() => ensureNatsServer("2.15.1", { env, archive, log })));
    expect(results.map((result) => result.path)).toEqual(Array(3).fill(join(cacheRoot(env), "2.15.1", "nats-server")));
    expect(archive.installed).toEqual(["2.15.1"]);
    expect(archive.listed).toBe(1);
    expect(lines.filter((line) => line.includes("fetching it from"))).toHaveLength(1);
    expect(lines.filter((line) => line.includes("another process is fetching"))).toEqual([]);
    expect(existsSync(`${cacheRoot(env)}.lock`)).toBe(false);
  });

  test("concurrent callers in one process share one failure: the archive is asked once", async () => {
    let asked = 0;
    const archive: NatsArchive = {
      description: "an unreachable archive",
      releases: () => {
        asked++;
        return Promise.reject(new Error("apt-get failed (exit 100): Temporary failure resolving 'deb.debian.org'"));
      },
    };
    const results = await Promise.allSettled([1, 2, 3].map(() => ensureNatsServer("2.15.1", { env, archive, log })));
    expect(results.map((result) => result.status)).toEqual(["rejected", "rejected", "rejected"]);
    expect(asked).toBe(1);
  });

  test("waits for another process that holds the cache's lock, then finds what it fetched", async () => {
    const root = cacheRoot(env);
    mkdirSync(root, { recursive: true });
    const release = await lock(root, { realpath: false });
    const archive = fakeArchive(["2.15.1"]);
    const waiting = ensureNatsServer("2.15.1", { env, archive, log });
    await poll(() => lines.some((line) => line === `another process is fetching into ${root}: waiting for it`), 5000, 20, "the wait to be announced");
    fakeServer(join(root, "2.15.1", "nats-server"), "nats-server: v2.15.1");
    await release();
    await expect(waiting).resolves.toEqual({ path: join(root, "2.15.1", "nats-server"), version: "2.15.1" });
    expect(archive.listed).toBe(0);
  });

  test("offline, the twin fetches once and fails once, naming apt's errors once", async () => {
    // Offline as apt sees it: its proxy (http_proxy, which apt honours) is a closed port on loopback,
    // so every download fails at once and nothing leaves this machine.
    const run = spawnSync(process.execPath, ["--import", "tsx", "scripts/twin.ts", "--address-base", "127.26.4.10"], {
      cwd: join(__dirname, ".."),
      env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", XDG_CACHE_HOME: env.XDG_CACHE_HOME, TMPDIR: home, CHECKPOINT_DISABLE: "1", http_proxy: `http://127.26.4.1:${await closedPort("127.26.4.1")}` },
      encoding: "utf8",
      timeout: 120_000,
    });
    const output = `${run.stdout}${run.stderr}`;
    expect(run.status).toBe(1);
    expect(output.match(/fetching it from Debian's archive/g)).toHaveLength(1);
    expect(output).not.toContain("another process is fetching");
    expect(output.match(/updating the package lists/g)).toHaveLength(1);
    expect(output.match(/Failed to fetch http:\/\/deb\.debian\.org\/debian\/dists\/trixie\/InRelease/g)).toHaveLength(1);
    expect(output).toMatch(/^twin: no nats-server 2\.15\.x: fetching it failed: apt-get failed \(exit 100\): Failed to fetch .*Connection refused.*Point NATS_TWIN_SERVER at a nats-server 2\.15\.x binary$/m);
  });

  test.each(["2.10.024", "v2.11.0", "2.11", "2.11.0-rc.1", ""])("rejects the version %j", async (version) => {
    await expect(ensureNatsServer(version, { env, archive: fakeArchive([]) })).rejects.toThrow(/is not valid: expected X\.Y\.Z/);
  });
});

describe("minorOf", () => {
  test.each([
    ["2.15.1", "2.15"],
    ["2.10.0", "2.10"],
    ["10.0.3", "10.0"],
  ])("%s is in line %s", (version, minor) => {
    expect(minorOf(version)).toBe(minor);
  });
});

describe("parseMadison", () => {
  test("reads upstream version, Debian version and suite from apt-cache madison", () => {
    const output = [
      "nats-server |   2.15.1-1 | http://deb.debian.org/debian sid/main amd64 Packages",
      "nats-server | 2.10.27-1+b2 | http://deb.debian.org/debian trixie/main amd64 Packages",
      "nats-server | 1:3.0.0~rc1-2 | http://deb.debian.org/debian experimental/main amd64 Packages",
      "nats-server-doc | 2.15.1-1 | http://deb.debian.org/debian sid/main amd64 Packages",
      "",
    ].join("\n");
    expect(parseMadison(output)).toEqual([
      { version: "2.15.1", debianVersion: "2.15.1-1", suite: "sid" },
      { version: "2.10.27", debianVersion: "2.10.27-1+b2", suite: "trixie" },
      { version: "3.0.0~rc1", debianVersion: "1:3.0.0~rc1-2", suite: "experimental" },
    ]);
  });
});
