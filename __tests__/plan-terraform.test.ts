import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadPrices } from "../plan/cost";
import { TerraformPlan, changedArguments, loadTerraformPlan, parseTerraformPlan, reviewTerraformPlan } from "../plan/terraform-plan";
import { renderTerraformPlanReview } from "../plan/terraform-plan-markdown";

// The fixtures are `terraform show -json` plans (format_version 1.2, Terraform 1.11.4):
// terraform-data.json is the real CLI's output, the DigitalOcean ones are written in its shape
// (see fixtures/terraform-plan/README.md).
const FIXTURES = join(__dirname, "fixtures", "terraform-plan");
const prices = loadPrices();

function fixture(name: string): TerraformPlan {
  return loadTerraformPlan(join(FIXTURES, `${name}.json`));
}

function markdown(name: string, stack = "nats"): string {
  const plan = fixture(name);
  return renderTerraformPlanReview(plan, reviewTerraformPlan(plan, prices), stack);
}

/** Every secret the fixtures' prior state holds (random_password results and hashes). */
const SECRETS = ["fixture-client-token-Qw8s2Lx", "fixture-route-password-Vb7Tn4", "$2a$10$fixturehash"];

describe("reading terraform show -json", () => {
  test("Terraform's real output: no-op left out, delete, update and replace by the attribute that forces it", () => {
    const plan = fixture("terraform-data");
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
    const raw = JSON.parse(readFileSync(join(FIXTURES, "template-change.json"), "utf8"));
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
    const change = fixture("volume-replacement").changes.find((c) => c.address === "digitalocean_droplet.cluster_nodes_node-1_9627E290");
    expect(change === undefined ? [] : changedArguments(change)).toEqual(["volume_ids"]);
    const volume = fixture("volume-replacement").changes.find((c) => c.type === "digitalocean_volume");
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
    const review = reviewTerraformPlan(fixture("size-change"), prices);
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
    const review = reviewTerraformPlan(fixture("template-change"), prices);
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
    const review = reviewTerraformPlan(fixture("volume-replacement"), prices);
    expect(review.diff.volumeWarnings.map((w) => w.name)).toEqual(["nats-1-data", "nats-2-data", "nats-3-data"]);
    const text = markdown("volume-replacement");
    expect(text).toContain('> ⚠️ volume `nats-1-data` is replaced: **its JetStream data is lost** (initial_filesystem_type: "ext4" → "xfs" (forces replacement)).');
    expect(text).toMatch(/\| update \| `digitalocean_droplet\.cluster_nodes_node-2_FC5329C6` \| nats-2 \| volume_ids: \["[0-9a-f-]{36}"\] → \(known after apply\) \(updated in place\) \|/);
    expect(text).toContain("No droplet is replaced.");
    expect(review.poweredOff).toEqual([]);
  });

  test("firewall change: the rules added and removed, sources named", () => {
    const review = reviewTerraformPlan(fixture("firewall-change"), prices);
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
    const raw = JSON.parse(readFileSync(join(FIXTURES, "firewall-change.json"), "utf8"));
    const firewall = raw.resource_changes.find((c: { type: string }) => c.type === "digitalocean_firewall");
    firewall.change.after.inbound_rule[3].source_addresses = ["0.0.0.0/0"];
    raw.planned_values.root_module.resources.find((r: { type: string }) => r.type === "digitalocean_firewall").values.inbound_rule[3].source_addresses = ["0.0.0.0/0"];
    const plan = parseTerraformPlan(raw, "p.json");
    expect(renderTerraformPlanReview(plan, reviewTerraformPlan(plan, prices), "nats")).toContain("| added | nats-cluster-fw | 22 | tcp | 0.0.0.0/0 | 🌍 **open to the world** |");
  });
});

describe("droplets get the verdict of a review of two syntheses (dropletVerdict)", () => {
  test("a resize in place: deploy powers each droplet off, and all of them at once", () => {
    const review = reviewTerraformPlan(fixture("size-change"), prices);
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
    const review = reviewTerraformPlan(fixture("volume-replacement"), prices);
    const droplets = review.diff.changes.filter((change) => change.type === "digitalocean_droplet");
    expect(droplets.map((change) => change.verdict?.effect)).toEqual(["in place", "in place", "in place"]);
    expect(review.poweredOff).toEqual([]);
    expect(review.diff.stoppedByDeploy).toEqual([]);
  });
});
