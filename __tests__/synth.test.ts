import { appendFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROJECT_ROOT, appContextJson, appModules, inputsStamp, synthModules } from "../plan/synth";

describe("appModules", () => {
  const modules = appModules();

  test("follows imports transitively from main.ts into every folder the app uses", () => {
    expect(modules).toEqual(expect.arrayContaining(["main.ts", "constructs/nats-stack.ts", "constructs/cloud-init.ts", "policy/rules/world-open-ports.ts", "policy/rules/index.ts", "helpers/tf-json.ts"]));
  });

  test("leaves out what the app does not import", () => {
    expect(modules.filter((module) => /^(twin|verify|scripts|bench|__tests__)\//.test(module))).toEqual([]);
    expect(modules).not.toContain("plan/synth.ts");
  });
});

describe("appContextJson: the context cdktf synth hands the app", () => {
  const dir = mkdtempSync(join(tmpdir(), "synth-context-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const cdktfJson = (config: object): string => {
    const file = join(dir, `${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify(config));
    return file;
  };

  test("is cdktf.json's context, which replaces CDKTF_CONTEXT_JSON from the caller", () => {
    const file = cdktfJson({ app: "x", context: { nats: { nodeCount: 5 } } });
    expect(JSON.parse(appContextJson({ CDKTF_CONTEXT_JSON: '{"nats":{"nodeCount":7}}' }, file))).toEqual({ nats: { nodeCount: 5 }, cdktfRelativeModules: [] });
  });

  test("is the caller's CDKTF_CONTEXT_JSON when cdktf.json has no context, else empty", () => {
    const file = cdktfJson({ app: "x" });
    expect(JSON.parse(appContextJson({ CDKTF_CONTEXT_JSON: '{"nats":{"nodeCount":7}}' }, file))).toEqual({ nats: { nodeCount: 7 }, cdktfRelativeModules: [] });
    expect(JSON.parse(appContextJson({}, file))).toEqual({ cdktfRelativeModules: [] });
  });

  test("lists the terraformModules with a relative source as cdktfRelativeModules", () => {
    const file = cdktfJson({ context: {}, terraformModules: ["./modules/a", "terraform-aws-modules/vpc/aws@3.0.0", { name: "b", source: "../b" }, { name: "c", source: "hashicorp/c" }] });
    expect(JSON.parse(appContextJson({}, file))).toEqual({ cdktfRelativeModules: ["./modules/a", { name: "b", source: "../b" }] });
  });

  test("of this project is cdktf.json's", () => {
    expect(JSON.parse(appContextJson({ CDKTF_CONTEXT_JSON: '{"nats":{"nodeCount":7}}' }))).toEqual({ ...require("../cdktf.json").context, cdktfRelativeModules: [] });
  });
});

describe("inputsStamp: a plan is stale when anything the app reads changed", () => {
  // A copy of what the app reads, to edit: every imported module, the templates, cdktf.json, the lock file.
  const root = mkdtempSync(join(tmpdir(), "synth-stamp-"));
  for (const path of [...synthModules(), "templates", "cdktf.json", "package-lock.json", "twin/twin.ts"]) {
    cpSync(join(PROJECT_ROOT, path), join(root, path), { recursive: true });
  }
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const stamp = (env: NodeJS.ProcessEnv = {}): string => inputsStamp(env, root);

  test("is the same for the same inputs", () => {
    expect(stamp()).toBe(stamp());
    expect(stamp()).toMatch(/^[0-9a-f]{64}$/);
  });

  test.each(["policy/rules/node-count.ts", "helpers/tf-json.ts", "facts/validation.ts", "main.ts", "templates/install-nats-server.sh", "templates/nats-server.service", "package-lock.json"])(
    "changes with an edit of %s",
    (file) => {
      const before = stamp();
      appendFileSync(join(root, file), "\n");
      expect(stamp()).not.toBe(before);
    },
  );

  test("changes with cdktf.json's context", () => {
    const before = stamp();
    writeFileSync(join(root, "cdktf.json"), JSON.stringify({ ...require("../cdktf.json"), context: { nats: { nodeCount: 5 } } }));
    expect(stamp()).not.toBe(before);
  });

  test("changes with the NATS_* settings in the environment, and with CDKTF_CONTEXT_JSON when cdktf.json has no context", () => {
    expect(stamp({ NATS_NODE_COUNT: "5" })).not.toBe(stamp());
    expect(stamp({ NATS_TUTORIAL_REGION: "fra1" })).not.toBe(stamp());
    writeFileSync(join(root, "cdktf.json"), JSON.stringify({ app: "node --import tsx main.ts" }));
    expect(stamp({ CDKTF_CONTEXT_JSON: '{"nats":{"nodeCount":5}}' })).not.toBe(stamp());
  });

  test("stays the same with an edit of a module the app does not import, or an unrelated variable", () => {
    const before = stamp({ HOME: "/root" });
    appendFileSync(join(root, "twin/twin.ts"), "\n");
    expect(stamp({ HOME: "/tmp" })).toBe(before);
  });
});
