import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { References, substituteReferences } from "../twin/cloud-config";
import { Json, Resource, isObject, loadPlan, resourcesOfType, text } from "../plan/tf-json";
import { cdktfEnv } from "../plan/synth";
import { RollNode, RollRefused, RollTarget } from "./driver";
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

/**
 * The deployed stack as a roll target, through the `terraform` CLI in the stack's synthesized
 * directory (cdktf.out/stacks/<stack>, where cdktf deploy ran `terraform init`):
 * - a node differs when its state differs in an attribute the plan leaves to the roll
 *   (lifecycle.ignore_changes); DigitalOcean keeps user_data as its SHA-1, so the plan's
 *   user_data is compared with the state's references resolved;
 * - a replacement is `terraform apply -auto-approve -replace=<droplet>`: with graceful_shutdown
 *   the droplet shuts down (systemd stops nats-server in lame duck mode) before it is destroyed,
 *   and the readiness gate, triggered by every droplet ID, waits until all nodes answer through
 *   the load balancer and the mesh carries messages;
 * - health is the readiness gate's steps (credentials to a 0600 file, then verify) run in the
 *   stack's directory as Terraform runs them, with a short budget.
 */
export class TerraformTarget implements RollTarget {
  public readonly nodes: readonly RollNode[];
  private readonly gate: readonly GateStep[];

  constructor(
    private readonly stackDir: string,
    private readonly plan: RollPlan,
    private readonly log: (line: string) => void,
    private readonly terraform = "terraform",
  ) {
    this.nodes = plan.nodes;
    this.gate = readinessGate(plan.file);
  }

  public describeReplace(node: RollNode): string {
    return `terraform apply -auto-approve -replace=${node.address} in ${this.stackDir}`;
  }

  public async pending(): Promise<RollNode[]> {
    const state = await this.state();
    const refs = references(state);
    return this.nodes.filter((node) => {
      const deployed = state.find((resource) => resource.address === node.address);
      if (deployed === undefined) throw new RollRefused(`${node.name} (${node.address}) is not in the Terraform state: deploy the stack (cdktf deploy) before rolling it`);
      const desired = this.plan.droplets.get(node.address) as Resource;
      const userData = text(desired.body, "user_data");
      const resolved = userData === undefined ? desired : { ...desired, body: { ...desired.body, user_data: sha1(substituteReferences(userData, refs, node.name)) } };
      return rolledDifferences(deployed.values, resolved).length > 0;
    });
  }

  public async unhealthy(): Promise<string[]> {
    const run = await this.verify(60);
    return run.status === 0 ? [] : [`verify through the load balancer fails: ${lastLine(run.output)}`];
  }

  public async replace(node: RollNode): Promise<void> {
    const run = await this.run(this.terraform, ["apply", "-auto-approve", "-input=false", `-replace=${node.address}`], this.stackDir, cdktfEnv(), true);
    if (run.status !== 0) throw new Error(`terraform apply -replace=${node.address} exited ${run.status}`);
  }

  public async ready(node: RollNode): Promise<void> {
    const run = await this.verify(900);
    if (run.status !== 0) throw new Error(`${node.name} was replaced, but verify through the load balancer fails: ${lastLine(run.output)}`);
  }

  /** The droplets, load balancers and passwords in the state. */
  private async state(): Promise<StateResource[]> {
    const run = await this.run(this.terraform, ["show", "-json"], this.stackDir, cdktfEnv(), false);
    if (run.status !== 0) throw new RollRefused(`terraform show -json in ${this.stackDir} exited ${run.status}: ${lastLine(run.output)}; run cdktf deploy first`);
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

function lastLine(output: string): string {
  return output.trim().split("\n").pop() ?? "(no output)";
}
