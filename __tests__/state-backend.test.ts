import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, Testing } from "cdktf";
import { APP_STACKS, buildStacks } from "../constructs/nats-app";
import { NatsStack, NatsStackProps } from "../constructs/nats-stack";
import { NatsStateBucketStack } from "../constructs/state-bucket-stack";
import { createStateDirectories, defaultSchema, validateStateBackendProps, type StateBackendProps } from "../constructs/state-backend";
import { ValidationErrors } from "../facts/validation";
import { DEFAULT_STACK, TUTORIAL_STACK } from "../constructs/stacks";
import { validationProblems } from "./helpers";

/** The parsed Terraform JSON of a stack of `app`. */
function stackJson(app: App, id: string): { terraform: { backend: Record<string, Record<string, unknown>> }; resource?: Record<string, Record<string, Record<string, unknown>>>; output?: Record<string, Record<string, unknown>> } {
  const stack = app.node.findChild(id) as NatsStack;
  return JSON.parse(Testing.synth(stack)) as ReturnType<typeof stackJson>;
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "state-backend-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The app's stacks with their local state under the test's directory. */
function appStacks(): Record<string, NatsStackProps> {
  const stateDirectory = join(dir, "terraform-state");
  return { nats: { ...DEFAULT_STACK, stateDirectory }, "nats-tutorial": { ...TUTORIAL_STACK, stateDirectory } };
}

/** Builds the app's stacks from `env`, expecting no problem. */
function build(env: NodeJS.ProcessEnv): App {
  const app = Testing.app();
  expect(buildStacks(app, env, appStacks())).toEqual([]);
  return app;
}

describe("state backend settings", () => {
  test("local by default: the state file in the private directory, not in the working directory", () => {
    const app = build({});
    expect(stackJson(app, "nats").terraform.backend).toEqual({ local: { path: join(dir, "terraform-state", "terraform.nats.tfstate") } });
    expect(stackJson(app, "nats-tutorial").terraform.backend).toEqual({ local: { path: join(dir, "terraform-state", "terraform.nats-tutorial.tfstate") } });
    // Without a directory prop, the directory is terraform-state in the working directory.
    const stack = new NatsStack(Testing.app(), "nats", DEFAULT_STACK);
    expect(JSON.parse(Testing.synth(stack)).terraform.backend).toEqual({ local: { path: join(process.cwd(), "terraform-state", "terraform.nats.tfstate") } });
  });

  test("spaces: DigitalOcean's S3 settings, one key per stack, the lock file through an override", () => {
    const app = build({ NATS_STATE_BACKEND: "spaces", NATS_STATE_BUCKET: "acme-nats-state", NATS_STATE_REGION: "fra1", NATS_STATE_KEY_PREFIX: "team/nats" });
    expect(stackJson(app, "nats").terraform.backend).toEqual({
      s3: {
        bucket: "acme-nats-state",
        key: "team/nats/nats.tfstate",
        region: "us-east-1",
        endpoints: { s3: "https://fra1.digitaloceanspaces.com" },
        skip_credentials_validation: true,
        skip_requesting_account_id: true,
        skip_metadata_api_check: true,
        skip_region_validation: true,
        skip_s3_checksum: true,
        use_lockfile: true,
      },
    });
    // The other stack keeps its own backend: every setting has the stack's prefix.
    expect(Object.keys(stackJson(app, "nats-tutorial").terraform.backend)).toEqual(["local"]);
  });

  test("spaces: the key prefix defaults to terraform, the tutorial's key is its own", () => {
    const app = build({ NATS_TUTORIAL_STATE_BACKEND: "spaces", NATS_TUTORIAL_STATE_BUCKET: "acme-nats-state", NATS_TUTORIAL_STATE_REGION: "ams3" });
    expect(stackJson(app, "nats-tutorial").terraform.backend.s3).toMatchObject({ key: "terraform/nats-tutorial.tfstate", endpoints: { s3: "https://ams3.digitaloceanspaces.com" } });
  });

  test("pg: a schema per stack and no connection string, even when PG_CONN_STR and the Spaces keys are set", () => {
    const secrets = { PG_CONN_STR: "postgres://deploy:pg-secret-4711@db.internal/state", AWS_ACCESS_KEY_ID: "DO00KEYID4711", AWS_SECRET_ACCESS_KEY: "spaces-secret-4711" };
    const saved = { ...process.env };
    Object.assign(process.env, secrets);
    try {
      const app = build({ ...process.env, NATS_STATE_BACKEND: "pg", NATS_TUTORIAL_STATE_BACKEND: "pg", NATS_TUTORIAL_STATE_SCHEMA: "tutorial_state" });
      expect(stackJson(app, "nats").terraform.backend).toEqual({ pg: { schema_name: "terraform_nats" } });
      expect(stackJson(app, "nats-tutorial").terraform.backend).toEqual({ pg: { schema_name: "tutorial_state" } });
      for (const id of ["nats", "nats-tutorial"]) {
        const json = Testing.synth(app.node.findChild(id) as NatsStack);
        for (const secret of Object.values(secrets)) expect(json).not.toContain(secret);
      }
    } finally {
      process.env = saved;
    }
  });

  test("the default schema is the stack id in snake case", () => {
    expect(defaultSchema("nats-tutorial")).toBe("terraform_nats_tutorial");
    expect(defaultSchema("Edge.Two-")).toBe("terraform_edge_two");
  });

  test("bad values and settings the backend does not use are errors naming the setting, every one at once", () => {
    const problems = buildStacks(Testing.app(), {
      NATS_STATE_BACKEND: "s3",
      NATS_STATE_BUCKET: "Acme_State",
      NATS_STATE_REGION: "frankfurt",
      NATS_TUTORIAL_STATE_BACKEND: "spaces",
      NATS_TUTORIAL_STATE_KEY_PREFIX: "team/../nats",
      NATS_TUTORIAL_STATE_SCHEMA: "1st",
    }, appStacks());
    expect(problems.map((p) => `${p.stack}: ${p.message}`)).toEqual([
      'nats: NATS_STATE_BACKEND "s3" is not allowed: expected one of local, spaces, pg',
      'nats: NATS_STATE_BUCKET "Acme_State" is not valid: expected a Spaces bucket name: 3 to 63 lowercase letters, digits and dashes, starting and ending with a letter or digit',
      'nats: NATS_STATE_REGION "frankfurt" is not valid: expected a Spaces region slug such as fra1 or nyc3',
      'nats-tutorial: NATS_TUTORIAL_STATE_KEY_PREFIX "team/../nats" is not valid: a folder cannot be . or ..',
      'nats-tutorial: NATS_TUTORIAL_STATE_SCHEMA "1st" is not valid: expected a PostgreSQL schema name: up to 63 lowercase letters, digits and underscores, not starting with a digit',
      "nats-tutorial: stateBucket is required with NATS_TUTORIAL_STATE_BACKEND spaces: the Spaces bucket that holds the state (the nats-state stack creates it)",
      "nats-tutorial: stateRegion is required with NATS_TUTORIAL_STATE_BACKEND spaces: the region of the bucket, such as fra1",
      "nats-tutorial: NATS_TUTORIAL_STATE_SCHEMA is set but NATS_TUTORIAL_STATE_BACKEND is spaces: it is only used with pg",
    ]);
  });

  test("a key prefix only with spaces, a schema only with pg; a bad key prefix names what is allowed", () => {
    const problems = buildStacks(Testing.app(), { NATS_STATE_KEY_PREFIX: "/abs", NATS_TUTORIAL_STATE_SCHEMA: "s" }, appStacks());
    expect(problems.map((p) => p.message)).toEqual([
      'NATS_STATE_KEY_PREFIX "/abs" is not valid: expected folders of letters, digits, dots, dashes and underscores separated by single slashes, such as team/nats',
      "NATS_STATE_KEY_PREFIX is set but stateBackend is local: it is only used with spaces",
      "NATS_TUTORIAL_STATE_SCHEMA is set but stateBackend is local: it is only used with pg",
    ]);
  });

  test("state problems are reported with the cluster's, in one report", () => {
    const problems = buildStacks(Testing.app(), { NATS_STATE_BACKEND: "etcd", NATS_NODE_COUNT: "0" }, appStacks());
    expect(problems.map((p) => p.message)).toEqual([
      'NATS_STATE_BACKEND "etcd" is not allowed: expected one of local, spaces, pg',
      expect.stringMatching(/^NATS_NODE_COUNT must be an integer from 1 to 25/),
    ]);
  });
});

describe("each setting's rule, on its edges", () => {
  /** The problems of `props` for a stack whose state is nowhere yet. */
  function problems(props: StateBackendProps): readonly string[] {
    const errors = new ValidationErrors();
    validateStateBackendProps("nats", { stateDirectory: join(dir, "state"), ...props }, errors);
    return validationProblems(() => errors.throwIfAny("s"));
  }
  const spaces = { stateBackend: "spaces", stateBucket: "acme-state", stateRegion: "fra1" } as const;
  const invalid = (setting: string, value: string, expected: string) => [`${setting} ${JSON.stringify(value)} is not valid: expected ${expected}`];
  const BUCKET = "a Spaces bucket name: 3 to 63 lowercase letters, digits and dashes, starting and ending with a letter or digit";
  const REGION = "a Spaces region slug such as fra1 or nyc3";
  const PREFIX = "folders of letters, digits, dots, dashes and underscores separated by single slashes, such as team/nats";
  const SCHEMA = "a PostgreSQL schema name: up to 63 lowercase letters, digits and underscores, not starting with a digit";

  test.each(["abc", "a-b", "0ab", "ab9", `a${"b".repeat(61)}c`])("stateBucket %s: valid", (stateBucket) => {
    expect(problems({ ...spaces, stateBucket })).toEqual([]);
  });

  test.each(["ab", `a${"b".repeat(62)}c`, "-abc", "abc-", "Abc", "abC", "a_bc", "a.bc", "xabc!", "!abcx", "ab c"])("stateBucket %s: refused", (stateBucket) => {
    expect(problems({ ...spaces, stateBucket })).toEqual(invalid("stateBucket", stateBucket, BUCKET));
  });

  test.each(["fra1", "nyc3", "sgp1"])("stateRegion %s: valid", (stateRegion) => {
    expect(problems({ ...spaces, stateRegion })).toEqual([]);
  });

  test.each(["fra", "fra12", "xfra1", "fr1", "FRA1", "fra-1", "1fra", "fraa"])("stateRegion %s: refused", (stateRegion) => {
    expect(problems({ ...spaces, stateRegion })).toEqual(invalid("stateRegion", stateRegion, REGION));
  });

  test.each(["t", "team/nats", "Team_1/nats.v2/a-b", "a/b/c/d"])("stateKeyPrefix %s: valid", (stateKeyPrefix) => {
    expect(problems({ ...spaces, stateKeyPrefix })).toEqual([]);
  });

  test.each(["", "/team", "team/", "team//nats", "team nats", "team/nats!", "!team", "team\\nats", "t\nx"])("stateKeyPrefix %j: refused", (stateKeyPrefix) => {
    expect(problems({ ...spaces, stateKeyPrefix })).toEqual(invalid("stateKeyPrefix", stateKeyPrefix, PREFIX));
  });

  test.each([".", "..", "team/.", "../team", "a/../b"])("stateKeyPrefix %s: a folder cannot be . or ..", (stateKeyPrefix) => {
    expect(problems({ ...spaces, stateKeyPrefix })).toEqual([`stateKeyPrefix ${JSON.stringify(stateKeyPrefix)} is not valid: a folder cannot be . or ..`]);
  });

  test.each(["team/.hidden", "a..b/c", "v1.2"])("stateKeyPrefix %s: dots inside a folder's name are fine", (stateKeyPrefix) => {
    expect(problems({ ...spaces, stateKeyPrefix })).toEqual([]);
  });

  test.each(["s", "_s", "terraform_nats", "a1_2", `a${"b".repeat(62)}`])("stateSchema %s: valid", (stateSchema) => {
    expect(problems({ stateBackend: "pg", stateSchema })).toEqual([]);
  });

  test.each(["", "1st", "Nats", "nats-1", `a${"b".repeat(63)}`, "nats!", "!nats", "na ts"])("stateSchema %j: refused", (stateSchema) => {
    expect(problems({ stateBackend: "pg", stateSchema })).toEqual(invalid("stateSchema", stateSchema, SCHEMA));
  });

  test("spaces needs its bucket and region, and nothing else; the other backends need neither", () => {
    expect(problems({ stateBackend: "spaces" })).toEqual([
      "stateBucket is required with stateBackend spaces: the Spaces bucket that holds the state (the nats-state stack creates it)",
      "stateRegion is required with stateBackend spaces: the region of the bucket, such as fra1",
    ]);
    expect(problems({ stateBackend: "pg" })).toEqual([]);
    expect(problems({ stateBackend: "local" })).toEqual([]);
    expect(problems({})).toEqual([]);
  });

  test("a key prefix with pg, a schema with spaces or local: each names the backend in use", () => {
    expect(problems({ stateBackend: "pg", stateKeyPrefix: "team" })).toEqual(["stateKeyPrefix is set but stateBackend is pg: it is only used with spaces"]);
    expect(problems({ ...spaces, stateSchema: "s" })).toEqual(["stateSchema is set but stateBackend is spaces: it is only used with pg"]);
    expect(problems({ stateSchema: "s" })).toEqual(["stateSchema is set but stateBackend is local: it is only used with pg"]);
  });

  test("the default schema: runs of other characters become one underscore, none at either end, 63 characters at most", () => {
    expect(defaultSchema("--a..b__c--")).toBe("terraform_a_b_c");
    expect(defaultSchema("x".repeat(80))).toBe(`terraform_${"x".repeat(53)}`);
    expect(defaultSchema("x".repeat(80))).toHaveLength(63);
  });
});

describe("the state file at cdktf's old path", () => {
  test("is reported with the commands that move it; the backend never points at an empty file meanwhile", () => {
    const legacy = join(dir, "terraform.nats.tfstate");
    writeFileSync(legacy, "{}");
    const problems = buildStacks(Testing.app(), {}, appStacks());
    expect(problems).toEqual([
      {
        stack: "nats",
        message:
          `state of stack nats is at the old path ${legacy}, readable by every user: move it into the private directory before anything else, ` +
          `or Terraform starts from empty state and creates a second cluster: mkdir -m 700 -p ${join(dir, "terraform-state")} && mv ${legacy}* ${join(dir, "terraform-state")}/, ` +
          "synthesize, then run terraform init -migrate-state in the stack's directory (cdktf.out/stacks/nats)",
      },
    ]);
  });

  test("in both places is an error; once moved, all is well", () => {
    const legacy = join(dir, "terraform.nats.tfstate");
    const moved = join(dir, "terraform-state", "terraform.nats.tfstate");
    mkdirSync(join(dir, "terraform-state"));
    writeFileSync(legacy, "{}");
    writeFileSync(moved, "{}");
    expect(buildStacks(Testing.app(), {}, appStacks()).map((p) => p.message)).toEqual([
      `state of stack nats is in two places, ${legacy} (the old path) and ${moved}: keep the one that holds your cluster (terraform show -state=FILE), move the other away, then synthesize again`,
    ]);
    rmSync(legacy);
    expect(buildStacks(Testing.app(), {}, appStacks())).toEqual([]);
  });

  test("does not matter once the stack keeps its state elsewhere", () => {
    writeFileSync(join(dir, "terraform.nats.tfstate"), "{}");
    expect(buildStacks(Testing.app(), { NATS_STATE_BACKEND: "pg" }, appStacks())).toEqual([]);
  });
});

describe("createStateDirectories", () => {
  test("creates the directory of the local states with mode 0700, and takes group and other bits off an existing one", () => {
    const app = build({ NATS_TUTORIAL_STATE_BACKEND: "pg" });
    const stacks = [app.node.findChild("nats"), app.node.findChild("nats-tutorial")] as NatsStack[];
    expect(createStateDirectories(stacks)).toEqual([join(dir, "terraform-state")]);
    expect(statSync(join(dir, "terraform-state")).mode & 0o777).toBe(0o700);
    chmodSync(join(dir, "terraform-state"), 0o755);
    createStateDirectories(stacks);
    expect(statSync(join(dir, "terraform-state")).mode & 0o777).toBe(0o700);
    expect(createStateDirectories([stacks[1]])).toEqual([]);
  });
});

describe("the nats-state stack", () => {
  test("exists only when a stack names its state bucket: the app has its two stacks by default", () => {
    const app = build({});
    expect(app.node.children.map((child) => child.node.id)).toEqual(["nats", "nats-tutorial"]);
    expect(Object.keys(APP_STACKS)).toEqual(["nats", "nats-tutorial"]);
  });

  test("creates the bucket private and versioned, protected from destroy, with a read-write and a read-only key scoped to it; its own state stays local", () => {
    const app = build({ NATS_STATE_BUCKET: "acme-nats-state", NATS_STATE_REGION: "fra1" });
    expect(app.node.children.map((child) => child.node.id)).toEqual(["nats", "nats-tutorial", "nats-state"]);
    const bucketStack = app.node.findChild("nats-state") as NatsStateBucketStack;
    const json = JSON.parse(Testing.synth(bucketStack)) as ReturnType<typeof stackJson>;
    expect(json.terraform.backend).toEqual({ local: { path: join(dir, "terraform-state", "terraform.nats-state.tfstate") } });
    const { "//": _bucketMeta, ...bucket } = json.resource?.digitalocean_spaces_bucket.bucket ?? {};
    expect(bucket).toEqual({ name: "acme-nats-state", region: "fra1", acl: "private", versioning: { enabled: true }, lifecycle: { prevent_destroy: true } });
    const keys = Object.values(json.resource?.digitalocean_spaces_key ?? {}).map(({ name, grant }) => ({ name, grant }));
    expect(keys).toEqual([
      { name: "acme-nats-state-deploy", grant: [{ bucket: "${digitalocean_spaces_bucket.bucket.name}", permission: "readwrite" }] },
      { name: "acme-nats-state-plan", grant: [{ bucket: "${digitalocean_spaces_bucket.bucket.name}", permission: "read" }] },
    ]);
    const deploy = "for terraform apply: reads and writes the state and its lock file";
    const plan = "for the pull-request plan (terraform plan -lock=false): reads the state only";
    expect(Object.entries(json.output ?? {}).map(([name, output]) => [name, output.sensitive === true, output.description])).toEqual([
      ["deploy_access_key_id", false, `AWS_ACCESS_KEY_ID ${deploy}`],
      ["deploy_secret_access_key", true, `AWS_SECRET_ACCESS_KEY ${deploy}`],
      ["plan_access_key_id", false, `AWS_ACCESS_KEY_ID ${plan}`],
      ["plan_secret_access_key", true, `AWS_SECRET_ACCESS_KEY ${plan}`],
    ]);
  });
});
