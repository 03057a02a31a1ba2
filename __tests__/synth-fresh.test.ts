import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freshStackFile, synthesize } from "../plan/synth";

// Integration test: synthesizes the app in child processes.
jest.setTimeout(120_000);

const dropletCount = (file: string): number => Object.keys((JSON.parse(readFileSync(file, "utf8")) as { resource: Record<string, object> }).resource.digitalocean_droplet).length;

describe("freshStackFile", () => {
  const outdir = mkdtempSync(join(tmpdir(), "synth-fresh-"));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  test("does not hand out a plan that another synthesis with other settings wrote since", () => {
    const file = freshStackFile("nats", outdir);
    expect(dropletCount(file)).toBe(3);
    // What `NATS_NODE_COUNT=5 cdktf synth` leaves behind in the same output directory.
    synthesize({ outdir, env: { NATS_NODE_COUNT: "5" } });
    expect(dropletCount(file)).toBe(5);
    expect(freshStackFile("nats", outdir)).toBe(file);
    expect(dropletCount(file)).toBe(3);
  });
});
