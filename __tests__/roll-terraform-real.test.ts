import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DROPLET_ARGUMENTS } from "../facts/droplet-arguments";
import { PROJECT_ROOT, cdktfEnv, freshStackFile, stackFile, synthesize } from "../plan/synth";
import { parsePlan } from "../helpers/tf-json";
import { rollOrder } from "../roll/driver";
import { STATE_COMMAND, checkCommands, dependentsOf, pendingChangesProblem, plannedChanges, stepCommands, stepPlanProblem, terraformSays } from "../roll/terraform-target";

// Integration test: runs the real terraform CLI (1.5 or newer) on built-in terraform_data resources.
jest.setTimeout(120_000);

// No DigitalOcean provider can be installed here, so each resource of the synthesized `nats` plan
// becomes a terraform_data resource with the same logical name, which Terraform plans with the same
// rules: a droplet's ForceNew arguments (facts/droplet-arguments.ts) go into
// `triggers_replace` (a change replaces it), its size into `input` (a change updates it in place,
// as the provider's resize does), its lifecycle is the synthesized one with each argument mapped to
// the attribute that holds it, and its postconditions are the synthesized ones on that attribute.
// The readiness gate keeps its triggers (every droplet ID and the load balancer's), the volumes and
// load balancers are plain terraform_data, and the firewall's `input` stands for its rules. What this
// cannot show: the provider's own calls (power off, the volume's detach and attach), or the time they take.
const work = mkdtempSync(join(tmpdir(), "roll-terraform-real-"));

type Body = Record<string, unknown>;
let synthesized: { resource: Record<string, Record<string, Body>> };

/** What a droplet runs; the first synthesis is the old one. */
interface Desired {
  readonly size: string;
  readonly userData: string;
  /** The firewall's rules, a stand-in for any change outside the droplets. */
  readonly firewall: string;
  /** The lifecycle before this change (user_data, image, ssh_keys ignored): size is updated in place. */
  readonly oldLifecycle?: boolean;
}

const OLD: Desired = { size: "s-1vcpu-1gb", userData: "nats-server 2.14.5", firewall: "22 from admins" };
const NEW: Desired = { size: "s-2vcpu-4gb", userData: "nats-server 2.15.1", firewall: "22 from admins" };

/** The terraform_data configuration that mirrors the synthesized plan (by default the stack's) with `desired` droplets. */
function mirror(desired: Desired, plan = synthesized): string {
  const ref = (text: string): string => text.replace(/\$\{([^}]*)\}/g, (_m, expression: string) => `\${${expression.replace(/\b(digitalocean_\w+|null_resource)\./g, "terraform_data.")}}`);
  const resources: Record<string, Body> = {};
  for (const [type, bodies] of Object.entries(plan.resource)) {
    for (const [name, body] of Object.entries(bodies)) {
      if (type === "digitalocean_droplet") resources[name] = droplet(body, desired, ref);
      else if (type === "null_resource") resources[name] = { triggers_replace: JSON.parse(ref(JSON.stringify(body.triggers))) };
      else if (type === "digitalocean_firewall") resources[name] = { input: desired.firewall };
      else if (type === "digitalocean_volume" || type === "digitalocean_loadbalancer") resources[name] = { input: body.name };
    }
  }
  return JSON.stringify({ resource: { terraform_data: resources } }, null, 2);
}

function droplet(body: Body, desired: Desired, ref: (text: string) => string): Body {
  const holder = (argument: string): string => (DROPLET_ARGUMENTS[argument].provider === "powers off" ? "input" : "triggers_replace");
  const forceNew = Object.keys(body).filter((argument) => DROPLET_ARGUMENTS[argument]?.provider.startsWith("replaces"));
  const values: Body = { ...body, user_data: createHash("sha1").update(desired.userData).digest("hex") };
  const lifecycle = body.lifecycle as { ignore_changes: string[]; postcondition: { condition: string; error_message: string }[] };
  const ignored = desired.oldLifecycle ? ["user_data", "image", "ssh_keys"] : lifecycle.ignore_changes;
  const onHolder = (text: string): string => text.replace(/self\.(\w+)/g, (_m, argument: string) => `self.${holder(argument)}.${argument}`);
  return {
    triggers_replace: Object.fromEntries(forceNew.map((argument) => [argument, values[argument]])),
    input: { size: desired.size, volume_ids: (body.volume_ids as string[]).map(ref) },
    lifecycle: {
      ignore_changes: [...new Set(ignored.map(holder))],
      postcondition: lifecycle.postcondition.map((condition) => ({ condition: onHolder(condition.condition), error_message: onHolder(condition.error_message) })),
    },
  };
}

/** Runs terraform in `dir`; fails the test when it fails, unless `mayFail`. */
function terraform(dir: string, args: readonly string[], mayFail = false): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync("terraform", [...args], { cwd: dir, env: cdktfEnv({ TF_IN_AUTOMATION: "1" }), encoding: "utf8" });
  if (!mayFail && run.status !== 0) throw new Error(`terraform ${args.join(" ")} exited ${run.status}: ${run.stderr}`);
  return run;
}

/** A directory with `desired` applied. */
function deployed(label: string, desired: Desired): string {
  const dir = join(work, label);
  mkdirSync(dir);
  writeFileSync(join(dir, "main.tf.json"), mirror(desired));
  terraform(dir, ["init", "-input=false", "-no-color"]);
  terraform(dir, ["apply", "-auto-approve", "-input=false", "-no-color"]);
  return dir;
}

/** The changes of the roll's check (its exact commands) in `dir`. */
function check(dir: string): ReturnType<typeof plannedChanges> {
  const [plan, show] = checkCommands();
  terraform(dir, plan);
  return plannedChanges(terraform(dir, show).stdout);
}

/** Droplet addresses in the roll's order, with their names. */
function nodes(): { name: string; address: string; seed: boolean }[] {
  const droplets = Object.entries(synthesized.resource.digitalocean_droplet).map(([name, body], i) => ({ name: String(body.name), address: `terraform_data.${name}`, seed: i === 0 }));
  return rollOrder(droplets);
}

const GATE = (): string => `terraform_data.${Object.keys(synthesized.resource.null_resource)[0]}`;
const FIREWALL = (): string => `terraform_data.${Object.keys(synthesized.resource.digitalocean_firewall)[0]}`;

beforeAll(() => {
  synthesized = JSON.parse(readFileSync(freshStackFile("nats", join(work, "cdktf.out")), "utf8"));
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

test("the stack's lifecycle: deploy's plan of a new size and user_data changes no droplet, the roll refuses to start while the firewall change is pending, then replaces one node per step", () => {
  const dir = deployed("stack", OLD);
  writeFileSync(join(dir, "main.tf.json"), mirror({ ...NEW, firewall: "22 from admins, 8222 from admins" }));

  // What cdktf deploy would apply: the firewall only; the roll refuses to start.
  expect(check(dir)).toEqual([{ address: FIREWALL(), actions: ["update"] }]);
  expect(pendingChangesProblem(check(dir))).toBe(`1 change(s) pending besides the roll: ${FIREWALL()} (update); apply those first with \`cdktf deploy\` (it changes no droplet), then roll`);
  terraform(dir, ["apply", "-auto-approve", "-input=false", "-no-color"]);
  expect(check(dir)).toEqual([]);

  const mirrorPlan = parsePlan(JSON.parse(readFileSync(join(dir, "main.tf.json"), "utf8")), "mirror");
  const newHash = createHash("sha1").update(NEW.userData).digest("hex");
  for (const [i, node] of nodes().entries()) {
    const dependents = dependentsOf(mirrorPlan, node.address);
    expect(dependents).toEqual([GATE()]);
    const step = stepCommands(node.address, dependents);
    expect(step.plan).toEqual(["plan", "-input=false", "-no-color", `-target=${node.address}`, `-target=${GATE()}`, `-replace=${node.address}`, "-out=roll-step.tfplan"]);
    terraform(dir, step.plan);
    const changes = plannedChanges(terraform(dir, step.show).stdout);
    expect(changes).toEqual([
      { address: GATE(), actions: ["delete", "create"] },
      { address: node.address, actions: ["delete", "create"] },
    ].sort((a, b) => a.address.localeCompare(b.address)));
    expect(stepPlanProblem(changes, node.address, dependents)).toBeUndefined();
    expect(terraform(dir, step.apply).stdout).toContain("Apply complete! Resources: 2 added, 0 changed, 2 destroyed.");

    // Exactly the nodes rolled so far run the new size and user_data; the others were not touched.
    const state = JSON.parse(terraform(dir, ["show", "-json"]).stdout) as { values: { root_module: { resources: { address: string; values: { input: { size: string }; triggers_replace: { user_data: string } } }[] } } };
    const rolled = state.values.root_module.resources
      .filter((resource) => resource.values.input?.size === NEW.size && resource.values.triggers_replace?.user_data === newHash)
      .map((resource) => resource.address);
    expect(rolled.sort()).toEqual(nodes().slice(0, i + 1).map((n) => n.address).sort());
  }
  expect(check(dir)).toEqual([]);

  // A region move: every plan fails, deploy's and the roll's step alike, with what to do.
  const moved = JSON.parse(readFileSync(stackFile(synthesize({ outdir: join(work, "sfo3"), env: { NATS_REGION: "sfo3" } }).outdir, "nats"), "utf8"));
  writeFileSync(join(dir, "main.tf.json"), mirror(NEW, moved));
  const [plan] = checkCommands();
  const step = stepCommands(nodes()[0].address, [GATE()]);
  for (const args of [plan, step.plan]) {
    const run = terraform(dir, [...args, "-no-color"], true);
    expect(run.status).toBe(1);
    expect(run.stderr.replace(/\s+/g, " ")).toContain("has region nyc3, the configuration says sfo3: a region move needs a second cluster, not a roll");
  }
});

test("the lifecycle before this change (size not ignored): deploy's plan updates every droplet in place, and the step's check refuses a plan that powers off the others", () => {
  const dir = deployed("old", { ...OLD, oldLifecycle: true });
  writeFileSync(join(dir, "main.tf.json"), mirror({ ...NEW, oldLifecycle: true }));
  expect(check(dir).map((change) => change.actions)).toEqual([["update"], ["update"], ["update"]]);
  const [first, ...others] = nodes();
  const step = stepCommands(first.address, [GATE()]);
  terraform(dir, step.plan);
  const changes = plannedChanges(terraform(dir, step.show).stdout);
  expect(changes.filter((change) => others.some((node) => node.address === change.address))).toEqual(others.map((node) => ({ address: node.address, actions: ["update"] })).sort((a, b) => a.address.localeCompare(b.address)));
  expect(stepPlanProblem(changes, first.address, [GATE()])).toMatch(/^the plan of this step would also change terraform_data\.\S+ \(update\), terraform_data\.\S+ \(update\); nothing was applied$/);
});

test("cdktf synth --hcl writes the droplets' lifecycle as Terraform reads it: the postcondition a block, refusing a region move", () => {
  const outdir = synthesize({ outdir: join(work, "hcl"), env: { SYNTH_HCL_OUTPUT: "true" } }).outdir;
  const hcl = readFileSync(join(outdir, "stacks", "nats", "cdk.tf"), "utf8");
  const lifecycles = [...hcl.matchAll(/^lifecycle \{\n[\s\S]*?\n\}\n\}$/gm)].map((match) => match[0]);
  expect(lifecycles).toHaveLength(3);
  // The same block on a terraform_data whose input holds the region, the attributes it ignores renamed to that input.
  const resource = (region: string, lifecycle: string): string =>
    `resource "terraform_data" "node" {\ninput = { region = "${region}" }\n${lifecycle.replace(/ignore_changes = \[[^\]]*\]/, "ignore_changes = [input]").replaceAll("self.region", "self.input.region")}\n}\n`;
  const dir = join(work, "hcl-check");
  mkdirSync(dir);
  writeFileSync(join(dir, "main.tf"), resource("nyc3", lifecycles[0]));
  terraform(dir, ["init", "-input=false", "-no-color"]);
  terraform(dir, ["validate", "-no-color"]);
  terraform(dir, ["apply", "-auto-approve", "-input=false", "-no-color"]);
  writeFileSync(join(dir, "main.tf"), resource("sfo3", lifecycles[0].replace('== "nyc3"', '== "sfo3"').replace("says nyc3", "says sfo3")));
  const moved = terraform(dir, ["plan", "-input=false", "-no-color"], true);
  expect(moved.status).toBe(1);
  expect(moved.stderr.replace(/\s+/g, " ")).toContain("nats-1 has region nyc3, the configuration says sfo3: a region move needs a second cluster");
});

test("the roll of a stack never deployed (no terraform init) says Terraform's own error, without colour codes or its box", () => {
  const outdir = join(work, "cdktf.out");
  const dir = join(outdir, "stacks", "nats");
  // What Terraform says about this directory itself; the roll runs every terraform command with -no-color.
  const own = terraform(dir, STATE_COMMAND, true);
  expect(own.status).toBe(1);
  expect(own.stderr).toContain('Error: Backend initialization required, please run "terraform init"');
  const run = spawnSync(process.execPath, ["--import", "tsx", "scripts/roll.ts", "--stack", "nats"], { cwd: PROJECT_ROOT, env: cdktfEnv({ CDKTF_OUTDIR: outdir }), encoding: "utf8" });
  expect(run.status).toBe(1);
  const [summary, ...detail] = own.stderr.trim().replace(/\n{3,}/g, "\n\n").split("\n").map((line) => line.trimEnd());
  expect(summary).toBe('Error: Backend initialization required, please run "terraform init"');
  const indented = detail.map((line) => (line === "" ? "" : `  ${line}`));
  expect(run.stderr).toBe(`roll: terraform show -json -no-color in ${dir} exited 1 (run cdktf deploy first): ${summary}\n${indented.join("\n")}\n`);
  expect(run.stderr).not.toMatch(/[\x1b╷│╵]/);
});

test("output without an Error: diagnostic gives its last line, control characters escaped", () => {
  expect(terraformSays("Initializing...\n\x1b[31mkilled\x1b[0m\n")).toBe(": \\x1b[31mkilled\\x1b[0m");
  expect(terraformSays("Warning: old\n\nsomething\nError: broken\n  detail\n\nWarning: also\nError: twice\n")).toBe(": Error: broken\n    detail\n  Error: twice");
});
