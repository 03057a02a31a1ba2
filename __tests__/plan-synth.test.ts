import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, relative } from "node:path";

// Unit test: no process is started. spawnSync is replaced, so even a mutant that synthesizes
// where it should not calls this stub instead of the cdktf app.
jest.mock("node:child_process", () => ({ spawnSync: jest.fn() }));
// existsSync and statSync go to the real ones unless a test stands in for the clock of the
// project's files or for another caller holding the synthesis lock.
jest.mock("node:fs", () => {
  const fs = jest.requireActual<typeof import("node:fs")>("node:fs");
  return { ...fs, existsSync: jest.fn(fs.existsSync), statSync: jest.fn(fs.statSync) };
});

import { spawnSync } from "node:child_process";
import {
  APP_COMMAND,
  PROJECT_ROOT,
  SYNTH_ENTRIES,
  appContextJson,
  appEnv,
  appModules,
  cdktfEnv,
  defaultOutdir,
  freshStackFile,
  inputsStamp,
  isStackStale,
  planToReview,
  runApp,
  stackFile,
  synthModules,
  synthesize,
} from "../plan/synth";

const spawn = spawnSync as unknown as jest.Mock;
const actualFs = jest.requireActual<typeof import("node:fs")>("node:fs");
const exists = existsSync as unknown as jest.Mock;
const stat = statSync as unknown as jest.Mock;

/** Refuses every process: what `spawnSync` does unless a test says otherwise. */
const noProcess = (): never => {
  throw new Error("a unit test must not start a process");
};

beforeEach(() => {
  spawn.mockReset();
  spawn.mockImplementation(noProcess);
  exists.mockImplementation(actualFs.existsSync);
  stat.mockImplementation(actualFs.statSync);
});

/** Sets (or, with undefined, removes) process.env variables for the duration of `body`. */
function withEnv<T>(vars: Readonly<Record<string, string | undefined>>, body: () => T): T {
  const saved = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  const apply = (values: Readonly<Record<string, string | undefined>>): void => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  apply(vars);
  try {
    return body();
  } finally {
    apply(saved);
  }
}

/** Writes `files` (path relative to `root` → content) under `root`, creating folders. */
function writeTree(root: string, files: Readonly<Record<string, string>>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
}

/** A stand-in for the app (spawnSync's place): writes `files` (path relative to CDKTF_OUTDIR → content) and exits 0. */
const appWriting =
  (files: Readonly<Record<string, string>>) =>
  (_command: string, _args: readonly string[], options: { env: NodeJS.ProcessEnv }): object => {
    writeTree(options.env.CDKTF_OUTDIR as string, files);
    return { status: 0, stderr: "" };
  };
/** Both stacks main.ts writes, empty. */
const BOTH_STACKS: Readonly<Record<string, string>> = { "stacks/nats/cdk.tf.json": "{}\n", "stacks/nats-tutorial/cdk.tf.json": "{}\n" };

const sha256 = (content: string): string => createHash("sha256").update(content).digest("hex");

describe("the module", () => {
  test("the project root is the folder holding cdktf.json and main.ts", () => {
    expect(existsSync(join(PROJECT_ROOT, "cdktf.json"))).toBe(true);
    expect(existsSync(join(PROJECT_ROOT, "main.ts"))).toBe(true);
    expect(PROJECT_ROOT).toBe(join(__dirname, ".."));
  });

  test("runs the app as cdktf.json says, from main.ts and scripts/verify.ts", () => {
    expect(APP_COMMAND).toEqual([process.execPath, "--import", "tsx", "main.ts"]);
    expect(SYNTH_ENTRIES).toEqual(["main.ts", "scripts/verify.ts"]);
  });
});

describe("defaultOutdir", () => {
  test("is cdktf.out in the project root without CDKTF_OUTDIR", () => {
    expect(withEnv({ CDKTF_OUTDIR: undefined }, defaultOutdir)).toBe(join(PROJECT_ROOT, "cdktf.out"));
  });

  test("is CDKTF_OUTDIR, resolved against the project root when relative", () => {
    expect(withEnv({ CDKTF_OUTDIR: "/srv/synth/out" }, defaultOutdir)).toBe("/srv/synth/out");
    expect(withEnv({ CDKTF_OUTDIR: "build/out" }, defaultOutdir)).toBe(join(PROJECT_ROOT, "build", "out"));
  });
});

describe("stackFile", () => {
  test("is stacks/<stack>/cdk.tf.json in the output directory", () => {
    expect(stackFile("/srv/out", "nats")).toBe("/srv/out/stacks/nats/cdk.tf.json");
    expect(stackFile("/srv/out", "nats-tutorial")).toBe("/srv/out/stacks/nats-tutorial/cdk.tf.json");
  });
});

describe("cdktfEnv", () => {
  test("is the caller's environment with checkpoint calls off and without TF_CLI_CONFIG_FILE", () => {
    withEnv({ TF_CLI_CONFIG_FILE: "/nonexistent/.terraformrc", PLAN_SYNTH_PROBE: "kept", CHECKPOINT_DISABLE: undefined }, () => {
      const env = cdktfEnv();
      expect(env.CHECKPOINT_DISABLE).toBe("1");
      expect(env.PLAN_SYNTH_PROBE).toBe("kept");
      expect(env.PATH).toBe(process.env.PATH);
      expect("TF_CLI_CONFIG_FILE" in env).toBe(false);
      // The caller's environment is left as it was.
      expect(process.env.TF_CLI_CONFIG_FILE).toBe("/nonexistent/.terraformrc");
      expect(process.env.CHECKPOINT_DISABLE).toBeUndefined();
    });
  });

  test("adds the extra variables last, so they win", () => {
    const env = cdktfEnv({ NATS_NODE_COUNT: "5", CHECKPOINT_DISABLE: "0" });
    expect(env.NATS_NODE_COUNT).toBe("5");
    expect(env.CHECKPOINT_DISABLE).toBe("0");
  });
});

describe("appContextJson", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "plan-synth-context-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cdktfJson = (name: string, config: object): string => {
    const file = join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(config));
    return file;
  };

  test("an empty context in cdktf.json still replaces the caller's CDKTF_CONTEXT_JSON", () => {
    const file = cdktfJson("empty-context", { app: "x", context: {} });
    expect(appContextJson({ CDKTF_CONTEXT_JSON: '{"nats":{"nodeCount":7}}' }, file)).toBe('{"cdktfRelativeModules":[]}');
  });

  test("is the caller's context, then the relative modules, when cdktf.json has no context", () => {
    const file = cdktfJson("no-context", { app: "x", terraformModules: ["./m"] });
    expect(appContextJson({ CDKTF_CONTEXT_JSON: '{"nats":{"nodeCount":7}}' }, file)).toBe('{"nats":{"nodeCount":7},"cdktfRelativeModules":["./m"]}');
    expect(appContextJson({}, file)).toBe('{"cdktfRelativeModules":["./m"]}');
  });

  test("keeps only sources starting with ./ or ../, as strings or objects", () => {
    const modules = ["./a", "../b", "modules/./c", "registry/../d", ".e/f", "...g/h", "hashicorp/consul/aws", { name: "i", source: "../i" }, { name: "j", source: "j/../k" }];
    const file = cdktfJson("modules", { context: { region: "fra1" }, terraformModules: modules });
    expect(appContextJson({}, file)).toBe('{"region":"fra1","cdktfRelativeModules":["./a","../b",{"name":"i","source":"../i"}]}');
  });

  test("reads the project's cdktf.json by default", () => {
    const { context } = JSON.parse(readFileSync(join(PROJECT_ROOT, "cdktf.json"), "utf8")) as { context: object };
    expect(JSON.parse(appContextJson({}))).toEqual({ ...context, cdktfRelativeModules: [] });
  });
});

describe("appEnv", () => {
  test("drops TF_VAR_* (only those), sets cdktf.json's context and adds the extra variables last", () => {
    const { context } = JSON.parse(readFileSync(join(PROJECT_ROOT, "cdktf.json"), "utf8")) as { context: object };
    withEnv({ TF_VAR_region: "fra1", MY_TF_VAR_: "kept", TF_CLI_CONFIG_FILE: "/nonexistent/.terraformrc", CDKTF_CONTEXT_JSON: '{"caller":true}' }, () => {
      const env = appEnv();
      expect("TF_VAR_region" in env).toBe(false);
      expect(env.MY_TF_VAR_).toBe("kept");
      expect("TF_CLI_CONFIG_FILE" in env).toBe(false);
      expect(env.CHECKPOINT_DISABLE).toBe("1");
      expect(JSON.parse(env.CDKTF_CONTEXT_JSON as string)).toEqual({ ...context, cdktfRelativeModules: [] });
      expect(process.env.TF_VAR_region).toBe("fra1");

      const extra = appEnv({ NATS_NODE_COUNT: "5", CDKTF_CONTEXT_JSON: '{"extra":true}' });
      expect(extra.NATS_NODE_COUNT).toBe("5");
      expect(extra.CDKTF_CONTEXT_JSON).toBe('{"extra":true}');
    });
  });
});

describe("appModules and synthModules on a small project", () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "plan-synth-modules-"));
    writeTree(root, {
      "main.ts": [
        'import { b } from "./lib/b";',
        'import "./lib";',
        'import data from "./data.json";',
        'import { App } from "cdktf";',
        'import { readFileSync } from "node:fs";',
        'export * from "./util";',
        "export const all = [b, data, App, readFileSync];",
        "",
      ].join("\n"),
      "lib/b.ts": 'import { a } from "./a";\nexport const b = a;\n',
      // a imports b and b imports a: a cycle.
      "lib/a.ts": 'import { b } from "./b";\nimport "../legacy.js";\nexport const a = () => b;\n',
      // Only import and export declarations count: a require() call is not followed.
      "lib/index.ts": 'export const index = 1;\nexport const late = require("./late");\n',
      "lib/late.ts": "export {};\n",
      // Listed (it is imported), but not read: its imports are not followed.
      "legacy.js": 'import "./only-from-js";\n',
      "only-from-js.ts": "export {};\n",
      "data.json": '{"a": 1}\n',
      // ./util is util.ts, not util/index.ts.
      "util.ts": "export const util = 1;\n",
      "util/index.ts": "export const shadowed = 1;\n",
      "orphan.ts": 'import "./lib/a";\n',
      "scripts/verify.ts": 'import "../lib/a";\nimport "./helper";\n',
      "scripts/helper.ts": "export {};\n",
      "templates/z.conf": "port: 4222\n",
      "templates/a/unit.service": "[Service]\n",
      "cdktf.json": '{"app":"node main.ts"}\n',
      "package-lock.json": '{"lockfileVersion":3}\n',
    });
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test("appModules: every local module main.ts imports, transitively, through the cycle, sorted", () => {
    expect(appModules(root)).toEqual(["data.json", "legacy.js", "lib/a.ts", "lib/b.ts", "lib/index.ts", "main.ts", "util.ts"]);
  });

  test("appModules from another entry", () => {
    expect(appModules(root, "scripts/verify.ts")).toEqual(["legacy.js", "lib/a.ts", "lib/b.ts", "scripts/helper.ts", "scripts/verify.ts"]);
    expect(appModules(root, "lib/index.ts")).toEqual(["lib/index.ts"]);
  });

  test("synthModules: the modules of main.ts and scripts/verify.ts, each once, sorted", () => {
    expect(synthModules(root)).toEqual(["data.json", "legacy.js", "lib/a.ts", "lib/b.ts", "lib/index.ts", "main.ts", "scripts/helper.ts", "scripts/verify.ts", "util.ts"]);
  });

  test("an import that resolves to no file is an error naming it", () => {
    const broken = mkdtempSync(join(tmpdir(), "plan-synth-broken-"));
    try {
      writeTree(broken, { "main.ts": 'import "./missing";\n', "other.ts": 'import "./folder";\n', "folder/readme.md": "no index.ts\n" });
      expect(() => appModules(broken)).toThrow(new Error(`cannot resolve the import ${join(broken, "missing")} of the app`));
      // A folder without index.ts is no module either.
      expect(() => appModules(broken, "other.ts")).toThrow(new Error(`cannot resolve the import ${join(broken, "folder")} of the app`));
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });

  describe("inputsStamp", () => {
    // Worked out apart from the code (a Python sha256 over the same files): sha256 over, for each of the 9 modules of synthModules, then
    // templates/a/unit.service, templates/z.conf, cdktf.json and package-lock.json, "<path>\0",
    // the content and "\0"; then '{"settings":[...],"context":"{\"cdktfRelativeModules\":[]}"}'.
    const PINNED = "bd14944cf18b4193e78ba5f67409878ae95de126cb644f01c74eb90a96d4fa94";
    const PINNED_NATS = "03868b4925424a9eee96c29a38b0e69cf63ae10eb1a8a251f3842ea8859332e2";
    const stamp = (env: NodeJS.ProcessEnv = {}): string => inputsStamp(env, root);
    /** Applies `edit` to the fixture, returns the stamp, and puts the file back. */
    const stampAfter = (file: string, edit: (path: string) => void): string => {
      const path = join(root, file);
      const saved = readFileSync(path);
      try {
        edit(path);
        return stamp();
      } finally {
        writeFileSync(path, saved);
      }
    };
    // A blank line: a change of content that leaves JSON valid.
    const appendTo = (path: string): void => writeFileSync(path, `${readFileSync(path, "utf8")}\n`);

    test("is pinned for this project and no settings", () => {
      expect(stamp()).toBe(PINNED);
      expect(stamp({ HOME: "/root", PATH: "/bin", MY_NATS_: "x", nats_node_count: "5" })).toBe(PINNED);
    });

    test("hashes the NATS_* settings sorted by name, whatever their order in the environment", () => {
      expect(stamp({ NATS_NODE_COUNT: "5", NATS_REGION: "fra1" })).toBe(PINNED_NATS);
      expect(stamp({ NATS_REGION: "fra1", NATS_NODE_COUNT: "5" })).toBe(PINNED_NATS);
      expect(stamp({ NATS_NODE_COUNT: "3", NATS_REGION: "fra1" })).not.toBe(PINNED_NATS);
    });

    test.each(["main.ts", "lib/a.ts", "lib/index.ts", "data.json", "legacy.js", "scripts/helper.ts", "templates/z.conf", "templates/a/unit.service", "cdktf.json", "package-lock.json"])(
      "changes with an edit of %s",
      (file) => {
        expect(stampAfter(file, appendTo)).not.toBe(PINNED);
        expect(stamp()).toBe(PINNED);
      },
    );

    test.each(["orphan.ts", "only-from-js.ts", "util/index.ts", "lib/late.ts"])("stays the same with an edit of %s, which no entry imports", (file) => {
      expect(stampAfter(file, appendTo)).toBe(PINNED);
    });

    test("changes with a template renamed, added or removed", () => {
      const from = join(root, "templates", "z.conf");
      const to = join(root, "templates", "y.conf");
      renameSync(from, to);
      try {
        expect(stamp()).not.toBe(PINNED);
      } finally {
        renameSync(to, from);
      }
      const added = join(root, "templates", "a", "extra.sh");
      writeFileSync(added, "");
      try {
        expect(stamp()).not.toBe(PINNED);
      } finally {
        unlinkSync(added);
      }
      expect(stamp()).toBe(PINNED);
    });

    test("changes with the caller's CDKTF_CONTEXT_JSON only while cdktf.json has no context", () => {
      const caller = { CDKTF_CONTEXT_JSON: '{"nats":{"nodeCount":5}}' };
      expect(stamp(caller)).not.toBe(PINNED);
      const path = join(root, "cdktf.json");
      const saved = readFileSync(path);
      try {
        writeFileSync(path, '{"app":"node main.ts","context":{}}\n');
        expect(stamp()).not.toBe(PINNED);
        expect(stamp(caller)).toBe(stamp());
      } finally {
        writeFileSync(path, saved);
      }
    });
  });
});

describe("stale or fresh, decided without synthesizing", () => {
  const contents: Readonly<Record<string, string>> = { nats: '{"resource":{"nats":1}}\n', "nats-tutorial": '{"resource":{"tutorial":1}}\n' };
  let outdir: string;

  beforeEach(() => {
    outdir = mkdtempSync(join(tmpdir(), "plan-synth-out-"));
    for (const [stack, content] of Object.entries(contents)) writeTree(outdir, { [`stacks/${stack}/cdk.tf.json`]: content });
  });
  afterEach(() => rmSync(outdir, { recursive: true, force: true }));

  /** The stamp freshStackFile leaves after a synthesis of these inputs that wrote `contents`. */
  const writeStamp = (inputs = inputsStamp(), outputs: Record<string, string> = { nats: sha256(contents.nats), "nats-tutorial": sha256(contents["nats-tutorial"]) }): void =>
    writeFileSync(join(outdir, ".nats-synth-stamp.json"), JSON.stringify({ inputs, outputs }));

  test("stale without a stamp", () => {
    expect(isStackStale("nats", outdir)).toBe(true);
    expect(isStackStale("nats-tutorial", outdir)).toBe(true);
  });

  test("fresh when the stamp names these inputs and both stacks' content: freshStackFile hands the file out", () => {
    writeStamp();
    expect(isStackStale("nats", outdir)).toBe(false);
    expect(isStackStale("nats-tutorial", outdir)).toBe(false);
    expect(freshStackFile("nats", outdir)).toBe(join(outdir, "stacks", "nats", "cdk.tf.json"));
    expect(freshStackFile("nats-tutorial", outdir)).toBe(join(outdir, "stacks", "nats-tutorial", "cdk.tf.json"));
    expect(spawn).not.toHaveBeenCalled();
  });

  test("a stack the app does not write is stale, and freshStackFile names it and the stacks", () => {
    writeStamp();
    expect(isStackStale("nats-prod", outdir)).toBe(true);
    const file = join(outdir, "stacks", "nats-prod", "cdk.tf.json");
    expect(() => freshStackFile("nats-prod", outdir)).toThrow(new Error(`stack "nats-prod" was not synthesized: expected ${file}; main.ts writes nats, nats-tutorial`));
    expect(spawn).not.toHaveBeenCalled();
  });

  test("stale when the stamp was made of other inputs", () => {
    writeStamp("0".repeat(64));
    expect(isStackStale("nats", outdir)).toBe(true);
  });

  test("stale, for every stack, when one stack's file changed since", () => {
    writeStamp();
    writeFileSync(stackFile(outdir, "nats-tutorial"), '{"resource":{"other":1}}\n');
    expect(isStackStale("nats", outdir)).toBe(true);
    expect(isStackStale("nats-tutorial", outdir)).toBe(true);
  });

  test("stale when one stack's file is gone, or the stamp has no hash for it", () => {
    writeStamp();
    unlinkSync(stackFile(outdir, "nats"));
    expect(isStackStale("nats-tutorial", outdir)).toBe(true);
    writeFileSync(stackFile(outdir, "nats"), contents.nats);
    expect(isStackStale("nats-tutorial", outdir)).toBe(false);
    writeStamp(undefined, { nats: sha256(contents.nats) });
    expect(isStackStale("nats", outdir)).toBe(true);
  });

  test("the output directory defaults to CDKTF_OUTDIR", () => {
    writeStamp();
    withEnv({ CDKTF_OUTDIR: outdir }, () => {
      expect(isStackStale("nats")).toBe(false);
      expect(freshStackFile("nats")).toBe(join(outdir, "stacks", "nats", "cdk.tf.json"));
    });
    expect(spawn).not.toHaveBeenCalled();
  });
});

describe("synthesis, with spawnSync stubbed (no process starts)", () => {
  const written: Readonly<Record<string, string>> = { nats: '{"synthesized":"nats"}\n', "nats-tutorial": '{"synthesized":"tutorial"}\n' };
  let outdir: string;

  /** A stand-in for the app: writes both stacks. */
  const fakeApp = appWriting(Object.fromEntries(Object.entries(written).map(([stack, content]) => [`stacks/${stack}/cdk.tf.json`, content])));

  beforeEach(() => {
    outdir = mkdtempSync(join(tmpdir(), "plan-synth-run-"));
  });
  afterEach(() => rmSync(outdir, { recursive: true, force: true }));

  test("freshStackFile synthesizes a stale output directory once, stamps it, and then hands the file out", () => {
    spawn.mockImplementation(fakeApp);
    withEnv({ TF_VAR_region: "fra1" }, () => {
      expect(freshStackFile("nats", outdir)).toBe(join(outdir, "stacks", "nats", "cdk.tf.json"));
    });
    expect(spawn).toHaveBeenCalledTimes(1);
    const [command, args, options] = spawn.mock.calls[0] as [string, string[], { cwd: string; env: NodeJS.ProcessEnv; encoding: string }];
    expect([command, ...args]).toEqual([process.execPath, "--import", "tsx", "main.ts"]);
    expect(options.cwd).toBe(PROJECT_ROOT);
    expect(options.encoding).toBe("utf8");
    expect(options.env.CDKTF_OUTDIR).toBe(outdir);
    expect(options.env.CHECKPOINT_DISABLE).toBe("1");
    expect("TF_VAR_region" in options.env).toBe(false);

    const stamp = JSON.parse(readFileSync(join(outdir, ".nats-synth-stamp.json"), "utf8")) as { inputs: string; outputs: object };
    expect(stamp.inputs).toMatch(/^[0-9a-f]{64}$/);
    expect(stamp.outputs).toEqual({ nats: sha256(written.nats), "nats-tutorial": sha256(written["nats-tutorial"]) });
    expect(existsSync(join(outdir, ".synth.lock"))).toBe(false);

    expect(isStackStale("nats", outdir)).toBe(false);
    expect(freshStackFile("nats-tutorial", outdir)).toBe(join(outdir, "stacks", "nats-tutorial", "cdk.tf.json"));
    expect(spawn).toHaveBeenCalledTimes(1);
  });

  test("a failed synthesis throws with the command, exit status and stderr, drops the old stamp and releases the lock", () => {
    writeFileSync(join(outdir, ".nats-synth-stamp.json"), JSON.stringify({ inputs: "old", outputs: {} }));
    spawn.mockReturnValue({ status: 1, stderr: "error: boom\n" });
    expect(() => freshStackFile("nats", outdir)).toThrow(new Error(`synthesis with ${process.execPath} --import tsx main.ts failed (exit 1): error: boom\n`));
    expect(existsSync(join(outdir, ".nats-synth-stamp.json"))).toBe(false);
    expect(existsSync(join(outdir, ".synth.lock"))).toBe(false);
  });

  test("an app that writes one stack only: the other is named as not synthesized (not a raw ENOENT), the one written is handed out", () => {
    spawn.mockImplementation(appWriting({ "stacks/nats/cdk.tf.json": written.nats }));
    const missing = join(outdir, "stacks", "nats-tutorial", "cdk.tf.json");
    expect(() => freshStackFile("nats-tutorial", outdir)).toThrow(new Error(`stack "nats-tutorial" was not synthesized: expected ${missing}; main.ts writes nats, nats-tutorial`));
    expect(existsSync(join(outdir, ".synth.lock"))).toBe(false);
    expect(freshStackFile("nats", outdir)).toBe(join(outdir, "stacks", "nats", "cdk.tf.json"));
  });

  test("a lock left for more than a minute is taken over", () => {
    const lock = join(outdir, ".synth.lock");
    writeFileSync(lock, "");
    const twoMinutesAgo = new Date(Date.now() - 120_000);
    utimesSync(lock, twoMinutesAgo, twoMinutesAgo);
    spawn.mockImplementation(fakeApp);
    expect(freshStackFile("nats", outdir)).toBe(join(outdir, "stacks", "nats", "cdk.tf.json"));
    expect(spawn).toHaveBeenCalledTimes(1);
    expect(existsSync(lock)).toBe(false);
  });

  test("the lock's folder is created when the output directory does not exist yet", () => {
    const nested = join(outdir, "new", "out");
    spawn.mockImplementation(fakeApp);
    expect(freshStackFile("nats", nested)).toBe(join(nested, "stacks", "nats", "cdk.tf.json"));
    expect(readFileSync(join(nested, "stacks", "nats", "cdk.tf.json"), "utf8")).toBe(written.nats);
  });

  test("runApp resolves a relative outdir against the project root and runs the given command", () => {
    spawn.mockReturnValue({ status: 0, stderr: "" });
    const run = runApp({ outdir: "relative-out", command: ["/bin/app", "--flag"], env: { NATS_NODE_COUNT: "5" } });
    expect(run.outdir).toBe(join(PROJECT_ROOT, "relative-out"));
    expect(run.status).toBe(0);
    expect(run.stderr).toBe("");
    // The stub returns at once: milliseconds, not nanoseconds.
    expect(run.ms).toBeGreaterThanOrEqual(0);
    expect(run.ms).toBeLessThan(5_000);
    const [command, args, options] = spawn.mock.calls[0] as [string, string[], { env: NodeJS.ProcessEnv }];
    expect([command, ...args]).toEqual(["/bin/app", "--flag"]);
    expect(options.env.NATS_NODE_COUNT).toBe("5");
    expect(options.env.CDKTF_OUTDIR).toBe(join(PROJECT_ROOT, "relative-out"));
  });

  test("runApp writes to the default output directory without options", () => {
    spawn.mockReturnValue({ status: 0, stderr: "" });
    const run = withEnv({ CDKTF_OUTDIR: outdir }, () => runApp());
    expect(run.outdir).toBe(outdir);
    expect((spawn.mock.calls[0] as [string, string[]])[1]).toEqual(["--import", "tsx", "main.ts"]);
  });

  test("runApp reports stderr, else the spawn error, else nothing", () => {
    spawn.mockReturnValueOnce({ status: 2, stderr: "failed\n", error: new Error("not this") });
    expect(runApp({ outdir }).stderr).toBe("failed\n");
    spawn.mockReturnValueOnce({ status: null, stderr: "", error: new Error("spawnSync /bin/app ENOENT") });
    const missing = runApp({ outdir });
    expect([missing.status, missing.stderr]).toEqual([null, "spawnSync /bin/app ENOENT"]);
    spawn.mockReturnValueOnce({ status: null, stderr: undefined });
    expect(runApp({ outdir }).stderr).toBe("");
  });

  test("synthesize returns where it wrote, or throws naming the command it ran", () => {
    spawn.mockReturnValueOnce({ status: 0, stderr: "" });
    const result = synthesize({ outdir });
    expect(result.outdir).toBe(outdir);
    expect(Object.keys(result).sort()).toEqual(["ms", "outdir"]);
    spawn.mockReturnValueOnce({ status: null, stderr: "", error: new Error("spawnSync /bin/app ENOENT") });
    expect(() => synthesize({ outdir, command: ["/bin/app", "-x"] })).toThrow(new Error("synthesis with /bin/app -x failed (exit null): spawnSync /bin/app ENOENT"));
  });
});

describe("planToReview: the plan as it is, or synthesized again saying why", () => {
  const madeBefore = { settings: [], variables: { NATS_NODE_COUNT: null } };
  const madeNow = { settings: [{ setting: "nodeCount", source: "NATS_NODE_COUNT", value: 5 }], variables: { NATS_NODE_COUNT: "5" } };
  /** The plan's time: seconds since the epoch, as utimes takes it, and in milliseconds as statSync reports it. */
  const PLAN_SECONDS = 2_000;
  const PLAN_MS = PLAN_SECONDS * 1000;
  let outdir: string;

  /** A stand-in for the app: writes both stacks and their settings records. */
  const recordingApp = appWriting(
    Object.fromEntries(["nats", "nats-tutorial"].flatMap((stack) => [[`stacks/${stack}/cdk.tf.json`, `{"synthesized":"${stack}"}\n`], [`stacks/${stack}/nats-settings.json`, JSON.stringify(madeNow)]])),
  );

  /** A plan of stack nats made at PLAN_SECONDS, with a settings record unless `record` is false. */
  const oldPlan = (record = true): string => {
    const file = stackFile(outdir, "nats");
    writeTree(outdir, { "stacks/nats/cdk.tf.json": '{"old":true}\n', ...(record ? { "stacks/nats/nats-settings.json": JSON.stringify(madeBefore) } : {}) });
    utimesSync(file, PLAN_SECONDS, PLAN_SECONDS);
    return file;
  };

  /**
   * Makes statSync report, for the project's own files (path relative to the project root),
   * the time `mtimeMs` gives: a stand-in for files edited before or after the plan was made.
   */
  const sourcesChangedAt = (mtimeMs: (file: string) => number): void => {
    stat.mockImplementation((path: string, ...rest: unknown[]) => {
      const stats = (actualFs.statSync as (...args: unknown[]) => { mtimeMs: number })(path, ...rest);
      const file = relative(PROJECT_ROOT, path);
      if (!file.startsWith("..") && !isAbsolute(file)) stats.mtimeMs = mtimeMs(file);
      return stats;
    });
  };
  /** Every file of the project older than the plan, except `newer`, changed after it. */
  const changedAfterThePlan = (...newer: readonly string[]): void => sourcesChangedAt((file) => (newer.includes(file) ? PLAN_MS + 1 : PLAN_MS - 1_000));

  beforeEach(() => {
    outdir = mkdtempSync(join(tmpdir(), "plan-synth-review-"));
    spawn.mockImplementation(recordingApp);
  });
  afterEach(() => rmSync(outdir, { recursive: true, force: true }));

  test("a missing plan is synthesized, and the review says the output directory had none", () => {
    expect(planToReview("nats", outdir)).toEqual({
      file: stackFile(outdir, "nats"),
      record: madeNow,
      synthesized: { reason: `${outdir} had no plan of stack nats`, before: undefined },
    });
    expect(spawn).toHaveBeenCalledTimes(1);
  });

  test("a plan without a settings record is synthesized again, saying records are written since they were added", () => {
    const file = oldPlan(false);
    expect(planToReview("nats", outdir)).toEqual({
      file,
      record: madeNow,
      synthesized: { reason: "the plan had no record of its settings (nats-settings.json, written by every synthesis since it was added)", before: undefined },
    });
    expect(readFileSync(file, "utf8")).toBe('{"synthesized":"nats"}\n');
  });

  test("a plan newer than every file the app reads is reviewed as it is, whatever settings made it", () => {
    const file = oldPlan();
    changedAfterThePlan();
    const reviewed = planToReview("nats", outdir);
    expect(reviewed).toEqual({ file, record: madeBefore });
    expect("synthesized" in reviewed).toBe(false);
    expect(readFileSync(file, "utf8")).toBe('{"old":true}\n');
    expect(spawn).not.toHaveBeenCalled();
  });

  test("a file changed at the very time of the plan is not newer than it", () => {
    const file = oldPlan();
    sourcesChangedAt((path) => (path === "main.ts" ? PLAN_MS : PLAN_MS - 1_000));
    expect(planToReview("nats", outdir)).toEqual({ file, record: madeBefore });
    expect(spawn).not.toHaveBeenCalled();
  });

  test("a plan older than one file the app reads is synthesized again, naming the file and what the plan was made with", () => {
    const file = oldPlan();
    changedAfterThePlan("package-lock.json");
    expect(planToReview("nats", outdir)).toEqual({
      file,
      record: madeNow,
      synthesized: { reason: "package-lock.json changed since the plan was made", before: madeBefore },
    });
    expect(spawn).toHaveBeenCalledTimes(1);
  });

  test("three newer files are all named, in the order modules, templates, cdktf.json", () => {
    oldPlan();
    changedAfterThePlan("cdktf.json", "templates/nats-server.conf", "main.ts");
    expect(planToReview("nats", outdir).synthesized?.reason).toBe("main.ts, templates/nats-server.conf, cdktf.json changed since the plan was made");
  });

  test("more than three newer files: the first three are named and the others counted", () => {
    oldPlan();
    changedAfterThePlan("package-lock.json", "cdktf.json", "templates/nats-server.conf", "scripts/verify.ts", "main.ts");
    expect(planToReview("nats", outdir).synthesized?.reason).toBe("main.ts, scripts/verify.ts, templates/nats-server.conf and 2 more changed since the plan was made");
  });

  test("a stack the synthesis does not write is an error naming its file, the record beside it and the stacks main.ts writes", () => {
    const file = stackFile(outdir, "nats-prod");
    expect(() => planToReview("nats-prod", outdir)).toThrow(
      new Error(`stack "nats-prod" was not synthesized: expected ${file} and nats-settings.json beside it; main.ts writes nats, nats-tutorial`),
    );
  });

  test("a synthesis that writes the plan without its settings record is an error too", () => {
    spawn.mockImplementation(appWriting(BOTH_STACKS));
    expect(() => planToReview("nats", outdir)).toThrow(/^stack "nats" was not synthesized: expected .*cdk\.tf\.json and nats-settings\.json beside it/);
  });
});

describe("the synthesis lock, alone or held by another caller (no process starts)", () => {
  const written: Readonly<Record<string, string>> = { nats: '{"by":"the other caller"}\n', "nats-tutorial": '{"by":"the other caller","stack":"tutorial"}\n' };
  let outdir: string;
  let lock: string;

  /** What the other caller leaves when its synthesis ends: both stacks, the stamp of these inputs, and no lock. */
  const otherCallerFinishes = (): void => {
    for (const [stack, content] of Object.entries(written)) writeTree(outdir, { [`stacks/${stack}/cdk.tf.json`]: content });
    const outputs = { nats: sha256(written.nats), "nats-tutorial": sha256(written["nats-tutorial"]) };
    writeFileSync(join(outdir, ".nats-synth-stamp.json"), JSON.stringify({ inputs: inputsStamp(), outputs }));
    unlinkSync(lock);
  };

  /** Runs `onCheck(n)` on the n-th time the code under test looks whether the lock is still there; fails after ten looks. */
  const onLockCheck = (onCheck: (n: number) => void): void => {
    let checks = 0;
    exists.mockImplementation((path: string) => {
      if (path === lock) {
        if (++checks > 10) throw new Error(`still looking at the lock after ${checks - 1} looks`);
        onCheck(checks);
      }
      return actualFs.existsSync(path);
    });
  };

  beforeEach(() => {
    outdir = mkdtempSync(join(tmpdir(), "plan-synth-lock-"));
    lock = join(outdir, ".synth.lock");
    writeFileSync(lock, "");
  });
  afterEach(() => {
    jest.restoreAllMocks();
    rmSync(outdir, { recursive: true, force: true });
  });

  test("a caller finding the lock taken sleeps until it is released, then hands out the other caller's synthesis", () => {
    onLockCheck((n) => {
      if (n === 3) otherCallerFinishes();
    });
    const started = Date.now();
    expect(freshStackFile("nats", outdir)).toBe(stackFile(outdir, "nats"));
    const waited = Date.now() - started;
    // Two sleeps of 50 ms before the third look finds the lock gone, and no more.
    expect(waited).toBeGreaterThanOrEqual(100);
    expect(waited).toBeLessThan(5_000);
    expect(spawn).not.toHaveBeenCalled();
    expect(readFileSync(stackFile(outdir, "nats"), "utf8")).toBe(written.nats);
  });

  test("when the other caller's synthesis failed, the waiting caller synthesizes itself", () => {
    onLockCheck((n) => {
      // It failed: no stamp, and its lock is released.
      if (n === 1) unlinkSync(lock);
    });
    spawn.mockImplementation(appWriting(BOTH_STACKS));
    expect(freshStackFile("nats", outdir)).toBe(stackFile(outdir, "nats"));
    expect(spawn).toHaveBeenCalledTimes(1);
    expect(existsSync(lock)).toBe(false);
  });

  test("a lock exactly a minute old is still the other caller's: it is waited for, not taken", () => {
    const lockSeconds = 1_700_000_000;
    utimesSync(lock, lockSeconds, lockSeconds);
    jest.spyOn(Date, "now").mockReturnValue(lockSeconds * 1000 + 60_000);
    onLockCheck((n) => {
      if (n === 1) otherCallerFinishes();
    });
    expect(freshStackFile("nats", outdir)).toBe(stackFile(outdir, "nats"));
    expect(spawn).not.toHaveBeenCalled();
  });

  test("a lock never released is waited on for one minute, then taken over once it is more than a minute old", () => {
    const lockSeconds = 1_700_000_000;
    // The waiting starts when the lock is a second old; each look at it passes 20 s.
    const start = lockSeconds * 1000 + 1_000;
    let now = start;
    jest.spyOn(Date, "now").mockImplementation(() => now);
    utimesSync(lock, lockSeconds, lockSeconds);
    onLockCheck(() => {
      now += 20_000;
    });
    let ranAt: number | undefined;
    const app = appWriting(BOTH_STACKS);
    spawn.mockImplementation((...args: Parameters<typeof app>) => {
      ranAt = now;
      return app(...args);
    });
    expect(freshStackFile("nats", outdir)).toBe(stackFile(outdir, "nats"));
    expect(spawn).toHaveBeenCalledTimes(1);
    expect(ranAt === undefined ? undefined : ranAt - start).toBe(60_000);
    expect(existsSync(lock)).toBe(false);
  });

  test("a synthesis closes the lock file it opened", () => {
    unlinkSync(lock);
    spawn.mockImplementation(appWriting(BOTH_STACKS));
    freshStackFile("nats", outdir);
    // What this process still has open, by path: a removed file reads "<path> (deleted)".
    const open = readdirSync("/proc/self/fd").flatMap((fd) => {
      try {
        return [readlinkSync(`/proc/self/fd/${fd}`)];
      } catch {
        return []; // the descriptor readdirSync itself used, closed since
      }
    });
    expect(open.filter((path) => path.startsWith(lock))).toEqual([]);
  });
});
