import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, TerraformStack } from "cdktf";
import { AppProblem, namedBySource, problemReport, sharedNames } from "../constructs/nats-app";
import { NatsStack, NatsStackProps } from "../constructs/nats-stack";
import { envPrefix } from "../facts/env-prefix";
import { readStackSettings } from "../constructs/stack-config";
import { removeOtherFormat } from "../constructs/stack-files";

const STACKS = ["nats", "nats-tutorial"];

/** Every setting's variable suffix, in the order the settings are declared. */
const SUFFIXES: readonly string[] = [
  "NODE_COUNT", "REGION", "SIZE", "IMAGE", "SSH_KEYS", "CLIENT_PORT", "MONITOR_PORT", "CLUSTER_PORT", "LOAD_BALANCER_CLIENT_PORT", "VERSION", "RELEASE_URL",
  "ADMIN_CIDRS", "CLIENT_CIDRS", "READINESS_GATE", "NAME_PREFIX", "TAG", "LOAD_BALANCER_NAME", "JETSTREAM",
  "VOLUME_SIZE_GIB", "PROTECT_VOLUMES", "STATE_BACKEND", "STATE_BUCKET", "STATE_REGION", "STATE_KEY_PREFIX", "STATE_SCHEMA",
];

/** The end of an unknown-variable problem when no setting is close: every variable of the stack. */
function expectedOneOf(prefix: string): string {
  return `expected one of ${SUFFIXES.map((suffix) => prefix + suffix).join(", ")}`;
}

/** The problems `env` alone gives the `nats` stack. */
function envProblems(env: NodeJS.ProcessEnv): readonly string[] {
  return readStackSettings("nats", undefined, env, STACKS).problems;
}

describe("envPrefix", () => {
  test("every run of characters other than letters and digits becomes one underscore", () => {
    expect(envPrefix("nats--tutorial")).toBe("NATS_TUTORIAL_");
    expect(envPrefix("edge. -two")).toBe("EDGE_TWO_");
    expect(envPrefix("a1b2")).toBe("A1B2_");
  });
});

describe("readStackSettings: unknown variables", () => {
  test("unknown variables are reported in name order, not in the environment's order", () => {
    expect(envProblems({ NATS_TAGS: "a", NATS_SIZEX: "b" })).toEqual([
      "NATS_SIZEX is not a setting: did you mean NATS_SIZE?",
      "NATS_TAGS is not a setting: did you mean NATS_TAG?",
    ]);
  });

  test("beside an unknown variable, a longer-prefixed stack's, a client's and the twin's are not reported", () => {
    expect(envProblems({ NATS_TUTORIAL_REGON: "a", NATS_URL: "nats://127.0.0.1:4222", NATS_TWIN_SECRET_X: "s", NATS_TAGS: "b" })).toEqual([
      "NATS_TAGS is not a setting: did you mean NATS_TAG?",
    ]);
  });

  test("every variable NATS clients, the nats CLI and this project's clients read is left alone", () => {
    const clients = [
      "NATS_URL", "NATS_SERVER", "NATS_CONTEXT", "NATS_CREDS", "NATS_NKEY", "NATS_JWT", "NATS_SEED", "NATS_TOKEN",
      "NATS_USER", "NATS_PASSWORD", "NATS_CERT", "NATS_KEY", "NATS_CA", "NATS_TLS_SERVER_NAME", "NATS_TIMEOUT", "NATS_SOCKS_PROXY",
    ];
    expect(envProblems(Object.fromEntries(clients.map((name) => [name, "x"])))).toEqual([]);
  });

  test("without other stacks, every variable with the stack's prefix belongs to the stack", () => {
    expect(readStackSettings("stryker", undefined, { STRYKER_WAS_HERE_X: "1" }).problems).toEqual([
      `STRYKER_WAS_HERE_X is not a setting: ${expectedOneOf("STRYKER_")}`,
    ]);
  });

  test("a name of exactly 80 characters is shown whole, one of 81 is cut to 79 and its length", () => {
    const eighty = `NATS_${"X".repeat(75)}`;
    const eightyOne = `NATS_${"X".repeat(76)}`;
    expect(envProblems({ [eighty]: "1" })).toEqual([`${eighty} is not a setting: ${expectedOneOf("NATS_")}`]);
    expect(envProblems({ [eightyOne]: "1" })).toEqual([`NATS_${"X".repeat(74)}… (81 characters) is not a setting: ${expectedOneOf("NATS_")}`]);
  });

  test("a long context key is cut like a variable name", () => {
    const key = "k".repeat(81);
    expect(readStackSettings("nats", { [key]: 1 }, {}, STACKS).problems).toEqual([
      `context nats.${"k".repeat(79)}… (81 characters) is not a setting: expected one of nodeCount, region, size, image, sshKeys, clientPort, monitorPort, clusterPort, loadBalancerClientPort, natsVersion, natsReleaseUrl, adminCidrs, clientCidrs, readinessGate, namePrefix, tag, loadBalancerName, jetstream, volumeSizeGib, protectVolumes, stateBackend, stateBucket, stateRegion, stateKeyPrefix, stateSchema`,
    ]);
  });
});

describe("readStackSettings: the typo suggestion", () => {
  test("two edits are close for a short name (the threshold is at least 2), three are not", () => {
    expect(envProblems({ NATS_RGON: "x" })).toEqual(["NATS_RGON is not a setting: did you mean NATS_REGION?"]);
    expect(envProblems({ NATS_RGN: "x" })).toEqual([`NATS_RGN is not a setting: ${expectedOneOf("NATS_")}`]);
  });

  test("a longer name allows a quarter of its letters (underscores aside) as edits: 3 of 13 is close, 4 of 14 is not", () => {
    expect(envProblems({ NATS_REGIONXYZ: "x" })).toEqual(["NATS_REGIONXYZ is not a setting: did you mean NATS_REGION?"]);
    expect(envProblems({ NATS_REGIONWXYZ: "x" })).toEqual([`NATS_REGIONWXYZ is not a setting: ${expectedOneOf("NATS_")}`]);
    expect(envProblems({ NATS_NODE_COUNTWXYZ: "x" })).toEqual(["NATS_NODE_COUNTWXYZ is not a setting: did you mean NATS_NODE_COUNT?"]);
  });

  test("of candidates at the same distance, the first declared is suggested", () => {
    // natssage is two edits from natssize, natsimage and natstag alike.
    expect(envProblems({ NATS_SAGE: "x" })).toEqual(["NATS_SAGE is not a setting: did you mean NATS_SIZE?"]);
    expect(readStackSettings("nats", { sage: "x" }, {}, STACKS).problems).toEqual(["context nats.sage is not a setting: did you mean size?"]);
  });

  test("names are compared in lowercase, letter by letter: ß is one letter, not two", () => {
    // nodecountßßß is three edits from nodecount, within a quarter of its 12 letters.
    expect(readStackSettings("nats", { nodeCountßßß: 1 }, {}, STACKS).problems).toEqual([
      "context nats.nodeCountßßß is not a setting: did you mean nodeCount?",
    ]);
    expect(readStackSettings("nats", { NODECOUNT: 1 }, {}, STACKS).problems).toEqual(["context nats.NODECOUNT is not a setting: did you mean nodeCount?"]);
  });
});

describe("readStackSettings: values", () => {
  test("an integer is an optional minus and digits, nothing before or after", () => {
    expect(readStackSettings("nats", undefined, { NATS_NODE_COUNT: "-3" }, STACKS)).toEqual({
      settings: { nodeCount: -3 },
      sources: { nodeCount: "NATS_NODE_COUNT" },
      problems: [],
    });
    for (const text of ["5.0", "1e3", "+5", "0x10", "12x", "x12", "--3"]) {
      expect(readStackSettings("nats", undefined, { NATS_NODE_COUNT: text }, STACKS)).toEqual({
        settings: {},
        sources: {},
        problems: [`NATS_NODE_COUNT "${text}" is not an integer`],
      });
    }
  });

  test("true and false in the environment are booleans", () => {
    expect(readStackSettings("nats", undefined, { NATS_READINESS_GATE: "true", NATS_JETSTREAM: "false" }, STACKS)).toEqual({
      settings: { readinessGate: true, jetstream: false },
      sources: { readinessGate: "NATS_READINESS_GATE", jetstream: "NATS_JETSTREAM" },
      problems: [],
    });
  });

  test("booleans in context are taken as they are; text is not a boolean there", () => {
    expect(readStackSettings("nats", { readinessGate: true, protectVolumes: false }, {}, STACKS)).toEqual({
      settings: { readinessGate: true, protectVolumes: false },
      sources: { readinessGate: "context nats.readinessGate", protectVolumes: "context nats.protectVolumes" },
      problems: [],
    });
    expect(readStackSettings("nats", { jetstream: "false" }, {}, STACKS)).toEqual({
      settings: {},
      sources: {},
      problems: ['context nats.jetstream "false" is not true or false'],
    });
  });

  test("a context list with an entry that is not a string is not a list of strings", () => {
    expect(readStackSettings("nats", { sshKeys: ["12345", 678] }, {}, STACKS)).toEqual({
      settings: {},
      sources: {},
      problems: ['context nats.sshKeys ["12345",678] is not a list of strings'],
    });
  });
});

describe("namedBySource", () => {
  test("a camelCase prop is replaced where a word starts, not inside another word", () => {
    const sources = { nodeCount: "NATS_NODE_COUNT" };
    expect(namedBySource("maxnodeCount must be 3", sources)).toBe("maxnodeCount must be 3");
    expect(namedBySource("the nodeCount: 3", sources)).toBe("the NATS_NODE_COUNT: 3");
  });
});

describe("problemReport", () => {
  test("one problem is counted in the singular, others in the plural", () => {
    expect(problemReport([{ stack: "nats", message: "bad" }])).toBe("configuration has 1 problem; nothing was synthesized:\n- nats: bad\n");
    expect(problemReport([{ stack: "nats", message: "bad" }, { stack: "nats-tutorial", message: "worse" }])).toBe(
      "configuration has 2 problems; nothing was synthesized:\n- nats: bad\n- nats-tutorial: worse\n",
    );
  });

  test("a quoted value of 80 characters is shown whole, one of 81 is cut", () => {
    const whole = `v "${"a".repeat(80)}" is bad`;
    expect(problemReport([{ stack: "nats", message: whole }])).toBe(`configuration has 1 problem; nothing was synthesized:\n- nats: ${whole}\n`);
    expect(problemReport([{ stack: "nats", message: `v "${"b".repeat(81)}" is bad` }])).toBe(
      `configuration has 1 problem; nothing was synthesized:\n- nats: v "${"b".repeat(78)}…" (81 characters) is bad\n`,
    );
  });
});

describe("sharedNames", () => {
  let root: string;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "stack-config-edges-"));
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /** Stacks `alpha` and `beta--two` in one app, each from its props. */
  function twoStacks(alpha: NatsStackProps, beta: NatsStackProps): [NatsStack, NatsStack] {
    const app = new App({ outdir: mkdtempSync(join(root, "app-")) });
    return [new NatsStack(app, "alpha", alpha), new NatsStack(app, "beta--two", beta)];
  }

  const SHARED = "which would act on each other's resources in one account";

  test("a name no setting made is reported on the later stack, with the variables that would give it its own", () => {
    const [alpha, beta] = twoStacks({ tag: "shared" }, { tag: "shared" });
    expect(sharedNames([alpha, beta])).toEqual<AppProblem[]>([
      { stack: "beta--two", message: `tag "shared" is used by stacks alpha and beta--two, ${SHARED}: give it its own with BETA_TWO_TAG` },
      { stack: "beta--two", message: `tag "shared-seed" is used by stacks alpha and beta--two, ${SHARED}: give it its own with BETA_TWO_TAG` },
      {
        stack: "beta--two",
        message: `load balancer name "shared-lb" is used by stacks alpha and beta--two, ${SHARED}: give it its own with BETA_TWO_LOAD_BALANCER_NAME or BETA_TWO_TAG`,
      },
      {
        stack: "beta--two",
        message: `load balancer name "shared-seed" is used by stacks alpha and beta--two, ${SHARED}: give it its own with BETA_TWO_LOAD_BALANCER_NAME or BETA_TWO_TAG`,
      },
      { stack: "beta--two", message: `firewall name "shared-fw" is used by stacks alpha and beta--two, ${SHARED}: give it its own with BETA_TWO_TAG` },
    ]);
  });

  test("stacks without a firewall and a seed load balancer share no firewall name and no seed names", () => {
    const [alpha, beta] = twoStacks({ tag: "shared", firewall: false, seedLoadBalancer: false }, { tag: "shared", firewall: false, seedLoadBalancer: false });
    expect(sharedNames([alpha, beta])).toEqual<AppProblem[]>([
      { stack: "beta--two", message: `tag "shared" is used by stacks alpha and beta--two, ${SHARED}: give it its own with BETA_TWO_TAG` },
      {
        stack: "beta--two",
        message: `load balancer name "shared-lb" is used by stacks alpha and beta--two, ${SHARED}: give it its own with BETA_TWO_LOAD_BALANCER_NAME or BETA_TWO_TAG`,
      },
    ]);
    const [lone, other] = twoStacks({ firewall: false }, { firewall: false });
    expect(sharedNames([lone, other])).toEqual([]);
  });

  test("a name a setting made is reported on the stack that set it, naming the first of its settings that is set", () => {
    const [alpha, beta] = twoStacks({ tag: "shared" }, { tag: "shared" });
    const sources = new Map([["alpha", { tag: "ALPHA_TAG" }]]);
    expect(sharedNames([alpha, beta], sources)).toEqual<AppProblem[]>([
      { stack: "alpha", message: `tag "shared" is used by stacks alpha and beta--two, ${SHARED}: it comes from ALPHA_TAG: choose another` },
      { stack: "alpha", message: `tag "shared-seed" is used by stacks alpha and beta--two, ${SHARED}: it comes from ALPHA_TAG: choose another` },
      { stack: "alpha", message: `load balancer name "shared-lb" is used by stacks alpha and beta--two, ${SHARED}: it comes from ALPHA_TAG: choose another` },
      { stack: "alpha", message: `load balancer name "shared-seed" is used by stacks alpha and beta--two, ${SHARED}: it comes from ALPHA_TAG: choose another` },
      { stack: "alpha", message: `firewall name "shared-fw" is used by stacks alpha and beta--two, ${SHARED}: it comes from ALPHA_TAG: choose another` },
    ]);
  });

  test("a stack listed twice shares nothing with itself", () => {
    const [alpha] = twoStacks({}, {});
    expect(sharedNames([alpha, alpha])).toEqual([]);
  });
});

describe("removeOtherFormat", () => {
  let outdir: string;
  let hclVariable: string | undefined;

  beforeEach(() => {
    outdir = mkdtempSync(join(tmpdir(), "stack-files-unit-"));
    // The variable `cdktf synth --hcl` sets overrides the app's own choice: none here.
    hclVariable = process.env.SYNTH_HCL_OUTPUT;
    delete process.env.SYNTH_HCL_OUTPUT;
  });

  afterEach(() => {
    if (hclVariable !== undefined) process.env.SYNTH_HCL_OUTPUT = hclVariable;
    rmSync(outdir, { recursive: true, force: true });
  });

  /** Writes `files` (by name) into the directory of stack `stack`. */
  function writeStackFiles(stack: string, files: readonly string[]): void {
    mkdirSync(join(outdir, "stacks", stack), { recursive: true });
    for (const file of files) writeFileSync(join(outdir, "stacks", stack, file), `${file} of ${stack}`);
  }

  function filesOf(stack: string): string[] {
    return readdirSync(join(outdir, "stacks", stack)).sort();
  }

  test("after a JSON synthesis, cdk.tf is removed where it exists and cdk.tf.json is kept", () => {
    const app = new App({ outdir });
    for (const id of ["one", "two", "three"]) new TerraformStack(app, id);
    writeStackFiles("one", ["cdk.tf", "cdk.tf.json"]);
    writeStackFiles("two", ["cdk.tf.json"]);
    // Stack three has no directory at all: nothing to remove, no error.
    expect(removeOtherFormat(app)).toEqual([join(outdir, "stacks", "one", "cdk.tf")]);
    expect(filesOf("one")).toEqual(["cdk.tf.json"]);
    expect(readFileSync(join(outdir, "stacks", "one", "cdk.tf.json"), "utf8")).toBe("cdk.tf.json of one");
    expect(filesOf("two")).toEqual(["cdk.tf.json"]);
    expect(existsSync(join(outdir, "stacks", "three"))).toBe(false);
  });

  test("after an HCL synthesis, cdk.tf.json is removed and cdk.tf is kept", () => {
    const app = new App({ outdir, hclOutput: true });
    new TerraformStack(app, "one");
    new TerraformStack(app, "two");
    writeStackFiles("one", ["cdk.tf", "cdk.tf.json"]);
    writeStackFiles("two", ["cdk.tf", "cdk.tf.json"]);
    expect(removeOtherFormat(app)).toEqual([join(outdir, "stacks", "one", "cdk.tf.json"), join(outdir, "stacks", "two", "cdk.tf.json")]);
    expect(filesOf("one")).toEqual(["cdk.tf"]);
    expect(filesOf("two")).toEqual(["cdk.tf"]);
  });

  test("an error other than a missing file is thrown", () => {
    const app = new App({ outdir });
    new TerraformStack(app, "one");
    mkdirSync(join(outdir, "stacks", "one", "cdk.tf"), { recursive: true });
    let thrown: unknown;
    try {
      removeOtherFormat(app);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: "ERR_FS_EISDIR" });
    expect(filesOf("one")).toEqual(["cdk.tf"]);
  });
});
