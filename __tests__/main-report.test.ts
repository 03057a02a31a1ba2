import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runApp } from "../plan/synth";

// Integration test: runs the cdktf app in a child process.
jest.setTimeout(60_000);

describe("main.ts reports a bad configuration in one block", () => {
  test("every problem of every stage and stack, once each, named as set, exit 1, no stack trace, nothing written", () => {
    const outdir = mkdtempSync(join(tmpdir(), "main-report-"));
    try {
      const { status, stderr } = runApp({
        outdir,
        env: {
          NATS_READINESS_GATE: "maybe",
          NATS_NODE_COUNT: "0",
          NATS_VERSION: `2.10.24;${"x".repeat(500)}`,
          NATS_TUTORIAL_REGION: "Bangalore",
          NATS_TUTORIAL_NODECOUNT: "3",
        },
      });
      expect(status).toBe(1);
      expect(stderr.split("\n")).toEqual([
        "configuration has 5 problems; nothing was synthesized:",
        '- nats: NATS_READINESS_GATE "maybe" is not a boolean: expected true or false',
        expect.stringMatching(/^- nats: NATS_NODE_COUNT must be an integer from 1 to 25 .*, got 0$/),
        expect.stringMatching(/^- nats: NATS_VERSION "2\.10\.24;x{70,72}…" \(508 characters\) is not valid: expected a nats-server release number X\.Y\.Z from 2\.11\.0/),
        "- nats-tutorial: NATS_TUTORIAL_NODECOUNT is not a setting: did you mean NATS_TUTORIAL_NODE_COUNT?",
        expect.stringMatching(/^- nats-tutorial: NATS_TUTORIAL_REGION "Bangalore" is not valid: expected a region slug/),
        "",
      ]);
      expect(stderr).not.toMatch(/^\s+at /m);
      // cdktf's App creates the empty stacks directory; no stack is written into it.
      expect(readdirSync(join(outdir, "stacks"))).toEqual([]);
      expect(existsSync(join(outdir, "manifest.json"))).toBe(false);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  test("CDKTF_CONTEXT_JSON that is not JSON: one line naming it, exit 1, no stack trace, nothing written", () => {
    const outdir = mkdtempSync(join(tmpdir(), "main-report-"));
    try {
      const { status, stderr } = runApp({ outdir, env: { CDKTF_CONTEXT_JSON: "{not json" } });
      expect(status).toBe(1);
      expect(stderr).toMatch(/^configuration problem; nothing was synthesized: CDKTF_CONTEXT_JSON is not valid JSON \(.+\): fix the context in cdktf\.json or the variable\n$/);
      expect(existsSync(join(outdir, "manifest.json"))).toBe(false);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});

describe("main.ts prints warnings", () => {
  test("a 2-node stack synthesizes (exit 0) and its policy warnings NATS-004 and NATS-007 are on stderr", () => {
    const outdir = mkdtempSync(join(tmpdir(), "main-report-"));
    try {
      const { status, stderr } = runApp({ outdir, env: { NATS_NODE_COUNT: "2" } });
      expect(status).toBe(0);
      expect(stderr.split("\n")).toEqual([
        "synthesized with 2 warnings:",
        expect.stringMatching(/^- nats: \[NATS-004\] cluster "nats" has 2 nodes /),
        expect.stringMatching(/^- nats: \[NATS-007\] cluster "nats" runs jetstream on 2 nodes: /),
        "",
      ]);
      expect(existsSync(join(outdir, "stacks", "nats", "cdk.tf.json"))).toBe(true);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  test("under the cdktf CLI (which prints the annotations itself) the app prints none", () => {
    const outdir = mkdtempSync(join(tmpdir(), "main-report-"));
    try {
      const { status, stderr } = runApp({ outdir, env: { NATS_NODE_COUNT: "2", CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS: "true" } });
      expect(status).toBe(0);
      expect(stderr).toBe("");
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
