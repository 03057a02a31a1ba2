import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { estimateCost, loadPrices } from "../plan/cost";
import { PlanDiff, diffPlans } from "../plan/diff";
import { firewallReport } from "../plan/firewall";
import { NO_FIREWALL, WORLD_OPEN_MARKER, renderDiff, renderSummary } from "../plan/markdown";
import { describeNodes } from "../plan/nodes";
import { rollEstimate } from "../plan/roll-estimate";
import { PROJECT_ROOT, cdktfEnv, stackFile, synthesize } from "../plan/synth";
import { Plan, loadPlan, parsePlan } from "../helpers/tf-json";

// Integration test: synthesizes the app and runs the CLI in child processes.
jest.setTimeout(60_000);

const work = mkdtempSync(join(tmpdir(), "plan-summary-"));
const prices = loadPrices();

const synthesized = new Map<string, { readonly env: string; readonly outdir: string }>();

/**
 * Synthesizes the app into its own directory under `work` with extra environment, once per label:
 * a test that reads a plan leaves it as it was, so the tests of one label share it. A test that
 * changes its plan (old-sources) has a label of its own.
 */
function synth(label: string, env: Record<string, string> = {}): string {
  const known = synthesized.get(label);
  if (known !== undefined) {
    if (known.env !== JSON.stringify(env)) throw new Error(`synthesis ${label} was made with ${known.env}, not ${JSON.stringify(env)}`);
    return known.outdir;
  }
  const { outdir } = synthesize({ outdir: join(work, label), env });
  synthesized.set(label, { env: JSON.stringify(env), outdir });
  return outdir;
}

function plan(outdir: string, stack = "nats"): Plan {
  return loadPlan(stackFile(outdir, stack));
}

function changed(diff: PlanDiff, type: string, action: string): string[] {
  return diff.changes.filter((c) => c.type === type && c.action === action).map((c) => c.label);
}

let base: string;

beforeAll(() => {
  base = synth("base", { NATS_VERSION: "2.15.0", NATS_NODE_COUNT: "3", NATS_SIZE: "s-1vcpu-1gb" });
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("summary of the default stack", () => {
  test("has no inbound rule open to the world", () => {
    const report = firewallReport(plan(base));
    expect(report.firewalls).toBeGreaterThan(0);
    expect(report.inbound.length).toBeGreaterThan(0);
    expect(report.inbound.filter((opening) => opening.worldOpen)).toEqual([]);
    expect(renderSummary(plan(base), prices)).not.toContain(WORLD_OPEN_MARKER);
  });

  test("lists every node with its pinned nats-server version, one seed and the others routing to it", () => {
    const nodes = describeNodes(plan(base));
    expect(nodes.map((node) => node.name)).toEqual(["nats-1", "nats-2", "nats-3"]);
    expect(nodes.every((node) => node.natsVersion === "2.15.0")).toBe(true);
    const seeds = nodes.filter((node) => node.isSeed);
    expect(seeds.map((node) => node.name)).toEqual(["nats-1"]);
    for (const node of nodes.filter((n) => !n.isSeed)) {
      expect(node.routesTo).toEqual([seeds[0].address]);
    }
  });

  test("shows TLS per listener: clients on, routes mutual, the monitor plain http", () => {
    const markdown = renderSummary(plan(base), prices);
    for (const name of ["nats-1", "nats-2", "nats-3"]) expect(markdown).toContain(`| ${name} | on | mutual | off (http) |`);
  });

  test("costs nodes × size price + load balancer size units × unit price (the public and the seed load balancer) + volume GiB × GiB price", () => {
    const cost = estimateCost(plan(base), prices);
    const expected = 3 * prices.dropletMonthly["s-1vcpu-1gb"] + 2 * prices.loadBalancerSizeUnitMonthly + 3 * 10 * prices.volumeGibMonthly;
    expect(cost.lines.find((line) => line.item === "volume 10 GiB")).toEqual({ item: "volume 10 GiB", quantity: 3, unitPrice: 10 * prices.volumeGibMonthly, monthly: 30 * prices.volumeGibMonthly });
    expect(cost.total).toBe(expected);
    const markdown = renderSummary(plan(base), prices);
    expect(markdown).toContain(`**$${expected.toFixed(2)}**`);
    expect(markdown).toContain(`List prices as of ${prices.asOf}, check digitalocean.com/pricing`);
  });

  test("names outputs and marks the sensitive ones, never printing values", () => {
    const markdown = renderSummary(plan(base), prices);
    expect(markdown).toMatch(/\| `client_secret` \| 🔒 sensitive \|/);
    expect(markdown).not.toContain("random_password.cluster_auth_client-secret_E03882C3.result");
  });
});

describe("summary of the tutorial stack", () => {
  test("flags that it has no firewall, so everything is open to the world", () => {
    const tutorial = plan(base, "nats-tutorial");
    const report = firewallReport(tutorial);
    expect(report.firewalls).toBe(0);
    expect(renderSummary(tutorial, prices)).toContain(NO_FIREWALL);
    expect(NO_FIREWALL.toLowerCase()).toContain("no firewall: every port is open");
  });

  test("shows its forwarding rules and the /varz health check", () => {
    const markdown = renderSummary(plan(base, "nats-tutorial"), prices);
    expect(markdown).toContain("| tcp 4222 | tcp 4222 | no |");
    expect(markdown).toContain("| http 8222 | http 8222 | no |");
    expect(markdown).toContain("Health check: http :8222/varz every 5 s, timeout 5 s, healthy after 5, unhealthy after 3");
  });

  test("shows TLS off on every listener", () => {
    const markdown = renderSummary(plan(base, "nats-tutorial"), prices);
    expect(markdown).toContain("| name | client | routes | monitor |");
    expect(markdown).toContain("| nats-droplet-1 | off | off | off (http) |");
    expect(markdown).toContain("| nats-droplet-2 | off | off | off (http) |");
  });

  test("costs two s-1vcpu-1gb droplets and one load balancer size unit", () => {
    const cost = estimateCost(plan(base, "nats-tutorial"), prices);
    expect(cost.total).toBe(2 * prices.dropletMonthly["s-1vcpu-1gb"] + prices.loadBalancerSizeUnitMonthly);
  });
});

describe("diff between two syntheses", () => {
  test("a new nats-server version replaces no droplet on deploy: every node is left to the roll, with its time", () => {
    const after = plan(synth("version", { NATS_VERSION: "2.14.5", NATS_NODE_COUNT: "3" }));
    const diff = diffPlans(plan(base), after);
    expect(diff.replacedDroplets).toEqual([]);
    expect(diff.rolledDroplets).toEqual(["nats-1", "nats-2", "nats-3"]);
    expect(diff.seedReplaced).toBeUndefined();
    expect(changed(diff, "digitalocean_droplet", "add")).toEqual([]);
    expect(changed(diff, "digitalocean_loadbalancer", "replace")).toEqual([]);
    const estimate = rollEstimate(after);
    // lame_duck_duration 30 s + create and boot 90 s + healthy threshold 5 × 3 s.
    expect(estimate).toEqual({ lameDuckSeconds: 30, bootSeconds: 90, healthySeconds: 15, perNodeSeconds: 135 });
    const markdown = renderDiff(diff, "old/cdk.tf.json", { stack: "nats", estimate });
    expect(markdown).toContain("Left to `npm run roll -- --stack nats`, one droplet at a time, without an outage (`cdktf deploy` stops none of them): `nats-1`, `nats-2`, `nats-3`. About 7 min: 135 s");
    expect(markdown).toContain("nats-server 2.15.0 → 2.14.5");
    expect(markdown).toContain("(forces replacement: left to npm run roll)");
    // What a reviewer reads; the assertions above pin what must hold if this is re-recorded.
    expect(markdown).toMatchSnapshot();
  });

  test("growing from 3 to 5 nodes adds two droplets and replaces none", () => {
    const diff = diffPlans(plan(base), plan(synth("five", { NATS_NODE_COUNT: "5" })));
    expect(changed(diff, "digitalocean_droplet", "add")).toEqual(["nats-4", "nats-5"]);
    expect(diff.replacedDroplets).toEqual([]);
    expect(diff.seedReplaced).toBeUndefined();
    expect(changed(diff, "digitalocean_droplet", "update")).toEqual([]);
    expect(diff.changes.find((c) => c.type === "null_resource")?.reasons).toEqual([
      "triggers: changed triggers.droplets (forces replacement)",
    ]);
    expect(renderDiff(diff, "old")).toContain("No droplet is replaced.");
  });

  test("a new droplet size is left to the roll, with jetstream's memory limit: deploy powers no droplet off", () => {
    const diff = diffPlans(plan(base), plan(synth("size", { NATS_SIZE: "s-2vcpu-2gb", NATS_NODE_COUNT: "3" })));
    // max_memory_store follows the droplet's memory, so user_data changes too: the roll applies it, volumes stay.
    expect(changed(diff, "digitalocean_droplet", "roll")).toEqual(["nats-1", "nats-2", "nats-3"]);
    expect(diff.changes.filter((c) => c.action === "replace" || c.type === "digitalocean_volume")).toEqual([]);
    expect(diff.changes.find((c) => c.label === "nats-1")?.reasons).toEqual([
      'size: "s-1vcpu-1gb" → "s-2vcpu-2gb" (powers the droplet off: left to npm run roll)',
      "user_data: changed (forces replacement: left to npm run roll)",
    ]);
    expect(diff.stoppedByDeploy).toEqual([]);
  });

  test("without jetstream a new droplet size changes only the size, left to the roll all the same", () => {
    const before = plan(synth("size-core", { NATS_JETSTREAM: "false" }));
    const diff = diffPlans(before, plan(synth("size-core-2", { NATS_JETSTREAM: "false", NATS_SIZE: "s-2vcpu-2gb" })));
    expect(changed(diff, "digitalocean_droplet", "roll")).toEqual(["nats-1", "nats-2", "nats-3"]);
    expect(diff.changes.find((c) => c.label === "nats-1")?.reasons).toEqual(['size: "s-1vcpu-1gb" → "s-2vcpu-2gb" (powers the droplet off: left to npm run roll)']);
    expect(renderDiff(diff, "old", { stack: "nats", estimate: rollEstimate(before) })).toContain("one droplet at a time, without an outage (`cdktf deploy` stops none of them)");
  });

  test("a new region is refused for every droplet: it needs a second cluster", () => {
    const diff = diffPlans(plan(base), plan(synth("region", { NATS_REGION: "sfo3" })));
    expect(diff.refusedDroplets).toEqual(["nats-1", "nats-2", "nats-3"]);
    expect(diff.rolledDroplets).toEqual([]);
    const markdown = renderDiff(diff, "old");
    expect(markdown).toContain("> ⛔ **Refused: every plan fails**");
    expect(markdown).toContain("| nats-1 | refused (region): a region move needs a second cluster, not a roll");
    expect(markdown).not.toContain("without an outage");
  });

  /** `source` with droplet `name`'s image changed and nothing ignored: Terraform replaces that droplet. */
  function replacing(source: Plan, name: string): Plan {
    const raw = JSON.parse(readFileSync(stackFile(base, source.stackName), "utf8")) as { resource: { digitalocean_droplet: Record<string, { name: string; image: string; lifecycle?: unknown }> } };
    const droplet = Object.values(raw.resource.digitalocean_droplet).find((d) => d.name === name);
    if (droplet === undefined) throw new Error(`no droplet ${name}`);
    droplet.image = "debian-12-x64";
    delete droplet.lifecycle;
    return parsePlan(raw, "replacing");
  }

  test.each(["nats-1", "nats-2", "nats-3"])("replacing %s alone changes no other droplet (the others route through the seed load balancer)", (name) => {
    const diff = diffPlans(plan(base), replacing(plan(base), name));
    expect(diff.replacedDroplets).toEqual([name]);
    expect(diff.changes.filter((c) => c.type === "digitalocean_droplet").map((c) => c.label)).toEqual([name]);
    expect(diff.seedReplaced).toBeUndefined();
  });

  test("in the tutorial stack, replacing node 1 changes node 2 too: it routes to node 1's address (its user_data is left to the roll)", () => {
    const tutorial = plan(base, "nats-tutorial");
    const diff = diffPlans(tutorial, replacing(tutorial, "nats-droplet-1"));
    expect(diff.replacedDroplets).toEqual(["nats-droplet-1"]);
    expect(diff.rolledDroplets).toEqual(["nats-droplet-2"]);
    expect(diff.seedReplaced).toEqual({ name: "nats-droplet-1", followers: ["nats-droplet-2"] });
  });

  test("in the tutorial stack a new version is left to the roll, which refuses the stack: never 'without an outage'", () => {
    const diff = diffPlans(plan(base, "nats-tutorial"), plan(synth("tutorial-version", { NATS_TUTORIAL_VERSION: "2.14.5" }), "nats-tutorial"));
    expect(diff.rolledDroplets).toEqual(["nats-droplet-1", "nats-droplet-2"]);
    expect(diff.directRoutes).toEqual(["nats-droplet-2"]);
    const markdown = renderDiff(diff, "old", { stack: "nats-tutorial", estimate: rollEstimate(plan(base, "nats-tutorial")) });
    expect(markdown).toContain("> ⚠️ Left to `npm run roll -- --stack nats-tutorial`, **which refuses this stack**: `nats-droplet-2` route to another node's own address");
    expect(markdown).not.toContain("without an outage");
  });

  test("identical syntheses differ in nothing", () => {
    const diff = diffPlans(plan(base), plan(base));
    expect(diff.changes).toEqual([]);
  });
});

describe("npm run plan:summary", () => {
  const cli = (args: string[], outdir = base, env: Record<string, string> = {}) =>
    spawnSync(process.execPath, ["--import", "tsx", "scripts/plan-summary.ts", ...args], {
      cwd: PROJECT_ROOT,
      env: cdktfEnv({ CDKTF_OUTDIR: outdir, ...env }),
      encoding: "utf8",
    });

  test("reviews the plan as the synthesis left it (here NATS_NODE_COUNT=5, unset now), naming its settings, without synthesizing again", () => {
    const five = synth("five", { NATS_NODE_COUNT: "5" });
    const written = statSync(stackFile(five, "nats")).mtimeMs;
    const run = cli(["--stack", "nats"], five);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("Made with these settings (others at the stack's defaults): `NATS_NODE_COUNT` = `5`.");
    expect(run.stdout).toContain("### Nodes (5)");
    expect(run.stdout).not.toContain("Synthesized again");
    expect(statSync(stackFile(five, "nats")).mtimeMs).toBe(written);
  });

  test("says which of this environment's settings the plan was not made with, on stderr and in the review, and reviews it as it is", () => {
    const five = synth("five", { NATS_NODE_COUNT: "5" });
    const run = cli(["--stack", "nats"], five, { NATS_NODE_COUNT: "7", NATS_REGION: "ams3" });
    expect(run.status).toBe(0);
    const differs = 'NATS_NODE_COUNT is "7" here, "5" in the plan, NATS_REGION is "ams3" here, unset in the plan';
    expect(run.stderr).toBe(`plan-summary: the plan of stack nats was not made with this environment's settings: ${differs}; npx cdktf synth makes the plan they describe\n`);
    expect(run.stdout).toContain(
      "> ⚠️ **Not made with this environment's settings**: `NATS_NODE_COUNT is \"7\" here, \"5\" in the plan`, `NATS_REGION is \"ams3\" here, unset in the plan`. `npx cdktf synth` makes the plan they describe.",
    );
    expect(run.stdout).toContain("### Nodes (5)");
  });

  test("synthesizes a plan older than the app's files again, saying so on stderr and in the review, with the settings it replaced", () => {
    const old = synth("old-sources", { NATS_NODE_COUNT: "5" });
    utimesSync(stackFile(old, "nats"), new Date(1_000_000), new Date(1_000_000));
    const run = cli(["--stack", "nats"], old);
    expect(run.status).toBe(0);
    // The first three of the app's files, then how many more: every one is newer than the plan.
    const reason = "[\\w/.-]+\\.ts, [\\w/.-]+\\.ts, [\\w/.-]+\\.ts and \\d+ more changed since the plan was made";
    expect(run.stderr).toMatch(new RegExp(`^plan-summary: synthesized stack nats again, with this environment's settings: ${reason}\n$`));
    expect(run.stdout).toContain("Made with the stack's defaults (no setting was set).");
    expect(run.stdout).toMatch(
      new RegExp(`> 🔄 \\*\\*Synthesized again\\*\\* by plan:summary at \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z, with this environment's settings: ${reason}\\. The plan it replaced was made with these settings \\(others at the stack's defaults\\): \`NATS_NODE_COUNT\` = \`5\`\\.`),
    );
    expect(run.stdout).toContain("### Nodes (3)");
  });

  test("synthesizes a missing plan, saying where it looked", () => {
    const empty = join(work, "empty");
    const run = cli(["--stack", "nats-tutorial"], empty);
    expect(run.status).toBe(0);
    expect(run.stderr).toBe(`plan-summary: synthesized stack nats-tutorial again, with this environment's settings: ${empty} had no plan of stack nats-tutorial\n`);
    expect(run.stdout).toContain("## Plan: `nats-tutorial`\n\nMade with the stack's defaults (no setting was set).\n\n> 🔄 **Synthesized again**");
  });

  test("writes the diff, then the summary, to --out", () => {
    const older = synth("version", { NATS_VERSION: "2.14.5", NATS_NODE_COUNT: "3" });
    const out = join(work, "summary.md");
    const run = cli(["--stack", "nats", "--diff", stackFile(older, "nats"), "--out", out]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const markdown = readFileSync(out, "utf8");
    expect(markdown.indexOf("## Changes against")).toBe(0);
    expect(markdown).toContain("## Plan: `nats`");
    expect(markdown).toContain("Left to `npm run roll -- --stack nats`, one droplet at a time");
  });

  test("rejects an unknown stack, naming it and the stacks, with the usage and exit 2", () => {
    const run = cli(["--stack", "nope"]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('plan-summary: --stack "nope" is not a stack: expected nats or nats-tutorial\n\nusage: npm run plan:summary');
  });

  test("refuses an endless --diff (/dev/zero) or one over 16 MiB before reading it all, and one that is not JSON, with the usage and exit 2", () => {
    const zero = cli(["--diff", "/dev/zero"]);
    expect([zero.status, zero.signal]).toEqual([2, null]);
    expect(zero.stderr).toContain("plan-summary: --diff /dev/zero is larger than 16777216 bytes: it cannot be what was asked for\n\nusage: npm run plan:summary");
    const big = join(work, "big.json");
    writeFileSync(big, `{"pad":"${"x".repeat(16 * 1024 * 1024)}"}`);
    expect(cli(["--diff", big]).stderr).toContain(`plan-summary: --diff ${big} is larger than 16777216 bytes`);
    const notJson = join(work, "not.json");
    writeFileSync(notJson, "resource {}");
    const run = cli(["--diff", notJson]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`^plan-summary: --diff ${notJson} is not JSON \\(.+\\): expected an older cdk\\.tf\\.json of the stack\n`));
  });

  test("rejects a missing --diff file, naming it, with the usage and exit 2", () => {
    const run = cli(["--diff", "/nonexistent/cdk.tf.json"]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/--diff \/nonexistent\/cdk.tf.json does not exist/);
    expect(run.stderr).toContain("usage: npm run plan:summary");
  });
});
