import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadPrices } from "../plan/cost";
import { changedArguments, loadTerraformPlan, parseTerraformPlan, reviewTerraformPlan } from "../plan/terraform-plan";
import { renderDiagram } from "../plan/mermaid";
import { renderTerraformPlanReview } from "../plan/terraform-plan-markdown";
import { rawTerraformPlanFixture, terraformPlanFixture } from "./plan-fixtures";

// The fixtures are `terraform show -json` plans (format_version 1.2, Terraform 1.11.4):
// terraform-data.json is the real CLI's output, the DigitalOcean ones are written in its shape
// (see fixtures/terraform-plan/README.md).
const prices = loadPrices();

function markdown(name: string, stack = "nats"): string {
  const plan = terraformPlanFixture(name);
  return renderTerraformPlanReview(plan, reviewTerraformPlan(plan, prices), stack);
}

/** Every secret the fixtures' prior state holds (random_password results and hashes). */
const SECRETS = ["fixture-client-token-Qw8s2Lx", "fixture-route-password-Vb7Tn4", "$2a$10$fixturehash"];

describe("reading terraform show -json", () => {
  test("Terraform's real output: no-op left out, delete, update and replace by the attribute that forces it", () => {
    const plan = terraformPlanFixture("terraform-data");
    expect([plan.formatVersion, plan.terraformVersion]).toEqual(["1.2", "1.11.4"]);
    const { diff } = reviewTerraformPlan(plan, prices);
    expect(diff.changes.map((c) => [c.action, c.address, c.reasons])).toEqual([
      ["remove", "terraform_data.gone", []],
      ["replace", "terraform_data.replaced", ['triggers_replace: ["a"] → ["b"] (forces replacement)']],
      ["update", "terraform_data.changed", ['input: "a" → "b" (updated in place)']],
    ]);
  });

  test("a document that is not a 1.x plan is refused, naming what was expected", () => {
    expect(() => parseTerraformPlan({ format_version: "2.0", resource_changes: [] }, "p.json")).toThrow(
      'p.json has format_version "2.0": expected 1.x, the output of terraform show -json PLANFILE (Terraform 1.x)',
    );
    expect(() => parseTerraformPlan([], "p.json")).toThrow(/format_version undefined: expected 1\.x/);
    expect(() => parseTerraformPlan({ format_version: "1.2", resource_changes: {} }, "p.json")).toThrow("p.json: resource_changes is not a list");
    expect(() => parseTerraformPlan({ format_version: "1.2", resource_changes: [{ mode: "managed", type: "x" }] }, "p.json")).toThrow(/a resource change without address/);
  });

  test("a change of a sensitive attribute shows no value, only that it changed", () => {
    const raw = rawTerraformPlanFixture("template-change");
    raw.resource_changes.push({
      address: "random_password.p", mode: "managed", type: "random_password", name: "p",
      change: {
        actions: ["delete", "create"], before: { result: "old-secret-1", length: 32 }, after: { length: 40 }, after_unknown: { result: true },
        before_sensitive: { result: true }, after_sensitive: { result: true }, replace_paths: [["length"]],
      },
    });
    raw.resource_changes.push({
      address: "digitalocean_droplet.s", mode: "managed", type: "digitalocean_droplet", name: "s",
      change: { actions: ["update"], before: { name: "s", tags: ["old-secret-2"] }, after: { name: "s", tags: ["new-secret-3"] }, after_unknown: {}, before_sensitive: { tags: [true] }, after_sensitive: { tags: [true] } },
    });
    const plan = parseTerraformPlan(raw, "p.json");
    const text = renderTerraformPlanReview(plan, reviewTerraformPlan(plan, prices), "nats-tutorial");
    expect(text).toContain("| replace | `random_password.p` | p | length: 32 → 40 (forces replacement) |");
    expect(text).toContain("| update | `digitalocean_droplet.s` | s | tags: changed (updated in place) |");
    for (const secret of ["old-secret-1", "old-secret-2", "new-secret-3"]) expect(text).not.toContain(secret);
  });

  test("computed attributes that become unknown are not changes; configured ones are", () => {
    const change = terraformPlanFixture("volume-replacement").changes.find((c) => c.address === "digitalocean_droplet.cluster_nodes_node-1_9627E290");
    expect(change === undefined ? [] : changedArguments(change)).toEqual(["volume_ids"]);
    const volume = terraformPlanFixture("volume-replacement").changes.find((c) => c.type === "digitalocean_volume");
    // id, urn, droplet_ids, filesystem_type… become unknown too: not configured, not listed.
    expect(volume === undefined ? [] : changedArguments(volume)).toEqual(["initial_filesystem_type"]);
  });
});

describe("the review of each fixture", () => {
  test.each(["size-change", "template-change", "volume-replacement", "firewall-change"])("%s: no secret of the state reaches the review", (name) => {
    const text = markdown(name);
    for (const secret of SECRETS) expect(text).not.toContain(secret);
    // user_data is in the state as its SHA-1: never shown.
    expect(text).not.toMatch(/[0-9a-f]{40}/);
  });

  test("size change: every droplet resized in place, powered off at once, the cost before and after", () => {
    const review = reviewTerraformPlan(terraformPlanFixture("size-change"), prices);
    expect(review.poweredOff).toEqual(["nats-1", "nats-2", "nats-3"]);
    expect(review.diff.replacedDroplets).toEqual([]);
    const text = markdown("size-change");
    expect(text).toContain("**0 to add, 3 to change in place, 0 to replace, 0 to roll, 0 refused, 0 to destroy.**");
    expect(text).toContain('| update | `digitalocean_droplet.cluster_nodes_node-1_9627E290` | nats-1 | size: "s-1vcpu-1gb" → "s-2vcpu-4gb" (updated in place: the droplet is powered off for the resize) |');
    expect(text).toContain("Droplets powered off for a resize in place, then started again: `nats-1`, `nats-2`, `nats-3`.");
    expect(text).toContain("> ⚠️ **`cdktf deploy` stops 3 droplets itself**, all at once (Terraform applies them in parallel): `nats-1`, `nats-2`, `nats-3`. **An outage.**");
    expect(text).toContain("| droplet s-1vcpu-1gb | 3 × $6.00 = $18.00 | - |");
    expect(text).toContain("| droplet s-2vcpu-4gb | - | 3 × $24.00 = $72.00 |");
    expect(text).toContain("| **total** | **$45.00** | **$99.00** |");
    expect(text).toContain("Change: +$54.00 a month.");
  });

  test("template change (nats-tutorial, no ignore_changes): both droplets replaced by the deploy, and the readiness gate with them", () => {
    const review = reviewTerraformPlan(terraformPlanFixture("template-change"), prices);
    expect(review.diff.replacedDroplets).toEqual(["nats-droplet-1", "nats-droplet-2"]);
    expect(review.poweredOff).toEqual([]);
    const text = markdown("template-change", "nats-tutorial");
    expect(text).toContain("## Changes against `state of nats-tutorial (Terraform 1.11.4, plan format 1.2)`");
    expect(text).toContain("Droplets replaced (destroyed and re-created, new IP addresses): `nats-droplet-1`, `nats-droplet-2`.");
    expect(text).toContain("| replace | `digitalocean_droplet.cluster_nodes_node-1_9627E290` | nats-droplet-1 | user_data: changed (forces replacement) |");
    expect(text).toContain("| replace | `null_resource.cluster_readiness-gate_verify_7464CDB6` | cluster_readiness-gate_verify_7464CDB6 | triggers: (196 characters) → (known after apply) (forces replacement) |");
    expect(text).toContain("`npm run roll -- --stack nats-tutorial --dry-run` lists the nodes it would replace");
    expect(text).toContain("| **total** | **$24.00** | **$24.00** |");
  });

  test("volume replacement: each volume's data loss is a warning, the droplets take the new volumes in place", () => {
    const review = reviewTerraformPlan(terraformPlanFixture("volume-replacement"), prices);
    expect(review.diff.volumeWarnings.map((w) => w.name)).toEqual(["nats-1-data", "nats-2-data", "nats-3-data"]);
    const text = markdown("volume-replacement");
    expect(text).toContain('> ⚠️ volume `nats-1-data` is replaced: **its JetStream data is lost** (initial_filesystem_type: "ext4" → "xfs" (forces replacement)).');
    expect(text).toMatch(/\| update \| `digitalocean_droplet\.cluster_nodes_node-2_FC5329C6` \| nats-2 \| volume_ids: \["[0-9a-f-]{36}"\] → \(known after apply\) \(updated in place\) \|/);
    expect(text).toContain("No droplet is replaced.");
    expect(review.poweredOff).toEqual([]);
  });

  test("firewall change: the rules added and removed, sources named", () => {
    const review = reviewTerraformPlan(terraformPlanFixture("firewall-change"), prices);
    expect(review.openings.added.map((o) => [o.port, o.sources, o.worldOpen])).toEqual([
      ["8222", ["203.0.113.0/24", "load balancer nats-cluster-lb", "load balancer nats-cluster-seed"], false],
      ["22", ["203.0.113.0/24"], false],
    ]);
    expect(review.openings.removed.map((o) => [o.port, o.sources])).toEqual([["8222", ["load balancer nats-cluster-lb", "load balancer nats-cluster-seed"]]]);
    const text = markdown("firewall-change");
    expect(text).toContain("| update | `digitalocean_firewall.cluster_firewall_AD562BF1` | nats-cluster-fw | inbound_rule: 2 blocks added, 1 block removed (updated in place) |");
    expect(text).toContain("| added | nats-cluster-fw | 22 | tcp | 203.0.113.0/24 |  |");
    expect(text).toContain("Change: none.");
  });

  test("an opening to the world is marked", () => {
    const raw = rawTerraformPlanFixture("firewall-change");
    const firewall = raw.resource_changes.find((c: { type: string }) => c.type === "digitalocean_firewall");
    firewall.change.after.inbound_rule[3].source_addresses = ["0.0.0.0/0"];
    raw.planned_values.root_module.resources.find((r: { type: string }) => r.type === "digitalocean_firewall").values.inbound_rule[3].source_addresses = ["0.0.0.0/0"];
    const plan = parseTerraformPlan(raw, "p.json");
    expect(renderTerraformPlanReview(plan, reviewTerraformPlan(plan, prices), "nats")).toContain("| added | nats-cluster-fw | 22 | tcp | 0.0.0.0/0 | 🌍 **open to the world** |");
  });
});

describe("droplets get the verdict of a review of two syntheses (dropletVerdict)", () => {
  test("a resize in place: deploy powers each droplet off, and all of them at once", () => {
    const review = reviewTerraformPlan(terraformPlanFixture("size-change"), prices);
    const droplets = review.diff.changes.filter((change) => change.type === "digitalocean_droplet");
    expect(droplets.map((change) => [change.label, change.verdict?.verdict, change.verdict?.effect])).toEqual([
      ["nats-1", "deploy", "powers off"],
      ["nats-2", "deploy", "powers off"],
      ["nats-3", "deploy", "powers off"],
    ]);
    expect(review.diff.stoppedByDeploy).toEqual(["nats-1", "nats-2", "nats-3"]);
    expect(markdown("size-change")).toContain("`cdktf deploy` stops 3 droplets itself**, all at once");
  });

  test("a volume replaced: its droplet's volume_ids change in place, the droplet keeps running", () => {
    const review = reviewTerraformPlan(terraformPlanFixture("volume-replacement"), prices);
    const droplets = review.diff.changes.filter((change) => change.type === "digitalocean_droplet");
    expect(droplets.map((change) => change.verdict?.effect)).toEqual(["in place", "in place", "in place"]);
    expect(review.poweredOff).toEqual([]);
    expect(review.diff.stoppedByDeploy).toEqual([]);
  });
});

/**
 * A fixture as parsed JSON, for a test to change the way another plan would differ (typed loosely,
 * as JSON.parse gives it, since the tests edit it freely).
 */
type RawPlan = { resource_changes: RawChange[]; [key: string]: any };
type RawChange = { address: string; type: string; change: { actions: string[]; [key: string]: any }; [key: string]: any };

function rawFixture(name: string): RawPlan {
  return rawTerraformPlanFixture<RawPlan>(name);
}

/** The resource change whose address contains `part` (the first one). */
function rawChange(raw: RawPlan, part: string): RawChange {
  const found = raw.resource_changes.find((c) => c.address.includes(part));
  if (found === undefined) throw new Error(`no resource change ${part}`);
  return found;
}

/** The rows of the review's change table, as `| action | resource | name | why |`. */
function rows(raw: unknown, stack = "nats"): string[] {
  const plan = parseTerraformPlan(raw, "p.json");
  return renderTerraformPlanReview(plan, reviewTerraformPlan(plan, prices), stack)
    .split("\n")
    .filter((line) => /^\| (add|update|replace|remove) \| `/.test(line));
}

describe("reading terraform show -json: what is refused and what is left out", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "plan-terraform-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("the binary plan file given instead of its JSON is refused, naming the option and what was expected", () => {
    const file = join(dir, "tfplan");
    writeFileSync(file, Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x08, 0x00]));
    expect(() => loadTerraformPlan(file)).toThrow(new RegExp(`^--terraform-plan ${file} is not JSON \\(.+\\): expected the output of terraform show -json PLANFILE$`));
  });

  test("an endless input is refused once it passes 64 MiB, naming the option", () => {
    expect(() => loadTerraformPlan("/dev/zero")).toThrow("--terraform-plan /dev/zero is larger than 67108864 bytes: it cannot be what was asked for");
  });

  test("any 1.x format is read, a plan without changes or Terraform version too; 11.0 and 1.2.1 are not 1.x", () => {
    const plan = parseTerraformPlan({ format_version: "1.10" }, "p.json");
    expect([plan.formatVersion, plan.terraformVersion, plan.changes, plan.before.resources, plan.after.resources]).toEqual(["1.10", "unknown", [], [], []]);
    for (const format of ["11.0", "1.2.1", "v1.2"]) {
      expect(() => parseTerraformPlan({ format_version: format }, "p.json")).toThrow(`p.json has format_version "${format}": expected 1.x`);
    }
  });

  test("data sources are neither changes nor resources of the state", () => {
    const raw = rawFixture("terraform-data");
    const data = { address: "data.terraform_remote_state.net", mode: "data", type: "terraform_remote_state", name: "net" };
    raw.resource_changes.push({ ...data, change: { actions: ["read"], before: null, after: { backend: "local" }, after_unknown: { outputs: true } } });
    raw.prior_state.values.root_module.resources.push({ ...data, values: { backend: "local", outputs: {} } });
    const plan = parseTerraformPlan(raw, "p.json");
    expect(plan.changes.map((c) => c.address)).toEqual(["terraform_data.changed", "terraform_data.gone", "terraform_data.keep", "terraform_data.replaced"]);
    expect(plan.before.resources.map((r) => r.address)).toEqual(["terraform_data.changed", "terraform_data.gone", "terraform_data.keep", "terraform_data.replaced"]);
  });

  test("the resources of child modules are read with the root module's", () => {
    const raw = rawFixture("terraform-data");
    raw.planned_values.root_module.child_modules = [
      {
        address: "module.extra",
        resources: [{ address: "module.extra.terraform_data.inner", mode: "managed", type: "terraform_data", name: "inner", values: { input: "i" } }],
      },
    ];
    expect(parseTerraformPlan(raw, "p.json").after.resources.map((r) => r.address)).toEqual([
      "terraform_data.changed",
      "terraform_data.keep",
      "terraform_data.replaced",
      "module.extra.terraform_data.inner",
    ]);
  });

  test("a resource whose configuration block sets no argument has none configured", () => {
    const raw = rawFixture("terraform-data");
    raw.configuration.root_module.resources.push({ address: "terraform_data.empty", mode: "managed", type: "terraform_data", name: "empty", provider_config_key: "terraform", schema_version: 0 });
    raw.resource_changes.push({
      address: "terraform_data.empty", mode: "managed", type: "terraform_data", name: "empty",
      change: { actions: ["create"], before: null, after: { input: null, triggers_replace: null }, after_unknown: { id: true, output: true }, before_sensitive: false, after_sensitive: {} },
    });
    const change = parseTerraformPlan(raw, "p.json").changes.find((c) => c.address === "terraform_data.empty");
    expect(change === undefined ? undefined : [...change.configured]).toEqual([]);
  });
});

describe("the reasons given for each change", () => {
  test("a change without sensitivity masks shows its values", () => {
    const raw = rawFixture("terraform-data");
    const changed = rawChange(raw, "terraform_data.changed");
    delete changed.change.before_sensitive;
    delete changed.change.after_sensitive;
    expect(rows(raw)).toContain('| update | `terraform_data.changed` | changed | input: "a" → "b" (updated in place) |');
  });

  test("a droplet replaced on request (-replace) while resized: replaced, not powered off, its new size goes with the replacement", () => {
    const raw = rawFixture("size-change");
    const node1 = rawChange(raw, "node-1");
    node1.change.actions = ["delete", "create"];
    node1.action_reason = "replace_by_request";
    delete node1.change.after.id;
    node1.change.after_unknown = { id: true };
    const plan = parseTerraformPlan(raw, "p.json");
    const review = reviewTerraformPlan(plan, prices);
    expect(review.diff.replacedDroplets).toEqual(["nats-1"]);
    expect(review.poweredOff).toEqual(["nats-2", "nats-3"]);
    expect(review.diff.changes.find((c) => c.label === "nats-1")?.verdict).toEqual({
      verdict: "deploy",
      effect: "replaces",
      text: "changed by `cdktf deploy`: replaces (requested with -replace; size with the replacement)",
    });
    expect(review.diff.stoppedByDeploy).toEqual(["nats-1", "nats-2", "nats-3"]);
    expect(renderDiagram(plan.after, review.diff)).toContain('    n1["nats-1<br/>s-2vcpu-4gb · nyc3<br/>nats-server unknown<br/>replaced by cdktf deploy"]\n');
    expect(rows(raw)[0]).toBe('| replace | `digitalocean_droplet.cluster_nodes_node-1_9627E290` | nats-1 | size: "s-1vcpu-1gb" → "s-2vcpu-4gb" (with the replacement) |');
  });

  test("the arguments that force replacement come first, then the others in alphabetical order", () => {
    const raw = rawFixture("template-change");
    const node1 = rawChange(raw, "node-1");
    Object.assign(node1.change.after, { image: "ubuntu-22-04-x64", size: "s-2vcpu-4gb", monitoring: true });
    node1.change.replace_paths = [["user_data"], ["image"]];
    const change = parseTerraformPlan(raw, "p.json").changes.find((c) => c.address === node1.address);
    expect(change === undefined ? [] : changedArguments(change)).toEqual(["image", "user_data", "monitoring", "size"]);
    expect(rows(raw, "nats-tutorial")[0]).toBe(
      "| replace | `digitalocean_droplet.cluster_nodes_node-1_9627E290` | nats-droplet-1 | " +
        'image: "ubuntu-24-04-x64" → "ubuntu-22-04-x64" (forces replacement)<br>user_data: changed (forces replacement)<br>' +
        'monitoring: false → true (with the replacement)<br>size: "s-1vcpu-1gb" → "s-2vcpu-4gb" (with the replacement) |',
    );
  });

  test("an argument that forces replacement is listed even where the configuration does not show it (a module's resource)", () => {
    const raw = rawFixture("template-change");
    raw.configuration.root_module.resources = raw.configuration.root_module.resources.filter((r: { type: string }) => r.type !== "null_resource");
    expect(rows(raw, "nats-tutorial")).toContain(
      "| replace | `null_resource.cluster_readiness-gate_verify_7464CDB6` | cluster_readiness-gate_verify_7464CDB6 | triggers: (196 characters) → (known after apply) (forces replacement) |",
    );
  });

  test("a volume grown in place is an update like any other: no droplet is stopped for it", () => {
    const raw = rawFixture("firewall-change");
    const volume = rawChange(raw, "volume-1");
    volume.change.actions = ["update"];
    volume.change.after.size = 20;
    const review = reviewTerraformPlan(parseTerraformPlan(raw, "p.json"), prices);
    const change = review.diff.changes.find((c) => c.address === volume.address);
    expect([change?.action, change?.label, change?.reasons, change?.verdict]).toEqual(["update", "nats-1-data", ["size: 10 → 20 (updated in place)"], undefined]);
    expect([review.poweredOff, review.diff.stoppedByDeploy]).toEqual([[], []]);
  });

  test("a droplet created and one destroyed: the droplet table says so, no verdict of a change", () => {
    const raw = rawFixture("firewall-change");
    const node3 = rawChange(raw, "node-3");
    node3.change.actions = ["delete"];
    node3.change.after = null;
    node3.change.after_sensitive = false;
    const node4: RawChange = JSON.parse(JSON.stringify(rawChange(raw, "node-2")));
    node4.address = "digitalocean_droplet.cluster_nodes_node-4_0A1B2C3D";
    node4.name = "cluster_nodes_node-4_0A1B2C3D";
    node4.change.actions = ["create"];
    node4.change.before = null;
    node4.change.before_sensitive = false;
    node4.change.after = { ...node4.change.after, name: "nats-4" };
    raw.resource_changes.push(node4);
    const plan = parseTerraformPlan(raw, "p.json");
    const review = reviewTerraformPlan(plan, prices);
    const droplets = review.diff.changes.filter((c) => c.type === "digitalocean_droplet");
    expect(droplets.map((c) => [c.action, c.label, c.verdict])).toEqual([
      ["remove", "nats-3", undefined],
      ["add", "nats-4", undefined],
    ]);
    expect(review.diff.stoppedByDeploy).toEqual([]);
    const text = renderTerraformPlanReview(plan, review, "nats");
    expect(text).toContain("| nats-3 | destroyed by `cdktf deploy` (shut down first) |");
    expect(text).toContain("| nats-4 | created by `cdktf deploy` |");
  });

  test("a renamed droplet is labelled by its new name", () => {
    const raw = rawFixture("firewall-change");
    const node2 = rawChange(raw, "node-2");
    node2.change.actions = ["update"];
    node2.change.after.name = "nats-two";
    expect(rows(raw)).toContain('| update | `digitalocean_droplet.cluster_nodes_node-2_FC5329C6` | nats-two | name: "nats-2" → "nats-two" (updated in place) |');
  });

  test("a firewall that gains one rule and keeps the others: 1 block added, none removed", () => {
    const raw = rawFixture("firewall-change");
    const firewall = rawChange(raw, "digitalocean_firewall");
    const ssh = firewall.change.after.inbound_rule[3];
    firewall.change.after.inbound_rule = [...firewall.change.before.inbound_rule, ssh];
    expect(rows(raw)).toContain("| update | `digitalocean_firewall.cluster_firewall_AD562BF1` | nats-cluster-fw | inbound_rule: 1 block added, 0 blocks removed (updated in place) |");
  });

  test("a firewall rule whose sources are listed in another order opens and closes nothing", () => {
    const raw = rawFixture("size-change");
    const firewall = raw.planned_values.root_module.resources.find((r: { type: string }) => r.type === "digitalocean_firewall");
    const monitor = firewall.values.inbound_rule.find((rule: { port_range: string }) => rule.port_range === "8222");
    monitor.source_load_balancer_uids.reverse();
    expect(reviewTerraformPlan(parseTerraformPlan(raw, "p.json"), prices).openings).toEqual({ added: [], removed: [] });
  });
});

describe("sensitive values in the reasons", () => {
  /** The reasons of a tag change under these sensitivity masks. */
  function tagReasons(beforeSensitive: unknown, afterSensitive: unknown, before: unknown = ["old-tag"], after: unknown = ["new-tag"]): readonly string[] {
    const raw = rawFixture("firewall-change");
    const node2 = rawChange(raw, "node-2");
    node2.change.actions = ["update"];
    Object.assign(node2.change, { before: { ...node2.change.before, tags: before }, after: { ...node2.change.after, tags: after }, before_sensitive: beforeSensitive, after_sensitive: afterSensitive });
    return reviewTerraformPlan(parseTerraformPlan(raw, "p.json"), prices).diff.changes.find((c) => c.address === node2.address)?.reasons ?? [];
  }

  test("a list with one sensitive element is hidden", () => {
    expect(tagReasons({ tags: [false, true] }, { tags: [false, true] }, ["a", "old-tag"], ["a", "new-tag"])).toEqual(["tags: changed (updated in place)"]);
  });

  test("an object with one sensitive member is hidden", () => {
    expect(tagReasons({ tags: { a: false, b: true } }, { tags: { a: false, b: true } }, { a: "x", b: "old-tag" }, { a: "x", b: "new-tag" })).toEqual(["tags: changed (updated in place)"]);
  });

  test("a resource sensitive as a whole shows no value", () => {
    expect(tagReasons(true, true)).toEqual(["tags: changed (updated in place)"]);
  });

  test("a value that becomes sensitive shows the old value only; one that stops being sensitive, the new one only", () => {
    expect(tagReasons({}, { tags: [true] })).toEqual(['tags: ["old-tag"] → (sensitive) (updated in place)']);
    expect(tagReasons({ tags: [true] }, {})).toEqual(['tags: (sensitive) → ["new-tag"] (updated in place)']);
  });
});

describe("what a Terraform plan never holds", () => {
  test("a template change: deploy replaces both droplets itself; nothing is left to the roll, refused, or known of routes", () => {
    const plan = terraformPlanFixture("template-change");
    const review = reviewTerraformPlan(plan, prices);
    expect(review.diff.stoppedByDeploy).toEqual(["nats-droplet-1", "nats-droplet-2"]);
    expect([review.diff.rolledDroplets, review.diff.refusedDroplets, review.diff.directRoutes]).toEqual([[], [], []]);
    const text = renderTerraformPlanReview(plan, review, "nats-tutorial");
    expect(text).toContain("> ⚠️ **`cdktf deploy` stops 2 droplets itself**, all at once (Terraform applies them in parallel): `nats-droplet-1`, `nats-droplet-2`. **An outage.**");
    expect(text).not.toContain("Left to `npm run roll");
    expect(text).not.toContain("Refused");
  });
});
