import { execFile, spawn } from "node:child_process";
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";
import { lock } from "proper-lockfile";

/** Environment variable naming a nats-server binary the twin must use. */
export const SERVER_ENV = "NATS_TWIN_SERVER";

/** A nats-server binary and the version its `--version` reports. */
export interface NatsServerBinary {
  readonly path: string;
  readonly version: string;
}

/** One release an archive offers. */
export interface ArchiveRelease {
  /** Upstream version, e.g. "2.15.1". */
  readonly version: string;
  /** Where it comes from, for progress lines, e.g. "sid (2.15.1-1)". */
  readonly source: string;
  /** Writes the release's nats-server binary to `file`. */
  install(file: string, log: (line: string) => void): Promise<void>;
}

/** Where missing versions are fetched from. */
export interface NatsArchive {
  /** For messages, e.g. "Debian's archive (trixie, sid)". */
  readonly description: string;
  /** Every release on offer. */
  releases(log: (line: string) => void): Promise<ArchiveRelease[]>;
}

/** Options of {@link ensureNatsServer}. */
export interface EnsureOptions {
  /** Receives progress lines. @default - silent */
  readonly log?: (line: string) => void;
  /**
   * Accepts a binary of another major.minor: the one NATS_TWIN_SERVER names, or, when no
   * matching one can be found or fetched, the one on PATH.
   * @default false - a major.minor mismatch is an error naming both versions
   */
  readonly allowMismatch?: boolean;
  /** Where NATS_TWIN_SERVER, XDG_CACHE_HOME, HOME and PATH are read. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** @default - Debian's archive through apt, lists kept next to the cache (debianArchive) */
  readonly archive?: NatsArchive;
}

/** Debian suites searched for a nats-server release, oldest first. */
export const DEBIAN_SUITES = ["trixie", "sid"] as const;

const DEBIAN_MIRROR = "http://deb.debian.org/debian";
const DEBIAN_KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg";
const RELEASE = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;
const LOCK_WAIT_MS = 15 * 60_000;

/**
 * Returns a nats-server whose major.minor equals `version`'s: the binary NATS_TWIN_SERVER
 * names, else a cached one (the exact version first, then the newest patch), else the first
 * on PATH. When none matches it fetches the newest patch of that major.minor from the archive
 * (Debian trixie and sid by default) into the per-user cache, once, under a lock shared with
 * concurrent callers (parallel test workers, a second twin). A cached binary whose `--version`
 * does not report its directory's version is fetched again.
 */
export function ensureNatsServer(version: string, options: EnsureOptions = {}): Promise<NatsServerBinary> {
  const env = options.env ?? process.env;
  const key = [version, env[SERVER_ENV], cacheRoot(env), env.PATH, options.allowMismatch === true].join("\0");
  const calls = sharedCalls(options.archive);
  const pending = calls.get(key) ?? findOrFetch(version, options).finally(() => calls.delete(key));
  calls.set(key, pending);
  return pending;
}

/**
 * Calls of {@link ensureNatsServer} in progress in this process, by archive (the default one
 * under DEFAULT_ARCHIVE) and arguments: concurrent callers (the twin's nodes, which all install
 * the same version) share one look-up, one fetch and one failure, and its progress lines.
 */
const inProgress = new WeakMap<object, Map<string, Promise<NatsServerBinary>>>();
const DEFAULT_ARCHIVE = {};

function sharedCalls(archive: NatsArchive | undefined): Map<string, Promise<NatsServerBinary>> {
  const owner = archive ?? DEFAULT_ARCHIVE;
  const calls = inProgress.get(owner) ?? new Map<string, Promise<NatsServerBinary>>();
  inProgress.set(owner, calls);
  return calls;
}

async function findOrFetch(version: string, options: EnsureOptions): Promise<NatsServerBinary> {
  const log = options.log ?? ((): void => undefined);
  const env = options.env ?? process.env;
  const wanted = minorOf(version);
  const explicit = env[SERVER_ENV];
  if (explicit !== undefined && explicit !== "") return explicitBinary(explicit, version, options.allowMismatch === true);

  const root = cacheRoot(env);
  const cached = await findCached(root, version);
  if (cached !== undefined) return cached;
  const onPath = await findOnPath(env.PATH ?? "");
  if (onPath !== undefined && minorOf(onPath.version) === wanted) return onPath;

  const archive = options.archive ?? debianArchive(join(root, "..", "apt"));
  const seen = onPath === undefined ? "none on PATH" : `PATH has ${onPath.version} at ${onPath.path}`;
  log(`nats-server ${wanted}.x is not in ${root} (${seen}): fetching it from ${archive.description}`);
  let problem: string;
  try {
    const fetched = await withLock(root, log, async () => (await findCached(root, version)) ?? fetchInto(root, version, archive, log));
    if (!Array.isArray(fetched)) return fetched;
    problem = `${archive.description} has no nats-server ${wanted}.x (it offers ${fetched.length === 0 ? "none" : fetched.join(", ")})`;
  } catch (error) {
    problem = `fetching it failed: ${(error as Error).message}`;
  }
  if (options.allowMismatch === true && onPath !== undefined) {
    log(`warning: ${problem}; using nats-server ${onPath.version} at ${onPath.path} although the plan installs ${version} (mismatch allowed)`);
    return onPath;
  }
  throw new Error(`no nats-server ${wanted}.x: ${problem}; ${seen}. Point ${SERVER_ENV} at a nats-server ${wanted}.x binary`);
}

/** Runs `action` holding the cache's lock, shared with other processes (a second twin, test workers); waits for a holder to finish. */
async function withLock<T>(root: string, log: (line: string) => void, action: () => Promise<T>): Promise<T> {
  mkdirSync(root, { recursive: true });
  // A holder refreshes the lock every 30 s; one silent for 60 s (crashed) is taken over.
  const options = { realpath: false, stale: 60_000 };
  const release = await lock(root, options).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== "ELOCKED") throw error;
    log(`another process is fetching into ${root}: waiting for it`);
    return lock(root, { ...options, retries: { retries: LOCK_WAIT_MS / 1000, minTimeout: 1000, maxTimeout: 1000, factor: 1 } });
  });
  try {
    return await action();
  } finally {
    await release();
  }
}

/** The major.minor of an `X.Y.Z` version; fails on anything else. */
export function minorOf(version: string): string {
  const match = RELEASE.exec(version);
  if (match === null) throw new Error(`nats-server version ${JSON.stringify(version)} is not valid: expected X.Y.Z such as 2.15.1`);
  return `${match[1]}.${match[2]}`;
}

/** The version `<binary> --version` reports, or undefined when it does not run or says something else. */
export async function versionOf(binary: string): Promise<string | undefined> {
  try {
    const { stdout } = await promisify(execFile)(binary, ["--version"], { timeout: 10_000 });
    return /^nats-server: v(\d+\.\d+\.\d+)\s*$/.exec(stdout)?.[1];
  } catch {
    return undefined;
  }
}

/** `${XDG_CACHE_HOME:-~/.cache}/nats-cluster-do/nats-server`: one directory per version. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME !== undefined && env.XDG_CACHE_HOME !== "" ? env.XDG_CACHE_HOME : join(env.HOME ?? homedir(), ".cache");
  return join(base, "nats-cluster-do", "nats-server");
}

async function explicitBinary(path: string, version: string, allowMismatch: boolean): Promise<NatsServerBinary> {
  const found = await versionOf(path);
  if (found === undefined) throw new Error(`${SERVER_ENV}=${path} is not a nats-server binary: \`${path} --version\` did not report a version`);
  if (minorOf(found) !== minorOf(version) && !allowMismatch) {
    throw new Error(`${SERVER_ENV}=${path} is nats-server ${found} but the plan installs ${version}: point it at a nats-server ${minorOf(version)}.x binary, unset it, or allow the mismatch (--allow-version-mismatch)`);
  }
  return { path, version: found };
}

/**
 * The cached binary of `version`'s major.minor whose --version reports its directory's name:
 * `version` itself first, then the newest patch.
 */
async function findCached(root: string, version: string): Promise<NatsServerBinary | undefined> {
  const wanted = minorOf(version);
  const versions = existsSync(root) ? readdirSync(root).filter((name) => RELEASE.test(name) && minorOf(name) === wanted) : [];
  const order = versions.sort(byVersion).reverse().sort((a, b) => Number(b === version) - Number(a === version));
  for (const candidate of order) {
    const path = join(root, candidate, "nats-server");
    if ((await versionOf(path)) === candidate) return { path, version: candidate };
  }
  return undefined;
}

async function findOnPath(searchPath: string): Promise<NatsServerBinary | undefined> {
  for (const dir of searchPath.split(delimiter).filter((entry) => entry !== "")) {
    const path = join(dir, "nats-server");
    try {
      accessSync(path, constants.X_OK);
    } catch {
      continue;
    }
    const version = await versionOf(path);
    if (version !== undefined) return { path, version };
  }
  return undefined;
}

/**
 * Installs the archive's newest release of `version`'s major.minor as `<root>/<release>/nats-server`:
 * into a temporary directory first, checked with --version, then renamed into place. Without
 * such a release it returns the versions the archive offers.
 */
async function fetchInto(root: string, version: string, archive: NatsArchive, log: (line: string) => void): Promise<NatsServerBinary | string[]> {
  const wanted = minorOf(version);
  const offered = (await archive.releases(log)).filter((release) => RELEASE.test(release.version));
  const release = offered.filter((candidate) => minorOf(candidate.version) === wanted).sort((a, b) => byVersion(a.version, b.version)).pop();
  if (release === undefined) return [...new Set(offered.map((candidate) => candidate.version))].sort(byVersion);
  log(`downloading nats-server ${release.version} from ${release.source}`);
  const staging = mkdtempSync(join(root, ".fetch-"));
  try {
    const binary = join(staging, "nats-server");
    await release.install(binary, log);
    const reported = await versionOf(binary);
    if (reported !== release.version) {
      throw new Error(`nats-server from ${release.source} reports ${reported ?? "no version"}, expected ${release.version}`);
    }
    const target = join(root, release.version);
    rmSync(target, { recursive: true, force: true });
    renameSync(staging, target);
    log(`nats-server ${release.version} cached in ${target}`);
    return { path: join(target, "nats-server"), version: release.version };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

function byVersion(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  return pa[0] - pb[0] || pa[1] - pb[1] || pa[2] - pb[2];
}

/**
 * Debian's archive through apt, without touching the system's sources: a private sources list
 * and package lists under the cache, checked against Debian's archive keyring.
 */
export function debianArchive(root: string): NatsArchive {
  return {
    description: `Debian's archive (${DEBIAN_SUITES.join(", ")})`,
    releases: (log) => debianReleases(root, log),
  };
}

async function debianReleases(root: string, log: (line: string) => void): Promise<ArchiveRelease[]> {
  const options = prepareApt(root);
  log(`updating the package lists of ${DEBIAN_SUITES.join(" and ")} in ${root}`);
  // Without --error-on=any apt-get update exits 0 when it could not download a list.
  await run("apt-get", [...options, "update", "--error-on=any"], root, log);
  const madison = await run("apt-cache", [...options, "madison", "nats-server"], root, () => undefined);
  return parseMadison(madison).map((entry) => debianRelease(entry, root, options));
}

/** A nats-server package apt offers. */
export interface DebianPackage {
  /** Upstream version, e.g. "2.10.27". */
  readonly version: string;
  /** Debian version, e.g. "2.10.27-1+b2". */
  readonly debianVersion: string;
  /** The suite it comes from, e.g. "trixie". */
  readonly suite: string;
}

/** The nats-server packages in `apt-cache madison nats-server` output. */
export function parseMadison(output: string): DebianPackage[] {
  return output
    .split("\n")
    .map((line) => line.split("|").map((field) => field.trim()))
    .filter((fields) => fields.length === 3 && fields[0] === "nats-server")
    .map(([, debianVersion, origin]) => ({
      version: debianVersion.replace(/^\d+:/, "").replace(/-[^-]*$/, ""),
      debianVersion,
      suite: /\/debian\s+([\w-]+)\//.exec(origin)?.[1] ?? origin,
    }));
}

function debianRelease({ version, debianVersion, suite }: DebianPackage, aptRoot: string, options: readonly string[]): ArchiveRelease {
  return {
    version,
    source: `Debian ${suite} (${debianVersion})`,
    async install(file, log) {
      const work = mkdtempSync(join(aptRoot, "download-"));
      try {
        await run("apt-get", [...options, "download", `nats-server=${debianVersion}`], work, log);
        const deb = readdirSync(work).find((name) => name.endsWith(".deb"));
        if (deb === undefined) throw new Error(`apt-get download nats-server=${debianVersion} wrote no .deb`);
        await run("dpkg", ["-x", deb, "tree"], work, log);
        renameSync(join(work, "tree", "usr", "sbin", "nats-server"), file);
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    },
  };
}

/** apt options that use only `root`'s sources list, package lists and caches. */
function prepareApt(root: string): string[] {
  if (!existsSync(DEBIAN_KEYRING)) {
    throw new Error(`${DEBIAN_KEYRING} is missing: install the debian-archive-keyring package (apt-get install debian-archive-keyring), or point ${SERVER_ENV} at a nats-server binary`);
  }
  for (const dir of ["lists/partial", "cache/archives/partial"]) mkdirSync(join(root, dir), { recursive: true });
  const sources = DEBIAN_SUITES.map((suite) => `deb [signed-by=${DEBIAN_KEYRING}] ${DEBIAN_MIRROR} ${suite} main`).join("\n");
  writeFileSync(join(root, "sources.list"), `${sources}\n`);
  return [
    "-q",
    "-o", `Dir::Etc::sourcelist=${join(root, "sources.list")}`,
    "-o", "Dir::Etc::sourceparts=/dev/null",
    "-o", `Dir::State::Lists=${join(root, "lists")}`,
    "-o", `Dir::Cache=${join(root, "cache")}`,
    "-o", "Dir::State::status=/dev/null",
    "-o", "Dir::Etc::preferences=/dev/null",
    "-o", "Dir::Etc::preferencesparts=/dev/null",
    "-o", "Acquire::Languages=none",
    // The files live in the user's cache, which apt's unprivileged _apt user cannot enter.
    "-o", "APT::Sandbox::User=root",
  ];
}

/**
 * Runs a command in `cwd`, passing its output lines to `log` except apt's error lines (`E: …`);
 * resolves with stdout, fails naming the command and those error lines (else its last output),
 * so that a failure is said once.
 */
function run(command: string, args: readonly string[], cwd: string, log: (line: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let output = "";
    const errors: string[] = [];
    const streams = { stdout: "", stderr: "" };
    const collect = (chunk: Buffer, stream: keyof typeof streams): void => {
      const text = chunk.toString();
      if (stream === "stdout") stdout += text;
      output += text;
      // Chunks end anywhere: only whole lines are passed on.
      const lines = (streams[stream] + text).split("\n");
      streams[stream] = lines.pop() as string;
      for (const line of lines.map((whole) => whole.trim()).filter((whole) => whole !== "")) {
        if (line.startsWith("E: ")) errors.push(line.slice(3));
        else log(`${command}: ${line}`);
      }
    };
    child.stdout.on("data", (chunk: Buffer) => collect(chunk, "stdout"));
    child.stderr.on("data", (chunk: Buffer) => collect(chunk, "stderr"));
    child.once("error", (error) => reject(new Error(`${command} could not be run (${error.message}): fetching nats-server needs apt and dpkg (Debian or Ubuntu); elsewhere point ${SERVER_ENV} at a nats-server binary`)));
    child.once("close", (code) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`${command} failed (exit ${code}): ${errors.length > 0 ? errors.join("; ") : output.trimEnd().split("\n").slice(-10).join("\n")}`));
    });
  });
}
