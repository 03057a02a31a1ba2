import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_NATS_VERSION } from "../constructs/nats-nodes";
import { RollRefused, roll } from "../roll/driver";
import { readRollPlan } from "../roll/plan";
import { LEGACY_NATS_VERSION, TwinRollReport, bootRollSource, rollTwin, summaryLine, synthesizeRollPlans } from "../roll/twin-roll";
import { TwinTarget } from "../roll/twin-target";
import { childPids } from "../twin/probe";
import type { Twin } from "../twin/twin";

// Integration test: boots twins (nats-server and HAProxy processes).
jest.setTimeout(120_000);

// Loopback blocks of this file: load balancer on .10, nodes on .11–.13, the seed load balancer on .14.
const BASE = "127.0.6.10";
const REFUSAL_BASE = "127.0.7.10";
// Health check every 600 ms instead of 3 s; the lame duck keeps nats-server.conf's real timers.
const TIME_SCALE = 0.2;
const log = (line: string): void => {
  if (process.env.TWIN_LOG) console.log(line);
};

const plans = synthesizeRollPlans("nats", LEGACY_NATS_VERSION, undefined);
const work = mkdtempSync(join(tmpdir(), "roll-twin-"));

afterAll(() => {
  rmSync(plans.dir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
  expect(childPids()).toEqual([]);
});

/** The requirements every roll under load must meet. */
function expectCleanRoll(report: TwinRollReport): void {
  // Node 1, the seed, included and last; every step waited for the mesh to be whole again.
  expect(report.replaced).toEqual(["nats-2", "nats-3", "nats-1"]);
  expect(report.during.requests).toBeGreaterThan(100);
  expect(report.during.failedAfterRetry).toBe(0);
  expect(report.subscribed).toBe(true);
  expect(report.meshWhole).toBe(true);
  expect(summaryLine(report).ok).toBe(true);
  console.log(
    `roll ${report.versions.join(" → ")}: ${summaryLine(report).line}; per node ${report.durationsMs.join(", ")} ms; ` +
      `${report.during.received}/${report.during.published} stream messages`,
  );
}

describe("a rolling replacement of the 3-node nats stack under request/reply and pub/sub load", () => {
  test(`upgrades ${LEGACY_NATS_VERSION} to the pinned ${DEFAULT_NATS_VERSION} one node at a time, node 1 included, with 0 failed requests after one retry`, async () => {
    const report = await rollTwin({ ...plans, timeScale: TIME_SCALE, addressBase: BASE, log, resumeHint: "again" });
    expect(report.versions).toEqual([LEGACY_NATS_VERSION, DEFAULT_NATS_VERSION]);
    expectCleanRoll(report);
  }, 300_000);

  test("applies a changed server setting on the pinned version the same way", async () => {
    // A template change: nats-server.conf's lame_duck_grace_period 10s → 8s, same version.
    const plan = JSON.parse(readFileSync(plans.toPlan, "utf8")) as { resource: { digitalocean_droplet: Record<string, { user_data: string }> } };
    for (const droplet of Object.values(plan.resource.digitalocean_droplet)) {
      expect(droplet.user_data).toContain('lame_duck_grace_period: "10s"');
      droplet.user_data = droplet.user_data.replace('lame_duck_grace_period: "10s"', 'lame_duck_grace_period: "8s"');
    }
    const changed = join(work, "changed.tf.json");
    writeFileSync(changed, JSON.stringify(plan));
    const report = await rollTwin({ fromPlan: plans.toPlan, toPlan: changed, timeScale: TIME_SCALE, addressBase: BASE, log, resumeHint: "again" });
    expect(report.versions).toEqual([DEFAULT_NATS_VERSION, DEFAULT_NATS_VERSION]);
    expectCleanRoll(report);
  }, 300_000);
});

describe("a roll while another node is down", () => {
  let twin: Twin | undefined;
  afterAll(async () => twin?.stop());

  test("is refused before any node is replaced, naming the node", async () => {
    twin = await bootRollSource({ planFile: plans.fromPlan, timeScale: TIME_SCALE, addressBase: REFUSAL_BASE, log });
    await twin.kill(2);
    const target = new TwinTarget(twin, readRollPlan(plans.fromPlan), readRollPlan(plans.toPlan));
    const attempt = roll(target, { log, resumeHint: "npm run roll -- --stack nats --twin" });
    await expect(attempt).rejects.toThrow(RollRefused);
    await expect(roll(target, { log, resumeHint: "npm run roll -- --stack nats --twin" })).rejects.toThrow(
      /^not replacing nats-2: nats-3 \(not running\) is not healthy, .* or run npm run roll -- --stack nats --twin --force$/,
    );
    expect((await target.pending()).map((node) => node.name)).toEqual(["nats-1", "nats-2", "nats-3"]);
    expect(twin.nodes.map((node) => node.server.version)).toEqual([LEGACY_NATS_VERSION, LEGACY_NATS_VERSION, LEGACY_NATS_VERSION]);
  });
});
