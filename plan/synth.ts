import { spawnSync } from "node:child_process";
import { Hash, createHash } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { preProcessFile } from "typescript";
import { SETTINGS_RECORD, SettingsRecord, readSettingsRecord } from "./settings-record";

/** The project root (where cdktf.json and main.ts live). */
export const PROJECT_ROOT = resolve(__dirname, "..");

/** Stacks that main.ts synthesizes. */
export const STACKS = ["nats", "nats-tutorial"] as const;

/** Where the app writes: cdktf.out in the project root, or CDKTF_OUTDIR as cdktf's App honours it. */
export function defaultOutdir(): string {
  return resolve(PROJECT_ROOT, process.env.CDKTF_OUTDIR ?? "cdktf.out");
}

/** The app command of cdktf.json, split for spawn: `node --import tsx main.ts`. */
export const APP_COMMAND: readonly string[] = [process.execPath, "--import", "tsx", "main.ts"];

/** Options for one run of the cdktf app. */
export interface SynthOptions {
  /** Output directory (CDKTF_OUTDIR); the parent must exist. @default "cdktf.out" in the project root */
  readonly outdir?: string;
  /** Extra environment, e.g. `{ NATS_NODE_COUNT: "5" }`. */
  readonly env?: Readonly<Record<string, string>>;
  /** Command to run instead of {@link APP_COMMAND}. */
  readonly command?: readonly string[];
}

/** What a run of the app produced. */
export interface SynthResult {
  readonly outdir: string;
  /** Wall-clock time of the app process, in milliseconds. */
  readonly ms: number;
}

/** A run of the app that may have failed. */
export interface AppRun extends SynthResult {
  readonly status: number | null;
  readonly stderr: string;
}

/**
 * The environment cdktf commands get here: the caller's, with checkpoint calls disabled and
 * without TF_CLI_CONFIG_FILE (it points at a missing file on these machines), plus `extra`.
 */
export function cdktfEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: "1", ...extra };
  delete env.TF_CLI_CONFIG_FILE;
  return env;
}

/** The parts of cdktf.json that `cdktf synth` hands to the app. */
interface CdktfJson {
  readonly context?: Record<string, unknown>;
  readonly terraformModules?: readonly (string | { readonly source: string })[];
}

/**
 * CDKTF_CONTEXT_JSON as `cdktf synth` sets it for the app: cdktf.json's `context` (when it has
 * one, it replaces the caller's CDKTF_CONTEXT_JSON), plus `cdktfRelativeModules`, the
 * terraformModules of cdktf.json with a relative source.
 */
export function appContextJson(env: NodeJS.ProcessEnv = process.env, cdktfJson = join(PROJECT_ROOT, "cdktf.json")): string {
  const config = JSON.parse(readFileSync(cdktfJson, "utf8")) as CdktfJson;
  const context = config.context ? config.context : env.CDKTF_CONTEXT_JSON ? (JSON.parse(env.CDKTF_CONTEXT_JSON) as Record<string, unknown>) : {};
  const relativeModules = (config.terraformModules ?? []).filter((module) => /^\.\.?\//.test(typeof module === "string" ? module : module.source));
  return JSON.stringify({ ...context, cdktfRelativeModules: relativeModules });
}

/**
 * The app's environment under `cdktf synth`: the caller's without TF_VAR_* (cdktf keeps
 * Terraform variables from the synthesis), cdktf.json's context in CDKTF_CONTEXT_JSON, and
 * `extra` (which may set NATS_* settings and CDKTF_OUTDIR). Unlike `cdktf synth`, error
 * annotations stay fatal in the app (CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS is not set),
 * so a failed synthesis exits non-zero here as it fails there.
 */
export function appEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env = cdktfEnv();
  for (const name of Object.keys(env)) if (name.startsWith("TF_VAR_")) delete env[name];
  return { ...env, CDKTF_CONTEXT_JSON: appContextJson(env), ...extra };
}

/** Runs the cdktf app (synthesis without the cdktf CLI), as `cdktf synth` would, and reports how it ended. */
export function runApp(options: SynthOptions = {}): AppRun {
  const outdir = options.outdir === undefined ? defaultOutdir() : resolve(PROJECT_ROOT, options.outdir);
  const [command, ...args] = options.command ?? APP_COMMAND;
  const started = process.hrtime.bigint();
  const run = spawnSync(command, args, {
    cwd: PROJECT_ROOT,
    env: appEnv({ ...options.env, CDKTF_OUTDIR: outdir }),
    encoding: "utf8",
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  return { outdir, ms, status: run.status, stderr: run.stderr || run.error?.message || "" };
}

/** Runs the cdktf app and throws with its stderr when it fails. */
export function synthesize(options: SynthOptions = {}): SynthResult {
  const run = runApp(options);
  if (run.status !== 0) {
    throw new Error(`synthesis with ${(options.command ?? APP_COMMAND).join(" ")} failed (exit ${run.status}): ${run.stderr}`);
  }
  return { outdir: run.outdir, ms: run.ms };
}

/** Path of a stack's Terraform JSON inside a cdktf output directory. */
export function stackFile(outdir: string, stack: string): string {
  return join(outdir, "stacks", stack, "cdk.tf.json");
}

/**
 * The synthesized JSON of `stack` in `outdir`, synthesizing first when it is missing or stale
 * (see {@link inputsStamp}), or when it is not the file this function last synthesized there
 * (`cdktf synth` with other settings wrote it since). Concurrent callers (parallel test files)
 * wait on a lock file instead of synthesizing twice.
 */
export function freshStackFile(stack: string, outdir = defaultOutdir()): string {
  const file = stackFile(outdir, stack);
  if (isStale(outdir)) synthesizeLocked(outdir);
  if (!existsSync(file)) {
    throw new Error(`stack ${JSON.stringify(stack)} was not synthesized: expected ${file}; main.ts writes ${STACKS.join(", ")}`);
  }
  return file;
}

/**
 * True when `stack`'s synthesized JSON in `outdir` is missing or stale (the check
 * {@link freshStackFile} re-synthesizes on), for tools that must not act on an old plan.
 */
export function isStackStale(stack: string, outdir = defaultOutdir()): boolean {
  return isStale(outdir) || !existsSync(stackFile(outdir, stack));
}

/**
 * Every local module the app imports, transitively from main.ts (relative imports of .ts and
 * .json files), as paths relative to `root`, sorted.
 */
export function appModules(root = PROJECT_ROOT, entry = "main.ts"): string[] {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    if (!file.endsWith(".ts")) return;
    for (const { fileName } of preProcessFile(readFileSync(file, "utf8"), true, false).importedFiles) {
      if (fileName.startsWith(".")) visit(resolveModule(resolve(dirname(file), fileName)));
    }
  };
  visit(resolve(root, entry));
  return [...seen].map((file) => relative(root, file)).sort();
}

/** Entry points whose modules a synthesis reads: the app, and the verify CLI the readiness gate bundles into each stack. */
export const SYNTH_ENTRIES: readonly string[] = ["main.ts", join("scripts", "verify.ts")];

/** Every local module of {@link SYNTH_ENTRIES}, relative to `root`, sorted. */
export function synthModules(root = PROJECT_ROOT): string[] {
  return [...new Set(SYNTH_ENTRIES.flatMap((entry) => appModules(root, entry)))].sort();
}

function resolveModule(base: string): string {
  const candidate = [`${base}.ts`, join(base, "index.ts"), base].find((path) => existsSync(path) && statSync(path).isFile());
  if (candidate === undefined) throw new Error(`cannot resolve the import ${base} of the app`);
  return candidate;
}

/**
 * A hash of everything a synthesis depends on: the content of every module the app imports,
 * and of every module of scripts/verify.ts (the readiness gate bundles it into the stack),
 * every file in templates/ (read at synth), cdktf.json (app command and context),
 * package-lock.json (library versions), and the environment the app reads: its NATS_*
 * settings and the context it is handed.
 */
export function inputsStamp(env: NodeJS.ProcessEnv = process.env, root = PROJECT_ROOT): string {
  const settings = Object.entries(env)
    .filter(([name]) => name.startsWith("NATS_"))
    .sort(([a], [b]) => a.localeCompare(b));
  return hashSources(root).update(JSON.stringify({ settings, context: appContextJson(env, join(root, "cdktf.json")) })).digest("hex");
}

/** A hash fed every file a synthesis reads, path and content. */
function hashSources(root: string): Hash {
  const hash = createHash("sha256");
  for (const file of sourceFiles(root)) hash.update(`${file}\0`).update(readFileSync(join(root, file))).update("\0");
  return hash;
}

/** Every file a synthesis reads, relative to `root`: the modules of {@link SYNTH_ENTRIES}, templates/, cdktf.json and package-lock.json. */
function sourceFiles(root: string): string[] {
  return [...synthModules(root), ...listFiles(join(root, "templates")).map((file) => relative(root, file)), "cdktf.json", "package-lock.json"];
}

/** A plan handed out for review: its file, what it was made with, and why it was synthesized again, if it was. */
export interface ReviewedPlan {
  readonly file: string;
  readonly record: SettingsRecord;
  /** Why the plan in the output directory was not reviewed as it was, and what it was made with before. */
  readonly synthesized?: { readonly reason: string; readonly before?: SettingsRecord };
}

/**
 * The plan of `stack` as it is in `outdir`, whichever synthesis wrote it (`cdktf synth` with
 * any settings): only a missing plan, a plan without a settings record, or one older than a
 * file the app reads (see {@link inputsStamp}) is synthesized again, with this environment's
 * settings, and the result says why.
 */
export function planToReview(stack: string, outdir = defaultOutdir()): ReviewedPlan {
  const file = stackFile(outdir, stack);
  const before = existsSync(file) ? readSettingsRecord(outdir, stack) : undefined;
  const reason = !existsSync(file)
    ? `${outdir} had no plan of stack ${stack}`
    : before === undefined
      ? `the plan had no record of its settings (${SETTINGS_RECORD}, written by every synthesis since it was added)`
      : newerSources(statSync(file).mtimeMs);
  if (reason === undefined) return { file, record: before as SettingsRecord };
  synthesizeLocked(outdir);
  const record = readSettingsRecord(outdir, stack);
  if (!existsSync(file) || record === undefined) {
    throw new Error(`stack ${JSON.stringify(stack)} was not synthesized: expected ${file} and ${SETTINGS_RECORD} beside it; main.ts writes ${STACKS.join(", ")}`);
  }
  return { file, record, synthesized: { reason, before } };
}

/** Which files the app reads changed after `mtimeMs` (a plan's time), or undefined when none did. */
function newerSources(mtimeMs: number): string | undefined {
  const newer = sourceFiles(PROJECT_ROOT).filter((file) => statSync(join(PROJECT_ROOT, file)).mtimeMs > mtimeMs);
  if (newer.length === 0) return undefined;
  const named = newer.length > 3 ? `${newer.slice(0, 3).join(", ")} and ${newer.length - 3} more` : newer.join(", ");
  return `${named} changed since the plan was made`;
}

/** What the last synthesis by {@link freshStackFile} in an output directory was made of and wrote. */
interface Stamp {
  readonly inputs: string;
  /** sha256 of each stack's cdk.tf.json. */
  readonly outputs: Record<string, string>;
}

function stampFile(outdir: string): string {
  return join(outdir, ".nats-synth-stamp.json");
}

function fileHash(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

function isStale(outdir: string): boolean {
  if (!existsSync(stampFile(outdir))) return true;
  const stamp = JSON.parse(readFileSync(stampFile(outdir), "utf8")) as Stamp;
  if (stamp.inputs !== inputsStamp()) return true;
  return STACKS.some((stack) => {
    const file = stackFile(outdir, stack);
    return !existsSync(file) || fileHash(file) !== stamp.outputs[stack];
  });
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

function synthesizeLocked(outdir: string): void {
  const lock = join(outdir, ".synth.lock");
  const fd = tryLock(lock);
  if (fd === undefined) {
    waitForUnlock(lock);
    if (isStale(outdir)) synthesizeLocked(outdir);
    return;
  }
  try {
    rmSync(stampFile(outdir), { force: true });
    const inputs = inputsStamp();
    synthesize({ outdir });
    // A stack the app did not write stays out of the stamp: it is stale, and its caller names it.
    const outputs = Object.fromEntries(STACKS.filter((stack) => existsSync(stackFile(outdir, stack))).map((stack) => [stack, fileHash(stackFile(outdir, stack))]));
    writeFileSync(stampFile(outdir), JSON.stringify({ inputs, outputs } satisfies Stamp));
  } finally {
    closeSync(fd);
    unlinkSync(lock);
  }
}

function tryLock(lock: string): number | undefined {
  mkdirSync(resolve(lock, ".."), { recursive: true });
  try {
    return openSync(lock, "wx");
  } catch {
    if (Date.now() - statSync(lock).mtimeMs > 60_000) {
      unlinkSync(lock);
      return tryLock(lock);
    }
    return undefined;
  }
}

function waitForUnlock(lock: string): void {
  const deadline = Date.now() + 60_000;
  while (existsSync(lock) && Date.now() < deadline) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
}
