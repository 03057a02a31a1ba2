import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { appContextJson, freshStackFile, runApp, synthesize } from "../plan/synth";

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

describe("runApp", () => {
  test("hands the app cdktf.json's context and no Terraform variables, as cdktf synth does", () => {
    process.env.TF_VAR_region = "fra1";
    try {
      const printEnv = "console.error(JSON.stringify({ context: process.env.CDKTF_CONTEXT_JSON, tfVar: process.env.TF_VAR_region ?? null }))";
      const run = runApp({ command: [process.execPath, "-e", printEnv], outdir: tmpdir() });
      expect(run.status).toBe(0);
      expect(JSON.parse(run.stderr)).toEqual({ context: appContextJson(), tfVar: null });
      expect(JSON.parse(appContextJson())).toEqual({ ...(require("../cdktf.json") as { context: object }).context, cdktfRelativeModules: [] });
    } finally {
      delete process.env.TF_VAR_region;
    }
  });
});
