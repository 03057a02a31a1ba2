import { estimateCost } from "../plan/cost";
import type { ResourceChange } from "../plan/change";
import { PlanDiff, diffPlans } from "../plan/diff";
import { upstreamOf, wavesOfType } from "../plan/graph";
import { renderSummary } from "../plan/markdown";
import { dropletVerdict, forcesReplacement, isForceNew } from "../plan/replacement";
import { Json, Plan } from "../helpers/tf-json";
import { describeVolumes } from "../plan/volumes";
import { TEST_PRICES as PRICES, planOf } from "./plan-fixtures";

// Unit test: every plan is a literal parsed in-process, nothing is synthesized.


function droplet(overrides: Readonly<Record<string, Json>> = {}): Record<string, Json> {
  return { name: "n-1", image: "ubuntu-24-04-x64", region: "nyc3", size: "s-1vcpu-1gb", ipv6: false, user_data: "#cloud-config\n", ...overrides };
}

/** The change of one address, action and reasons only. */
function changeOf(diff: PlanDiff, address: string): Pick<ResourceChange, "action" | "reasons"> | undefined {
  const change = diff.changes.find((c) => c.address === address);
  return change === undefined ? undefined : { action: change.action, reasons: change.reasons };
}

/** Action and address of every change, in the diff's order. */
function summary(diff: PlanDiff): readonly (readonly string[])[] {
  return diff.changes.map((change) => [change.action, change.address]);
}

const PRIVATE_IP_OF_A = "${digitalocean_droplet.a.ipv4_address_private}";
const IMAGE_REASON = 'image: "ubuntu-24-04-x64" → "debian-12-x64" (forces replacement)';

describe("diffPlans: the reason of a changed attribute", () => {
  const reasonsOf = (type: string, before: Record<string, Json>, after: Record<string, Json>): Pick<ResourceChange, "action" | "reasons"> | undefined =>
    changeOf(diffPlans(planOf({ [type]: { r: before } }), planOf({ [type]: { r: after } })), `${type}.r`);

  test("a nested object lists only its changed keys, added ones too, joined with a comma", () => {
    const change = reasonsOf("null_resource", { triggers: { a: "1", b: "2", d: "4" } }, { triggers: { a: "1", b: "3", d: "4", c: "x" } });
    expect(change).toEqual({ action: "replace", reasons: ["triggers: changed triggers.b, triggers.c (forces replacement)"] });
  });

  test("a nested object with one changed value names that key", () => {
    const change = reasonsOf("null_resource", { triggers: { a: "1" } }, { triggers: { a: "2" } });
    expect(change).toEqual({ action: "replace", reasons: ["triggers: changed triggers.a (forces replacement)"] });
  });

  test("a nested object whose keys are only reordered is no change", () => {
    const diff = diffPlans(
      planOf({ null_resource: { r: { triggers: { a: "1", b: "2" } } } }),
      planOf({ null_resource: { r: { triggers: { b: "2", a: "1" } } } }),
    );
    expect(diff.changes).toEqual([]);
  });

  test("objects inside a list whose keys are only reordered are no change", () => {
    const diff = diffPlans(
      planOf({ digitalocean_firewall: { f: { name: "fw", inbound_rule: [{ protocol: "tcp", port_range: "22" }] } } }),
      planOf({ digitalocean_firewall: { f: { name: "fw", inbound_rule: [{ port_range: "22", protocol: "tcp" }] } } }),
    );
    expect(diff.changes).toEqual([]);
  });

  test("a changed object inside a list is shown by value", () => {
    const change = reasonsOf("digitalocean_firewall", { name: "fw", inbound_rule: [{ port_range: "22" }] }, { name: "fw", inbound_rule: [{ port_range: "23" }] });
    expect(change).toEqual({ action: "update", reasons: ['inbound_rule: [{"port_range":"22"}] → [{"port_range":"23"}] (updatable in place)'] });
  });

  test("an added attribute was unset, a removed one becomes unset", () => {
    expect(reasonsOf("digitalocean_droplet", droplet(), droplet({ backups: true }))).toEqual({
      action: "update",
      reasons: ["backups: (unset) → true (updatable in place)"],
    });
    expect(reasonsOf("digitalocean_droplet", droplet({ backups: true }), droplet())).toEqual({
      action: "update",
      reasons: ["backups: true → (unset) (updatable in place)"],
    });
  });

  test("a value of 60 characters is shown, one of 61 is counted", () => {
    const sixty = `"${"a".repeat(58)}"`; // 60 characters with its quotes
    expect(reasonsOf("digitalocean_droplet", droplet({ size: "a".repeat(58) }), droplet({ size: "b".repeat(59) }))).toEqual({
      action: "update",
      reasons: [`size: ${sixty} → (61 characters) (powers the droplet off)`],
    });
    expect(reasonsOf("digitalocean_droplet", droplet({ size: "b".repeat(59) }), droplet({ size: "a".repeat(58) }))).toEqual({
      action: "update",
      reasons: [`size: (61 characters) → ${sixty} (powers the droplet off)`],
    });
  });

  test("user_data names the nats-server versions when they differ", () => {
    const pinned = (version: string): string => `#!/bin/sh\nversion="${version}"\n`;
    expect(reasonsOf("digitalocean_droplet", droplet({ user_data: pinned("2.10.1") }), droplet({ user_data: pinned("2.11.0") }))).toEqual({
      action: "replace",
      reasons: ["user_data: changed, nats-server 2.10.1 → 2.11.0 (forces replacement)"],
    });
    expect(reasonsOf("digitalocean_droplet", droplet({ user_data: "#!/bin/sh\n" }), droplet({ user_data: pinned("2.11.0") }))?.reasons).toEqual([
      "user_data: changed, nats-server ? → 2.11.0 (forces replacement)",
    ]);
    expect(reasonsOf("digitalocean_droplet", droplet({ user_data: pinned("2.10.1") }), droplet({ user_data: "#!/bin/sh\n" }))?.reasons).toEqual([
      "user_data: changed, nats-server 2.10.1 → ? (forces replacement)",
    ]);
  });

  test("user_data with the same nats-server version (or none) is only changed", () => {
    const pinned = (version: string, extra: string): string => `#!/bin/sh\nversion="${version}"\n${extra}`;
    expect(reasonsOf("digitalocean_droplet", droplet({ user_data: pinned("2.10.1", "") }), droplet({ user_data: pinned("2.10.1", "echo hi\n") }))).toEqual({
      action: "replace",
      reasons: ["user_data: changed (forces replacement)"],
    });
    const { user_data: _unset, ...withoutUserData } = droplet();
    expect(reasonsOf("digitalocean_droplet", withoutUserData, droplet({ user_data: "#cloud-config\nruncmd: []\n" }))?.reasons).toEqual([
      "user_data: changed (forces replacement)",
    ]);
  });

  test("a random_ resource is replaced by a change of any attribute", () => {
    expect(reasonsOf("random_password", { length: 16 }, { length: 24 })).toEqual({ action: "replace", reasons: ["length: 16 → 24 (forces replacement)"] });
  });

  test("without lifecycle no attribute is ignored, whatever its name", () => {
    expect(reasonsOf("random_id", { "Stryker was here": "a" }, { "Stryker was here": "b" })).toEqual({
      action: "replace",
      reasons: ['Stryker was here: "a" → "b" (forces replacement)'],
    });
  });

  // Each argument by name, not read from facts/droplet-arguments.ts: a wrong entry there must fail here.
  test.each<[string, Json, Json]>([
    ["ssh_keys", ["12345"], ["67890"]],
    ["image", "ubuntu-24-04-x64", "debian-12-x64"],
    ["region", "nyc3", "fra1"],
    ["user_data", "#cloud-config\n", "#cloud-config\nruncmd: []\n"],
    ["monitoring", false, true],
    ["droplet_agent", false, true],
    ["vpc_uuid", "c1a5e5d0-1b2c-4d3e-8f90-123456789abc", "d2b6f6e1-2c3d-4e5f-9a01-23456789abcd"],
  ])("a droplet whose %s changes, without ignore_changes, is replaced", (argument, before, after) => {
    const diff = diffPlans(
      planOf({ digitalocean_droplet: { a: droplet({ [argument]: before }) } }),
      planOf({ digitalocean_droplet: { a: droplet({ [argument]: after }) } }),
    );
    expect(changeOf(diff, "digitalocean_droplet.a")).toEqual({ action: "replace", reasons: [expect.stringMatching(new RegExp(`^${argument}: .*\\(forces replacement\\)$`))] });
    expect(diff.replacedDroplets).toEqual(["n-1"]);
  });

  test("ignore_changes leaves a forcing change to npm run roll", () => {
    const lifecycle = { ignore_changes: ["user_data"] };
    const diff = diffPlans(
      planOf({ digitalocean_droplet: { a: droplet({ lifecycle }) } }),
      planOf({ digitalocean_droplet: { a: droplet({ lifecycle, user_data: "#cloud-config\nruncmd: []\n" }) } }),
    );
    expect(changeOf(diff, "digitalocean_droplet.a")).toEqual({ action: "roll", reasons: ["user_data: changed (forces replacement: left to npm run roll)"] });
    expect(diff.rolledDroplets).toEqual(["n-1"]);
    expect(diff.replacedDroplets).toEqual([]);
  });

  test("a forcing change that ignore_changes leaves on another resource than a droplet is not a replacement either", () => {
    const lifecycle = { ignore_changes: ["region"] };
    expect(reasonsOf("digitalocean_volume", { name: "v-1", region: "nyc3", lifecycle }, { name: "v-1", region: "sfo3", lifecycle })).toEqual({
      action: "roll",
      reasons: ['region: "nyc3" → "sfo3" (forces replacement: left to npm run roll)'],
    });
  });

  test("a droplet renamed is changed in place: deploy stops no droplet", () => {
    const diff = diffPlans(planOf({ digitalocean_droplet: { a: droplet() } }), planOf({ digitalocean_droplet: { a: droplet({ name: "n-9" }) } }));
    expect(changeOf(diff, "digitalocean_droplet.a")).toEqual({ action: "update", reasons: ['name: "n-1" → "n-9" (updatable in place)'] });
    expect(diff.stoppedByDeploy).toEqual([]);
  });

  test("an added and a removed resource carry no reasons and no changed arguments", () => {
    const diff = diffPlans(planOf({ digitalocean_tag: { old: { name: "old-tag" } } }), planOf({ digitalocean_tag: { extra: { name: "extra" } } }));
    expect(diff.changes).toEqual([
      { address: "digitalocean_tag.old", type: "digitalocean_tag", label: "old-tag", action: "remove", reasons: [], arguments: [] },
      { address: "digitalocean_tag.extra", type: "digitalocean_tag", label: "extra", action: "add", reasons: [], arguments: [] },
    ]);
  });

  test("turning ipv6 off from unset, or unsetting it when off, is an update", () => {
    const { ipv6: _ipv6, ...withoutIpv6 } = droplet();
    expect(reasonsOf("digitalocean_droplet", droplet({ ipv6: false }), withoutIpv6)).toEqual({
      action: "update",
      reasons: ["ipv6: false → (unset) (updatable in place)"],
    });
    expect(reasonsOf("digitalocean_droplet", withoutIpv6, droplet({ ipv6: false }))).toEqual({
      action: "update",
      reasons: ["ipv6: (unset) → false (updatable in place)"],
    });
  });
});

describe("diffPlans: replacements induced by references", () => {
  test("a firewall using the id of a replaced droplet is updated in place", () => {
    const plan = (image: string): Plan =>
      planOf({
        digitalocean_droplet: { a: droplet({ image }) },
        digitalocean_firewall: {
          f: { name: "fw", droplet_ids: ["${digitalocean_droplet.a.id}"], tags: ["${digitalocean_droplet.a}"] },
          g: { name: "fw-2", droplet_ids: ["${digitalocean_droplet.a.id}"], lifecycle: { ignore_changes: ["droplet_ids"] } },
        },
      });
    const diff = diffPlans(plan("ubuntu-24-04-x64"), plan("debian-12-x64"));
    expect(summary(diff)).toEqual([
      ["replace", "digitalocean_droplet.a"],
      ["update", "digitalocean_firewall.f"],
      ["update", "digitalocean_firewall.g"],
    ]);
    expect(changeOf(diff, "digitalocean_firewall.f")?.reasons).toEqual([
      "droplet_ids: uses digitalocean_droplet.a.id of replaced n-1, known after apply (updatable in place)",
      "tags: uses digitalocean_droplet.a.id of replaced n-1, known after apply (updatable in place)",
    ]);
    // ignore_changes on an attribute that cannot force replacement leaves nothing to roll.
    expect(changeOf(diff, "digitalocean_firewall.g")?.reasons).toEqual([
      "droplet_ids: uses digitalocean_droplet.a.id of replaced n-1, known after apply (updatable in place)",
    ]);
    expect(diff.rolledDroplets).toEqual([]);
  });

  test("a droplet whose user_data uses a replaced droplet's private ip is replaced, or rolled when it ignores user_data", () => {
    const plan = (image: string): Plan =>
      planOf({
        digitalocean_droplet: {
          a: droplet({ image }),
          b: droplet({ name: "n-2", user_data: `routes ${PRIVATE_IP_OF_A}` }),
          c: droplet({ name: "n-3", user_data: `routes ${PRIVATE_IP_OF_A}`, lifecycle: { ignore_changes: ["user_data"] } }),
        },
      });
    const diff = diffPlans(plan("ubuntu-24-04-x64"), plan("debian-12-x64"));
    const reason = "user_data: uses digitalocean_droplet.a.ipv4_address_private of replaced n-1, known after apply (forces replacement)";
    expect(summary(diff)).toEqual([
      ["replace", "digitalocean_droplet.a"],
      ["replace", "digitalocean_droplet.b"],
      ["roll", "digitalocean_droplet.c"],
    ]);
    expect(changeOf(diff, "digitalocean_droplet.b")?.reasons).toEqual([reason]);
    expect(changeOf(diff, "digitalocean_droplet.c")?.reasons).toEqual([reason]);
    expect(diff.replacedDroplets).toEqual(["n-1", "n-2"]);
    expect(diff.rolledDroplets).toEqual(["n-3"]);
  });

  test("a reference inside a meta-argument induces nothing", () => {
    const plan = (image: string): Plan =>
      planOf({
        digitalocean_droplet: { a: droplet({ image }) },
        null_resource: { g: { provisioner: [{ "local-exec": { command: "ping ${digitalocean_droplet.a.ipv4_address}" } }] } },
      });
    const diff = diffPlans(plan("ubuntu-24-04-x64"), plan("debian-12-x64"));
    expect(summary(diff)).toEqual([["replace", "digitalocean_droplet.a"]]);
  });

  test("replacements propagate along a chain, whatever the resource order", () => {
    const plan = (image: string): Plan =>
      planOf({
        digitalocean_droplet: {
          c: droplet({ name: "n-3", user_data: "routes ${digitalocean_droplet.b.ipv4_address_private}" }),
          b: droplet({ name: "n-2", user_data: `routes ${PRIVATE_IP_OF_A}` }),
          a: droplet({ image }),
        },
      });
    const diff = diffPlans(plan("ubuntu-24-04-x64"), plan("debian-12-x64"));
    expect(diff.replacedDroplets).toEqual(["n-1", "n-2", "n-3"]);
    expect(changeOf(diff, "digitalocean_droplet.c")).toEqual({
      action: "replace",
      reasons: ["user_data: uses digitalocean_droplet.b.ipv4_address_private of replaced n-2, known after apply (forces replacement)"],
    });
  });

  test("a load balancer in a replaced VPC is replaced with it, or left to the roll when it ignores vpc_uuid", () => {
    const plan = (region: string): Plan =>
      planOf({
        digitalocean_vpc: { net: { name: "net", region, ip_range: "10.10.0.0/16" } },
        digitalocean_loadbalancer: {
          lb: { name: "lb", region: "nyc3", vpc_uuid: "${digitalocean_vpc.net.id}" },
          kept: { name: "kept", region: "nyc3", vpc_uuid: "${digitalocean_vpc.net.id}", lifecycle: { ignore_changes: ["vpc_uuid"] } },
        },
      });
    const diff = diffPlans(plan("nyc3"), plan("sfo3"));
    const reason = "vpc_uuid: uses digitalocean_vpc.net.id of replaced net, known after apply (forces replacement)";
    expect(summary(diff)).toEqual([
      ["replace", "digitalocean_loadbalancer.lb"],
      ["replace", "digitalocean_vpc.net"],
      ["roll", "digitalocean_loadbalancer.kept"],
    ]);
    expect(changeOf(diff, "digitalocean_loadbalancer.lb")?.reasons).toEqual([reason]);
    expect(changeOf(diff, "digitalocean_loadbalancer.kept")?.reasons).toEqual([reason]);
  });

  test("a load balancer replaced for its region stays replaced when it also targets a replaced droplet", () => {
    const plan = (region: string, image: string): Plan =>
      planOf({ digitalocean_droplet: { a: droplet({ image }) }, digitalocean_loadbalancer: { lb: { name: "lb", region, droplet_ids: ["${digitalocean_droplet.a.id}"] } } });
    const diff = diffPlans(plan("nyc3", "ubuntu-24-04-x64"), plan("sfo3", "debian-12-x64"));
    expect(summary(diff)).toEqual([
      ["replace", "digitalocean_droplet.a"],
      ["replace", "digitalocean_loadbalancer.lb"],
    ]);
    expect(changeOf(diff, "digitalocean_loadbalancer.lb")?.reasons).toEqual(['region: "nyc3" → "sfo3" (forces replacement)']);
  });

  test("a droplet changed only through an in-place argument that uses a replaced droplet's id is changed in place, naming that argument", () => {
    const plan = (image: string): Plan => planOf({ digitalocean_droplet: { a: droplet({ image }), b: droplet({ name: "n-2", tags: ["${digitalocean_droplet.a.id}"] }) } });
    const diff = diffPlans(plan("ubuntu-24-04-x64"), plan("debian-12-x64"));
    const b = diff.changes.find((change) => change.address === "digitalocean_droplet.b");
    expect(b?.action).toBe("update");
    expect(b?.arguments).toEqual(["tags"]);
    expect(b?.verdict).toEqual({ verdict: "deploy", effect: "in place", text: "changed by `cdktf deploy`: in place (tags)" });
    expect(diff.stoppedByDeploy).toEqual(["n-1"]);
  });

  test("an added droplet stays added, a replaced one keeps its own reasons", () => {
    const before = planOf({
      digitalocean_droplet: { a: droplet(), b: droplet({ name: "n-2", tags: ["${digitalocean_droplet.a.id}"] }) },
    });
    const after = planOf({
      digitalocean_droplet: {
        a: droplet({ image: "debian-12-x64" }),
        b: droplet({ name: "n-2", image: "debian-12-x64", tags: ["${digitalocean_droplet.a.id}"] }),
        d: droplet({ name: "n-4", user_data: `routes ${PRIVATE_IP_OF_A}` }),
      },
    });
    const diff = diffPlans(before, after);
    expect(summary(diff)).toEqual([
      ["replace", "digitalocean_droplet.a"],
      ["replace", "digitalocean_droplet.b"],
      ["add", "digitalocean_droplet.d"],
    ]);
    expect(changeOf(diff, "digitalocean_droplet.b")?.reasons).toEqual([IMAGE_REASON]);
    expect(changeOf(diff, "digitalocean_droplet.d")?.reasons).toEqual([]);
  });
});

describe("diffPlans: the seed", () => {
  const cluster = (a: Readonly<Record<string, Json>>, others: Readonly<Record<string, Record<string, Json>>>): Plan =>
    planOf({ digitalocean_droplet: { a: droplet(a), ...others } });
  const followers = {
    b: droplet({ name: "n-2", user_data: `routes ${PRIVATE_IP_OF_A}` }),
    c: droplet({ name: "n-3", user_data: `routes ${PRIVATE_IP_OF_A}` }),
  };

  test("a replaced seed takes every node routing to it", () => {
    const diff = diffPlans(cluster({}, followers), cluster({ image: "debian-12-x64" }, followers));
    expect(diff.seedReplaced).toEqual({ name: "n-1", followers: ["n-2", "n-3"] });
  });

  test("a removed seed is reported with its followers", () => {
    const diff = diffPlans(cluster({}, followers), planOf({ digitalocean_droplet: followers }));
    expect(summary(diff)).toEqual([["remove", "digitalocean_droplet.a"]]);
    expect(diff.seedReplaced).toEqual({ name: "n-1", followers: ["n-2", "n-3"] });
  });

  test("a seed updated in place, or unchanged, is not reported", () => {
    const resized = diffPlans(cluster({}, followers), cluster({ size: "s-2vcpu-4gb" }, followers));
    expect(summary(resized)).toEqual([["update", "digitalocean_droplet.a"]]);
    expect(resized.seedReplaced).toBeUndefined();
    const other = diffPlans(cluster({}, followers), cluster({}, { ...followers, c: droplet({ name: "n-3", size: "s-2vcpu-4gb", user_data: `routes ${PRIVATE_IP_OF_A}` }) }));
    expect(summary(other)).toEqual([["update", "digitalocean_droplet.c"]]);
    expect(other.seedReplaced).toBeUndefined();
  });

  test("nodes reaching the seed through a load balancer do not follow it", () => {
    const balancer = { digitalocean_loadbalancer: { lb: { name: "seed-lb", droplet_tag: "seed" } } };
    const viaBalancer = droplet({ name: "n-3", user_data: "routes ${digitalocean_loadbalancer.lb.ip}" });
    const plan = (image: string, others: Readonly<Record<string, Record<string, Json>>>): Plan =>
      planOf({ digitalocean_droplet: { a: droplet({ image, tags: ["seed"] }), ...others }, ...balancer });
    const both = diffPlans(plan("ubuntu-24-04-x64", { b: followers.b, c: viaBalancer }), plan("debian-12-x64", { b: followers.b, c: viaBalancer }));
    expect(both.seedReplaced).toEqual({ name: "n-1", followers: ["n-2"] });
    // Only n-2 routes to another node's own address: the roll refuses the stack for it, not for n-3.
    expect(both.directRoutes).toEqual(["n-2"]);
    const onlyBalanced = diffPlans(plan("ubuntu-24-04-x64", { c: viaBalancer }), plan("debian-12-x64", { c: viaBalancer }));
    expect(onlyBalanced.replacedDroplets).toEqual(["n-1"]);
    expect(onlyBalanced.seedReplaced).toBeUndefined();
    expect(onlyBalanced.directRoutes).toEqual([]);
  });
});

describe("diffPlans: volume warnings", () => {
  const volume = (overrides: Readonly<Record<string, Json>> = {}): Record<string, Json> => ({ name: "v-1", region: "nyc3", size: 10, description: "a", ...overrides });
  const warningsOf = (before: Record<string, Json> | undefined, after: Record<string, Json> | undefined): PlanDiff["volumeWarnings"] =>
    diffPlans(
      planOf(before === undefined ? {} : { digitalocean_volume: { v: before } }),
      planOf(after === undefined ? {} : { digitalocean_volume: { v: after } }),
    ).volumeWarnings;

  test("a removed volume loses its data", () => {
    expect(warningsOf(volume(), undefined)).toEqual([
      { name: "v-1", message: "volume `v-1` is destroyed: **its JetStream data is lost** (removed from the plan)" },
    ]);
  });

  test("a replaced volume lists every reason, separated by semicolons", () => {
    expect(warningsOf(volume(), volume({ region: "ams3", description: "b" }))).toEqual([
      {
        name: "v-1",
        message: 'volume `v-1` is replaced: **its JetStream data is lost** (region: "nyc3" → "ams3" (forces replacement); description: "a" → "b" (forces replacement))',
      },
    ]);
  });

  test("a volume of the same size is no shrink, a smaller one is", () => {
    const diff = diffPlans(planOf({ digitalocean_volume: { v: volume() } }), planOf({ digitalocean_volume: { v: volume({ tags: ["x"] }) } }));
    expect(summary(diff)).toEqual([["update", "digitalocean_volume.v"]]);
    expect(diff.volumeWarnings).toEqual([]);
    expect(warningsOf(volume(), volume({ size: 9 }))).toEqual([
      { name: "v-1", message: "volume `v-1` would shrink from 10 to 9 GiB: DigitalOcean volumes only grow, the provider refuses this plan" },
    ]);
  });

  test("a volume is protected only by prevent_destroy set to true", () => {
    const plan = planOf({
      digitalocean_volume: {
        p: volume({ name: "p", lifecycle: { prevent_destroy: true } }),
        f: volume({ name: "f", lifecycle: { prevent_destroy: false } }),
        i: volume({ name: "i", lifecycle: { ignore_changes: ["size"] } }),
        n: volume({ name: "n" }),
      },
    });
    expect(describeVolumes(plan).map((v) => [v.name, v.protected])).toEqual([
      ["p", true],
      ["f", false],
      ["i", false],
      ["n", false],
    ]);
  });
});

describe("replacement rules", () => {
  test.each([
    [true, false, true],
    [true, undefined, true],
    [true, true, false],
    [false, true, false],
    [false, undefined, false],
    [undefined, false, false],
  ])("ipv6 %p → %p forces replacement: %p", (before, after, forces) => {
    expect(forcesReplacement("digitalocean_droplet", "ipv6", before, after)).toBe(forces);
  });

  test("random_ resources are replaced on any change", () => {
    expect(forcesReplacement("random_password", "length", 16, 24)).toBe(true);
    expect(forcesReplacement("digitalocean_firewall", "name", "a", "b")).toBe(false);
    expect(forcesReplacement("digitalocean_droplet", "size", "a", "b")).toBe(false);
  });

  test.each([
    ["random_id", "byte_length", true],
    ["digitalocean_droplet", "image", true],
    ["digitalocean_droplet", "size", false],
    ["digitalocean_firewall", "droplet_ids", false],
    // Only the random provider's types: random_ begins the name.
    ["null_random_like", "input", false],
  ])("isForceNew(%s, %s) is %p", (type, attribute, expected) => {
    expect(isForceNew(type, attribute)).toBe(expected);
  });

  // Each attribute by name, as the pinned providers' schemas mark it ForceNew: a wrong entry in REPLACEMENT_RULES must fail here.
  test.each([
    ["digitalocean_loadbalancer", ["region", "vpc_uuid", "type", "network"], ["name", "size_unit", "droplet_ids", "droplet_tag", "forwarding_rule", "healthcheck"]],
    ["digitalocean_tag", ["name"], []],
    ["digitalocean_volume", ["region", "name", "description", "snapshot_id", "initial_filesystem_type", "initial_filesystem_label"], ["size", "tags"]],
    ["digitalocean_vpc", ["region", "ip_range"], ["name", "description"]],
    ["null_resource", ["triggers"], []],
    ["digitalocean_firewall", [], ["name", "droplet_ids", "tags", "inbound_rule", "outbound_rule"]],
  ])("a %s is replaced by a change of %j, updated in place by one of %j", (type, forcing, inPlace) => {
    for (const attribute of forcing) expect([attribute, forcesReplacement(type, attribute, "a", "b")]).toEqual([attribute, true]);
    for (const attribute of inPlace) expect([attribute, forcesReplacement(type, attribute, "a", "b")]).toEqual([attribute, false]);
  });
});

describe("dropletVerdict: what Terraform does to one droplet, from the names of its changed arguments", () => {
  const ALL_IGNORED = ["image", "region", "size", "ipv6", "ssh_keys", "user_data", "monitoring", "droplet_agent", "vpc_uuid"];

  test.each([
    [["size"], [], "deploy", "powers off", "changed by `cdktf deploy`: powers off (size)"],
    [["user_data", "monitoring"], [], "deploy", "replaces", "changed by `cdktf deploy`: replaces (user_data, monitoring)"],
    [["size", "image"], [], "deploy", "replaces", "changed by `cdktf deploy`: replaces (image)"],
    [["ipv6"], [], "deploy", "replaces", "changed by `cdktf deploy`: replaces (ipv6)"],
    [["tags", "name"], [], "deploy", "in place", "changed by `cdktf deploy`: in place (tags, name)"],
    [["backups"], [], "deploy", "in place", "changed by `cdktf deploy`: in place (backups)"],
    [["size", "user_data"], ALL_IGNORED, "roll", "nothing", "left to `npm run roll` (size, user_data): deploy keeps the running droplet"],
    [["tags", "size"], ALL_IGNORED, "roll", "in place", "changed by `cdktf deploy`: in place (tags); left to `npm run roll` (size): deploy keeps the running droplet"],
    [["size", "user_data"], ["user_data"], "deploy", "powers off", "changed by `cdktf deploy`: powers off (size); left to `npm run roll` (user_data): deploy keeps the running droplet"],
    [["region"], [], "deploy", "replaces", "changed by `cdktf deploy`: replaces (region)"],
    [["image", "user_data"], ["user_data"], "deploy", "replaces", "changed by `cdktf deploy`: replaces (image); left to `npm run roll` (user_data): deploy keeps the running droplet"],
    // backups is not in the table: ignored, it is left to the roll like any other argument, not refused.
    [["backups", "user_data"], ["backups", "user_data"], "roll", "nothing", "left to `npm run roll` (backups, user_data): deploy keeps the running droplet"],
  ] as const)("%j changed, %j ignored: %s, %s", (changed, ignored, verdict, effect, text) => {
    expect(dropletVerdict(changed, ignored)).toEqual({ verdict, effect, text });
  });

  test("a refused argument the droplet ignores is refused, whatever else changed, and says what to do", () => {
    for (const argument of ["region", "vpc_uuid"]) {
      const verdict = dropletVerdict([argument, "size", "tags"], ALL_IGNORED);
      expect(verdict.verdict).toBe("refused");
      expect(verdict.text).toMatch(new RegExp(`^refused \\(${argument}\\): .*needs a second cluster, not a roll.*deploy a second stack`));
    }
  });

  test("ipv6 turned on is in place, turned off replaces", () => {
    expect(dropletVerdict(["ipv6"], [], ["ipv6"]).effect).toBe("in place");
    expect(dropletVerdict(["ipv6"], []).effect).toBe("replaces");
  });
});

describe("summary details", () => {

  test("a load balancer's legacy size sets its size units", () => {
    const cost = estimateCost(planOf({ digitalocean_loadbalancer: { lb: { name: "lb", size: "lb-medium" } } }), PRICES);
    expect(cost.lines).toEqual([{ item: "load balancer lb (size units)", quantity: 3, unitPrice: 11.25, monthly: 33.75 }]);
    const unknown = estimateCost(planOf({ digitalocean_loadbalancer: { lb: { name: "lb", size: "lb-huge" } } }), PRICES);
    expect(unknown.lines).toEqual([{ item: "load balancer lb (size lb-huge)", quantity: 1 }]);
  });

  test("rendered lists are joined with commas, empty ones say none", () => {
    const plan = planOf({
      digitalocean_droplet: {
        a: droplet(),
        b: droplet({ name: "n-2", user_data: `routes ${PRIVATE_IP_OF_A}` }),
        c: droplet({ name: "n-3", user_data: `routes ${PRIVATE_IP_OF_A} \${digitalocean_droplet.b.ipv4_address_private}` }),
      },
      digitalocean_volume: { v: { name: "v-1", region: "nyc3", size: 10, initial_filesystem_type: "ext4" } },
      digitalocean_loadbalancer: { lb: { name: "lb", region: "nyc3", depends_on: ["digitalocean_droplet.a"] } },
      digitalocean_firewall: { fw: { name: "fw", droplet_ids: ["${digitalocean_droplet.a.id}"] } },
    });
    const lines = renderSummary(plan, PRICES).split("\n");
    expect(lines).toContain("| n-3 | s-1vcpu-1gb | nyc3 | ubuntu-24-04-x64 | unknown | routes to n-1, n-2 |");
    expect(lines).toContain("| v-1 | 10 GiB | ext4 | nyc3 | none | no |");
    expect(lines).toContain("Targets: none. Sticky sessions: provider default.");
    expect(lines).toContain("Droplets are created in 3 wave(s). Waiting for droplets: `digitalocean_loadbalancer.lb`, `digitalocean_firewall.fw`.");
  });
});

describe("dependency graph helpers", () => {
  test("upstreamOf follows dependencies that depend on nothing listed", () => {
    const graph = { dependsOn: new Map<string, readonly string[]>([["x", ["y", "z"]], ["z", ["w"]]]) };
    expect([...upstreamOf(graph, "x")].sort()).toEqual(["w", "y", "z"]);
    expect([...upstreamOf(graph, "y")]).toEqual([]);
  });

  test("wavesOfType lists a type's distinct waves in ascending order", () => {
    const wave = new Map([
      ["digitalocean_droplet.a", 3],
      ["digitalocean_droplet.b", 1],
      ["digitalocean_tag.t", 4],
      ["digitalocean_droplet.c", 2],
      ["digitalocean_droplet.d", 3],
      ["digitalocean_droplet.e", 10],
    ]);
    expect(wavesOfType({ wave, depth: 4, criticalPath: [] }, "digitalocean_droplet")).toEqual([1, 2, 3, 10]);
  });
});
