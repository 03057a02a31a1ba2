import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { envPrefix } from "../facts/env-prefix";
import { withNatsVersion } from "../plan/nodes";
import { freshStackFile, stackFile, synthesize } from "../plan/synth";
import { readPlan } from "../twin/plan";
import { minorOf } from "../twin/nats-binary";
import { JetStreamMetaGroupError } from "../twin/readiness";
import { Twin, TwinOptions, bootTwin } from "../twin/twin";
import { RollResult, roll } from "./driver";
import { readRollPlan } from "./plan";
import { PUBSUB_LOSS_WINDOW_MS, TrafficWindow, p99, startTraffic } from "./traffic";
import { TwinTarget } from "./twin-target";
import { sleep } from "../helpers/retry";

/** Options of {@link rollTwin}. */
export interface TwinRollOptions {
  /** The plan the twin boots (what the droplets run now). */
  readonly fromPlan: string;
  /** The plan to roll to: a synthesis of the same stack. */
  readonly toPlan: string;
  readonly timeScale?: number;
  readonly addressBase?: string;
  readonly force?: boolean;
  /** Pause after each node is ready. @default 0 */
  readonly settleMs?: number;
  readonly log: (line: string) => void;
  readonly signal?: AbortSignal;
  readonly resumeHint: string;
}

/** What a twin roll did and what the traffic saw. */
export interface TwinRollReport extends RollResult {
  /** Traffic before the roll started (the twin at rest). */
  readonly atRest: TrafficWindow;
  /** Traffic during the roll. */
  readonly during: TrafficWindow;
  /** The subscriber still received messages after the roll. */
  readonly subscribed: boolean;
  /** Every node had a route to every other after the roll. */
  readonly meshWhole: boolean;
  /** The nats-server versions the plans install, before and after. */
  readonly versions: readonly [string, string];
}

/**
 * The 2.10 release existing clusters run (this stack installed 2.10.x until it pinned 2.15):
 * the newest 2.10 Debian packages (trixie), the version the upgrade test and bench roll from.
 */
export const LEGACY_NATS_VERSION = "2.10.27";

/**
 * Boots the plan a roll starts from. A plan of nats-server 2.10 whose JetStream meta group did
 * not form is booted once more: on 2.10.27 about 1 twin boot in 50 leaves the meta leader
 * never seeing one follower current (3 of about 160 here, none in 129 boots of 2.15.1), a
 * defect of that line, which no version the stack deploys (2.11 or newer) shows. The roll under
 * test only starts from a cluster that formed; any other failure, or a second one, is thrown.
 */
export async function bootRollSource(options: TwinOptions & { readonly planFile: string }): Promise<Twin> {
  try {
    return await bootTwin(options);
  } catch (error) {
    const legacy = minorOf(versionOf(options.planFile)) === minorOf(LEGACY_NATS_VERSION);
    if (!legacy || !((error as Error).cause instanceof JetStreamMetaGroupError)) throw error;
    options.log?.(`booting again: ${(error as Error).message}`);
    return bootTwin(options);
  }
}

/** How long the traffic runs on the booted twin before the roll, for the at-rest figures. */
const REST_MS = 3000;

/**
 * Boots `fromPlan` in the twin, starts request/reply and pub/sub traffic through its load
 * balancer, rolls every node that differs to `toPlan` one at a time, and reports.
 */
export async function rollTwin(options: TwinRollOptions): Promise<TwinRollReport> {
  const running = readRollPlan(options.fromPlan);
  const desired = readRollPlan(options.toPlan);
  const twin = await bootRollSource({ planFile: options.fromPlan, timeScale: options.timeScale, addressBase: options.addressBase, log: options.log });
  try {
    // Clients move off a lame duck once the load balancer can have marked it down.
    const lameDuckMoveMs = twin.healthCheck.fall * twin.healthCheck.intervalMs + twin.healthCheck.timeoutMs;
    const traffic = await startTraffic({ server: `nats://${twin.lbAddress}:${twin.clientPort}`, credentials: twin.credentials, lameDuckMoveMs });
    let result: RollResult;
    let atRest: TrafficWindow;
    try {
      await sleep(REST_MS);
      atRest = traffic.window();
      options.log(`at rest: ${atRest.requests} requests, p99 ${p99(atRest).toFixed(1)} ms`);
      result = await roll(new TwinTarget(twin, running, desired), options);
    } catch (error) {
      await traffic.stop();
      throw error;
    }
    const last = await traffic.stop();
    return {
      ...result,
      atRest,
      during: last,
      subscribed: last.subscribed,
      meshWhole: await twin.meshWhole(),
      versions: [versionOf(options.fromPlan), versionOf(options.toPlan)],
    };
  } finally {
    await twin.stop();
  }
}

function versionOf(file: string): string {
  return readPlan(file).droplets[0].natsVersion;
}

/**
 * The last line of a twin roll, and whether it succeeded: the roll returned (every differing node
 * was replaced), the mesh is whole, the subscriber still subscribed, no request failed twice and
 * the stream lost at most {@link PUBSUB_LOSS_WINDOW_MS} per node replaced.
 */
export function summaryLine(report: Pick<TwinRollReport, "replaced" | "during" | "meshWhole" | "subscribed">): { line: string; ok: boolean } {
  const { during } = report;
  const allowedMs = report.replaced.length * PUBSUB_LOSS_WINDOW_MS;
  const line =
    `roll: ${report.replaced.length} nodes replaced, ${during.failed} failed requests (${during.failedAfterRetry} after one retry), longest gap ${during.longestGapMs} ms, ` +
    `pub/sub ${during.received}/${during.published} delivered (${Math.round(during.lostMs)} ms of the stream lost, at most ${allowedMs} ms allowed)`;
  return { line, ok: report.meshWhole && report.subscribed && during.failedAfterRetry === 0 && during.lostMs <= allowedMs };
}

/** Two plans of `stack` for a twin roll, in a fresh directory the caller removes. */
export interface TwinRollPlans {
  readonly dir: string;
  readonly fromPlan: string;
  readonly toPlan: string;
}

/**
 * Synthesizes `stack` for a twin roll: the plan to roll to with the stack's version setting
 * (NATS_VERSION for `nats`) at `toVersion` and its size setting at `toSize` (default: the stack as
 * configured), and the plan to boot: the stack as configured with its install script pinned to
 * `fromVersion` (default: unchanged). Pinning the old version into today's plan lets the twin
 * boot a version that a new synthesis refuses.
 */
export function synthesizeRollPlans(stack: string, fromVersion: string | undefined, toVersion: string | undefined, toSize?: string): TwinRollPlans {
  const dir = mkdtempSync(join(tmpdir(), "nats-roll-"));
  try {
    const current = freshStackFile(stack);
    const prefix = envPrefix(stack);
    const env = { ...(toVersion === undefined ? {} : { [`${prefix}VERSION`]: toVersion }), ...(toSize === undefined ? {} : { [`${prefix}SIZE`]: toSize }) };
    const toPlan = Object.keys(env).length === 0 ? current : stackFile(synthesize({ outdir: join(dir, "to"), env }).outdir, stack);
    const fromPlan = fromVersion === undefined ? current : join(dir, "from", "cdk.tf.json");
    if (fromVersion !== undefined) {
      const plan = JSON.parse(readFileSync(current, "utf8")) as { resource: { digitalocean_droplet: Record<string, { user_data: string }> } };
      for (const droplet of Object.values(plan.resource.digitalocean_droplet)) droplet.user_data = withNatsVersion(droplet.user_data, fromVersion);
      mkdirSync(dirname(fromPlan), { recursive: true });
      writeFileSync(fromPlan, JSON.stringify(plan, null, 2));
    }
    return { dir, fromPlan, toPlan };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
