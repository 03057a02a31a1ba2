import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { References, substituteReferences } from "../twin/cloud-config";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { dependenciesOf } from "../plan/references";
import { Json, Plan, Resource, isObject, loadPlan, resourcesOfType, text } from "../helpers/tf-json";
import { cdktfEnv } from "../plan/synth";
import { printable } from "../helpers/terminal";
import { PendingNode, RollNode, RollRefused, RollTarget } from "./driver";
import { RollPlan, rolledDifferences } from "./plan";

/** One resource of `terraform show -json`'s state. */
interface StateResource {
  readonly address: string;
  readonly type: string;
  readonly name: string;
  readonly values: Record<string, Json>;
}

/** One local-exec step of the plan's readiness gate, references unresolved. */
interface GateStep {
  readonly command: string;
  readonly environment: Record<string, string>;
}

/** What a command printed and how it ended. */
interface Run {
  readonly status: number | null;
  readonly output: string;
}

/** One resource change of `terraform show -json <saved plan>`, as the roll reads it. */
export interface PlannedChange {
  readonly address: string;
  /** Terraform's actions, e.g. ["update"] or ["delete", "create"]. */
  readonly actions: readonly string[];
}

/** Saved plans, in the stack's directory (they hold the same secrets as the state); removed after use. */
export const CHECK_PLAN = "roll-check.tfplan";
export const STEP_PLAN = "roll-step.tfplan";

/**
 * The terraform command (arguments) that reads the deployed state. Every terraform command of the
 * roll runs with -no-color: its output ends up in the roll's messages ({@link terraformSays}),
 * which must hold no escape codes.
 */
export const STATE_COMMAND: readonly string[] = ["show", "-json", "-no-color"];

/** The terraform commands (arguments) that check, before the first step, that nothing else would change. */
export function checkCommands(): readonly string[][] {
  return [
    ["plan", "-input=false", "-no-color", `-out=${CHECK_PLAN}`],
    ["show", "-json", "-no-color", CHECK_PLAN],
  ];
}

/**
 * The terraform commands (arguments) of one step: plan the replacement of `droplet` limited to it
 * and its `dependents` (-target includes what they depend on, never what depends on them), read
 * the saved plan to check that nothing else changes, and apply exactly that plan.
 */
export function stepCommands(droplet: string, dependents: readonly string[]): { plan: string[]; show: string[]; apply: string[] } {
  return {
    plan: ["plan", "-input=false", "-no-color", ...[droplet, ...dependents].map((address) => `-target=${address}`), `-replace=${droplet}`, `-out=${STEP_PLAN}`],
    show: ["show", "-json", "-no-color", STEP_PLAN],
    apply: ["apply", "-input=false", "-no-color", STEP_PLAN],
  };
}

/** The resources a saved plan changes (anything but no-op and read), from `terraform show -json`. */
export function plannedChanges(showJson: string): PlannedChange[] {
  const parsed = JSON.parse(showJson) as { resource_changes?: { address: string; change: { actions: string[] } }[] };
  return (parsed.resource_changes ?? [])
    .map((change) => ({ address: change.address, actions: change.change.actions }))
    .filter((change) => !change.actions.every((action) => action === "no-op" || action === "read"));
}

/**
 * The refusal for changes pending before a roll starts: the roll applies only its droplets, and
 * a change that waits for it would go through unreviewed or block every step.
 */
export function pendingChangesProblem(changes: readonly PlannedChange[]): string | undefined {
  if (changes.length === 0) return undefined;
  const droplets = changes.some((change) => change.address.startsWith("digitalocean_droplet."));
  return (
    `${changes.length} change(s) pending besides the roll: ${changes.map(describeChange).join(", ")}; ` +
    `apply those first with \`cdktf deploy\` (${droplets ? "it stops no droplet: every change that would is left to the roll" : "it changes no droplet"}), then roll`
  );
}

/** The problem with a step's saved plan when it changes anything but `droplet` (replaced) and its `dependents`. */
export function stepPlanProblem(changes: readonly PlannedChange[], droplet: string, dependents: readonly string[]): string | undefined {
  const replaced = changes.find((change) => change.address === droplet);
  const others = changes.filter((change) => change.address !== droplet && !dependents.includes(change.address));
  if (replaced !== undefined && replaced.actions.includes("delete") && replaced.actions.includes("create") && others.length === 0) return undefined;
  const what = others.length > 0 ? `would also change ${others.map(describeChange).join(", ")}` : `does not replace ${droplet}`;
  return `the plan of this step ${what}; nothing was applied`;
}

function describeChange(change: PlannedChange): string {
  return `${change.address} (${change.actions.join(", ")})`;
}

/**
 * What must change with `droplet`: the resources (not droplets) that refer to it, such as the
 * readiness gate, whose triggers hold every droplet ID. Targeting the gate also targets what it
 * depends on (every droplet and the load balancer), which is why the roll first refuses any other
 * pending change and checks each step's plan.
 */
export function dependentsOf(plan: Plan, droplet: string): string[] {
  const known = new Set(plan.resources.map((resource) => resource.address));
  return plan.resources
    .filter((resource) => resource.type !== "digitalocean_droplet" && dependenciesOf(resource, known).includes(droplet))
    .map((resource) => resource.address);
}

/**
 * The deployed stack as a roll target, through the `terraform` CLI in the stack's synthesized
 * directory (cdktf.out/stacks/<stack>, where cdktf deploy ran `terraform init`):
 * - a node differs when its state differs in an attribute the plan leaves to the roll
 *   (lifecycle.ignore_changes: every argument that would power off or replace the droplet,
 *   size included); DigitalOcean keeps user_data as its SHA-1, so the plan's user_data is
 *   compared with the state's references resolved;
 * - before the first step, a full `terraform plan` must change nothing: what it would change
 *   is the user's to apply with cdktf deploy, never the roll's;
 * - a step replaces the droplet, also for a new size: the same path as every other change
 *   (lame duck, the volume moves to the new droplet, the readiness gate), and a fresh disk of
 *   the new size, so a smaller size later works; an in-place resize would keep the address but
 *   stop the droplet for the resize and grow its disk for good (resize_disk). The step is
 *   `terraform plan -target=<droplet> -target=<readiness gate> -replace=<droplet> -out=…`, a
 *   check that the saved plan replaces that droplet and changes nothing but the gate, then
 *   `terraform apply <saved plan>`: with graceful_shutdown the droplet shuts down (systemd stops
 *   nats-server in lame duck mode) before it is destroyed, and the gate waits until all nodes
 *   answer through the load balancer and the mesh carries messages;
 * - health is the readiness gate's steps (credentials to a 0600 file, then verify) run in the
 *   stack's directory as Terraform runs them, with a short budget.
 */
export class TerraformTarget implements RollTarget {
  public readonly nodes: readonly RollNode[];
  private readonly gate: readonly GateStep[];
  private readonly dependents: ReadonlyMap<string, string[]>;

  constructor(
    private readonly stackDir: string,
    private readonly plan: RollPlan,
    private readonly log: (line: string) => void,
    private readonly terraform = "terraform",
  ) {
    this.nodes = plan.nodes;
    this.gate = readinessGate(plan.file);
    const full = loadPlan(plan.file);
    this.dependents = new Map(plan.nodes.map((node) => [node.address, dependentsOf(full, node.address)]));
  }

  public describeCheck(): string {
    return (
      `in ${this.stackDir}: ${checkCommands().map(command).join(" && ")}: stop unless nothing is pending; ` +
      `before and after each step: ${command(STATE_COMMAND)} (the state, for the readiness gate's references) and the gate's verify`
    );
  }

  public describeReplace(node: RollNode): string {
    const step = this.step(node);
    return `${command(step.plan)} && ${command(step.show)}: stop unless only ${node.name} is replaced and ${this.dependentsText(node)} change${this.dependents.get(node.address)?.length === 1 ? "s" : ""} && ${command(step.apply)}`;
  }

  public async refuseOtherChanges(): Promise<void> {
    const [plan, show] = checkCommands();
    try {
      await this.terraformOrFail(plan, true);
      const problem = pendingChangesProblem(plannedChanges((await this.terraformOrFail(show, false)).output));
      if (problem !== undefined) throw new RollRefused(`not starting: ${problem}`);
    } finally {
      rmSync(join(this.stackDir, CHECK_PLAN), { force: true });
    }
  }

  public async pending(): Promise<PendingNode[]> {
    const state = await this.state();
    const refs = references(state);
    return this.nodes.flatMap((node) => {
      const deployed = state.find((resource) => resource.address === node.address);
      if (deployed === undefined) throw new RollRefused(`${node.name} (${node.address}) is not in the Terraform state: deploy the stack (cdktf deploy) before rolling it`);
      const desired = this.plan.droplets.get(node.address) as Resource;
      const userData = text(desired.body, "user_data");
      const resolved = userData === undefined ? desired : { ...desired, body: { ...desired.body, user_data: sha1(substituteReferences(userData, refs, node.name)) } };
      const differences = rolledDifferences(deployed.values, resolved);
      return differences.length > 0 ? [{ ...node, differences }] : [];
    });
  }

  public async unhealthy(): Promise<string[]> {
    const run = await this.verify(60);
    return run.status === 0 ? [] : [`verify through the load balancer fails: ${lastLine(run.output)}`];
  }

  public async replace(node: RollNode): Promise<void> {
    const step = this.step(node);
    try {
      await this.terraformOrFail(step.plan, true);
      const problem = stepPlanProblem(plannedChanges((await this.terraformOrFail(step.show, false)).output), node.address, this.dependents.get(node.address) ?? []);
      if (problem !== undefined) throw new Error(problem);
      await this.terraformOrFail(step.apply, true);
    } finally {
      rmSync(join(this.stackDir, STEP_PLAN), { force: true });
    }
  }

  private step(node: RollNode): ReturnType<typeof stepCommands> {
    return stepCommands(node.address, this.dependents.get(node.address) ?? []);
  }

  private dependentsText(node: RollNode): string {
    const dependents = this.dependents.get(node.address) ?? [];
    return dependents.length === 0 ? "nothing else" : dependents.join(", ");
  }

  /** Runs terraform with `args` in the stack's directory; throws when it fails. */
  private async terraformOrFail(args: readonly string[], inherit: boolean): Promise<Run> {
    // Saved plans hold the state's secrets: terraform creates them for the owner only.
    const umask = process.umask(0o077);
    const running = this.run(this.terraform, [...args], this.stackDir, cdktfEnv(), inherit);
    process.umask(umask);
    const run = await running;
    if (run.status !== 0) throw new Error(`${command(args)} exited ${run.status}${inherit ? "" : terraformSays(run.output)}`);
    return run;
  }

  public async ready(node: RollNode): Promise<void> {
    const run = await this.verify(900);
    if (run.status !== 0) throw new Error(`${node.name} was replaced, but verify through the load balancer fails: ${lastLine(run.output)}`);
  }

  /** The droplets, load balancers and passwords in the state. */
  private async state(): Promise<StateResource[]> {
    const run = await this.run(this.terraform, [...STATE_COMMAND], this.stackDir, cdktfEnv(), false);
    if (run.status !== 0) throw new RollRefused(`${command(STATE_COMMAND)} in ${this.stackDir} exited ${run.status} (run cdktf deploy first)${terraformSays(run.output)}`);
    const parsed = JSON.parse(run.output) as { values?: { root_module?: { resources?: StateResource[] } } };
    return parsed.values?.root_module?.resources ?? [];
  }

  /**
   * The readiness gate's steps in order, in the stack's directory (where its assets are), with
   * references resolved from the state and `timeoutSeconds` as verify's budget; the first step
   * that fails ends it.
   */
  private async verify(timeoutSeconds: number): Promise<Run> {
    const refs = references(await this.state());
    const resolve = (value: string): string => substituteReferences(value, refs, "the readiness gate");
    let run: Run = { status: 0, output: "" };
    for (const step of this.gate) {
      const command = resolve(step.command).replace(/--timeout \d+/, `--timeout ${timeoutSeconds}`);
      const environment = Object.fromEntries(Object.entries(step.environment).map(([name, value]) => [name, resolve(value)]));
      if (Object.keys(environment).length === 0) this.log(`verify: ${command}`);
      run = await this.run("sh", ["-c", command], this.stackDir, { ...process.env, ...environment }, false);
      if (run.status !== 0) return run;
    }
    return run;
  }

  private run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, inherit: boolean): Promise<Run> {
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, { cwd, env, stdio: inherit ? "inherit" : ["ignore", "pipe", "pipe"] });
      let output = "";
      child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
      child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
      child.on("error", (error) => reject(new RollRefused(`cannot run ${command}: ${error.message}`)));
      child.on("close", (status) => resolve({ status, output }));
    });
  }
}

/** The local-exec steps of the plan's readiness gate (the null_resource that runs verify); the roll relies on them to wait for each node. */
function readinessGate(file: string): GateStep[] {
  for (const resource of resourcesOfType(loadPlan(file), "null_resource")) {
    const provisioners = Array.isArray(resource.body.provisioner) ? resource.body.provisioner : [];
    const steps = provisioners.flatMap((provisioner) => {
      const exec = isObject(provisioner) ? provisioner["local-exec"] : undefined;
      const command = isObject(exec) ? text(exec, "command") : undefined;
      if (!isObject(exec) || command === undefined) return [];
      const environment = isObject(exec.environment) ? Object.fromEntries(Object.entries(exec.environment).map(([k, v]) => [k, String(v)])) : {};
      return [{ command, environment }];
    });
    if (steps.some((step) => step.command.includes("verify"))) return steps;
  }
  throw new RollRefused(`${file} has no readiness gate: the roll waits for each replaced node with it; deploy with readinessGate on (the default)`);
}

/** Values for the references a plan's user_data and readiness gate use, from the state. */
function references(state: readonly StateResource[]): References {
  const of = (type: string, attribute: string): Map<string, string> =>
    new Map(state.filter((resource) => resource.type === type).map((resource) => [resource.name, String(resource.values[attribute])]));
  const pems = [["tls_private_key", "private_key_pem"], ["tls_self_signed_cert", "cert_pem"], ["tls_locally_signed_cert", "cert_pem"]].flatMap(([type, attribute]) =>
    [...of(type, attribute)].map(([name, pem]): [string, string] => [`${type}.${name}.${attribute}`, pem]),
  );
  return {
    addresses: of("digitalocean_droplet", "ipv4_address_private"),
    loadBalancers: of("digitalocean_loadbalancer", "ip"),
    secrets: of("random_password", "result"),
    pems: new Map(pems),
  };
}

/** How the DigitalOcean provider keeps user_data in the state: its SHA-1, hex. */
function sha1(value: string): string {
  return createHash("sha1").update(value).digest("hex");
}

/** A terraform command line as the user would type it. */
function command(args: readonly string[]): string {
  return ["terraform", ...args].join(" ");
}

function lastLine(output: string): string {
  return printable(output.trim().split("\n").pop() ?? "(no output)");
}

/**
 * Terraform's own words from the output of a failed command, to end a message: `: ` and the first
 * `Error: …` summary, then its detail lines and any further error on lines of their own, indented
 * (run with -no-color: no colour codes, no box around them), blank lines folded; anything else left
 * is escaped with printable(). Output without an error diagnostic gives `: ` and its last line.
 */
export function terraformSays(output: string): string {
  const lines = output.split("\n").map((line) => printable(line.trimEnd()));
  const blocks: string[][] = [];
  for (const line of lines) {
    if (/^(Error|Warning): /.test(line)) blocks.push([line]);
    else blocks.at(-1)?.push(line);
  }
  const errors = blocks.filter((block) => block[0].startsWith("Error: "));
  if (errors.length === 0) return `: ${lastLine(output)}`;
  const [summary, ...detail] = errors.flatMap((block) => block.join("\n").trim().replace(/\n{3,}/g, "\n\n").split("\n"));
  return `: ${summary}${detail.map((line) => (line === "" ? "\n" : `\n  ${line}`)).join("")}`;
}
