import { loadPrices } from "../plan/cost";
import { diffPlans } from "../plan/diff";
import { renderDiff, renderSummary } from "../plan/markdown";
import { Plan, parsePlan } from "../helpers/tf-json";
import { describeVolumes } from "../plan/volumes";
import { NatsStackProps } from "../constructs/nats-stack";
import { DEFAULT_STACK } from "../constructs/stacks";
import { synthJson, testStack } from "./helpers";

/** The default stack with `props` over it, as plan review reads it. */
function planOf(props: NatsStackProps = {}): Plan {
  return parsePlan(synthJson(testStack({ ...DEFAULT_STACK, ...props }, "nats")) as unknown as Record<string, unknown>, "test");
}

describe("plan review of volumes", () => {
  const base = planOf();

  test("the summary lists each node's volume, what attaches it and whether destroy deletes it", () => {
    expect(describeVolumes(base).map(({ name, sizeGib, filesystem, region, attachedTo, protected: kept }) => ({ name, sizeGib, filesystem, region, attachedTo, kept }))).toEqual(
      [1, 2, 3].map((i) => ({ name: `nats-${i}-data`, sizeGib: 10, filesystem: "ext4", region: "nyc3", attachedTo: [`nats-${i}`], kept: false })),
    );
    const markdown = renderSummary(base, loadPrices());
    expect(markdown).toContain("| nats-1-data | 10 GiB | ext4 | nyc3 | nats-1 | no |");
    expect(markdown).toContain("No volume is protected: `cdktf destroy` deletes them with their JetStream data (`protectVolumes` prevents it).");
    expect(markdown).toContain("| volume 10 GiB | 3 | $1.00 | $3.00 |");
  });

  test("protectVolumes shows as protected", () => {
    const markdown = renderSummary(planOf({ protectVolumes: true }), loadPrices());
    expect(markdown).toContain("| nats-2-data | 10 GiB | ext4 | nyc3 | nats-2 | yes (prevent_destroy) |");
    expect(markdown).toContain("Every volume is protected: `cdktf destroy` fails instead of deleting JetStream's data.");
  });

  test("a growing volume is resized in place without a warning", () => {
    const diff = diffPlans(base, planOf({ volumeSizeGib: 20 }));
    expect(diff.volumeWarnings).toEqual([]);
    expect(diff.changes.filter((change) => change.type === "digitalocean_volume").map((change) => [change.label, change.action])).toEqual([
      ["nats-1-data", "update"],
      ["nats-2-data", "update"],
      ["nats-3-data", "update"],
    ]);
  });

  test("--diff flags a shrinking volume: digitalocean volumes only grow", () => {
    const diff = diffPlans(planOf({ volumeSizeGib: 20 }), base);
    expect(diff.volumeWarnings.map((warning) => warning.message)).toEqual(
      [1, 2, 3].map((i) => `volume \`nats-${i}-data\` would shrink from 20 to 10 GiB: DigitalOcean volumes only grow, the provider refuses this plan`),
    );
    expect(renderDiff(diff, "old")).toContain("> ⚠️ volume `nats-1-data` would shrink from 20 to 10 GiB");
  });

  test("--diff flags a replaced volume as data loss (a new filesystem type replaces every volume)", () => {
    const diff = diffPlans(base, planOf({ volumeFilesystem: "xfs" }));
    expect(diff.volumeWarnings.map((warning) => warning.message)).toEqual(
      [1, 2, 3].map((i) => `volume \`nats-${i}-data\` is replaced: **its JetStream data is lost** (initial_filesystem_type: "ext4" → "xfs" (forces replacement))`),
    );
  });

  test("--diff flags volumes destroyed when jetstream is turned off", () => {
    const diff = diffPlans(base, planOf({ jetstream: false }));
    expect(diff.volumeWarnings.map((warning) => warning.name)).toEqual(["nats-1-data", "nats-2-data", "nats-3-data"]);
    expect(diff.volumeWarnings[0].message).toContain("is destroyed: **its JetStream data is lost**");
  });

  test("a replaced droplet keeps its volume: same volume, same volume_ids reference", () => {
    const diff = diffPlans(base, planOf({ natsVersion: "2.14.5" }));
    expect(diff.rolledDroplets).toEqual(["nats-1", "nats-2", "nats-3"]);
    expect(diff.changes.filter((change) => change.type === "digitalocean_volume")).toEqual([]);
    expect(diff.volumeWarnings).toEqual([]);
  });
});
