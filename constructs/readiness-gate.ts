import { rmSync } from "node:fs";
import { join } from "node:path";
import { AssetType, Fn, TerraformAsset, TerraformStack } from "cdktf";
// Not re-exported by cdktf's index: the hook TerraformAsset itself uses to write into the stack's directory.
import { addCustomSynthesis } from "cdktf/lib/synthesize/synthesizer";
import { Resource } from "@cdktf/provider-null/lib/resource";
import { Construct } from "constructs";
import { ValidationErrors, integerInRange } from "../facts/validation";
import { verifyBundle } from "./verify-bundle";

export interface ReadinessGateProps {
  /** Address of the new load balancer (a reference to its IP). */
  readonly loadBalancerIp: string;
  /** Reference to the load balancer's ID: a new load balancer runs the gate again. */
  readonly loadBalancerId: string;
  /** References to every droplet's ID: replacing any droplet runs the gate again. */
  readonly dropletIds: string[];
  readonly expectNodes: number;
  readonly clientPort: number;
  /**
   * The monitor port, when the load balancer forwards it.
   * @default - not published: verify checks the mesh with messages instead of /routez
   */
  readonly monitorPort?: number;
  /**
   * How long verify keeps trying before the deploy fails.
   * @default 900 - droplets boot, install nats-server and pass the health check in this time
   */
  readonly timeoutSeconds?: number;
  /**
   * The cluster runs JetStream: verify also checks it (`--jetstream`).
   * @default false
   */
  readonly jetstream?: boolean;
  /**
   * Client credentials for verify, by the environment variable it reads them from
   * (NATS_TOKEN, or NATS_USER and NATS_PASSWORD); values may be references to secrets (they
   * stay out of the plan). A first step writes them to a 0600 file ({@link GATE_CREDENTIALS_FILE})
   * that verify's step opens and deletes before verify starts (verify reads the open file), so
   * that verify's own step holds no sensitive value and Terraform shows its progress (it hides a
   * local-exec's output when its environment is sensitive).
   * @default - none: the cluster needs no credentials
   */
  readonly credentials?: Record<string, string>;
  /**
   * Variables verify's own step gets in its environment, such as NATS_CA (the CA certificate)
   * and NATS_TLS_SERVER_NAME. Never a secret: Terraform would then hide verify's output.
   * @default - none
   */
  readonly environment?: Record<string, string>;
}

/** The problem with a readiness timeout named `name`, if any: 10 s to 1 hour. */
export function readinessTimeoutProblem(name: string, seconds: number | undefined): string | undefined {
  return integerInRange(name, seconds, 10, 3600);
}

/**
 * File, in Terraform's working directory, that hands the credentials to verify during the gate.
 * It lives from the first step until the second has opened it: that step deletes it before
 * verify starts, and its shell's traps delete it on any exit (EXIT, HUP, INT, TERM) before that.
 * Only a SIGKILL between the two steps can leave it behind: every synthesis deletes it.
 */
export const GATE_CREDENTIALS_FILE = ".readiness-gate-credentials";

/** Where verify reads the credentials: the descriptor verify's step opened the file on. */
const CREDENTIALS_FD = 3;

/** Exit status of a shell ended by each signal its traps catch: 128 + the signal's number. */
const TRAPPED_SIGNALS = [["HUP", 129], ["INT", 130], ["TERM", 143]] as const;

/**
 * What the gate prints when verify fails: where a node's own failure shows. A unit that keeps
 * failing settles as failed after its start limit (templates/nats-server.service).
 */
export const GATE_FAILURE_HINT =
  "readiness gate: the cluster did not pass verify. On each droplet that fails (ssh root@<its address>): " +
  "systemctl status nats-server (a unit that failed 5 times within 60 s stays failed: Start request repeated too quickly), " +
  "journalctl -u nats-server -b, cloud-init status --long, /var/log/cloud-init-output.log";

/**
 * A null_resource that runs verify against the new load balancer, so that `cdktf deploy` ends
 * only when every node answers through it and the mesh carries messages. verify is bundled into
 * the stack's directory (an asset run with `node`), so the synthesized stack, JSON or HCL, needs
 * neither this checkout nor its node_modules.
 */
export class ReadinessGate extends Construct {
  public readonly resource: Resource;
  public readonly command: string;

  constructor(scope: Construct, id: string, props: ReadinessGateProps) {
    super(scope, id);
    const errors = new ValidationErrors();
    errors.add(readinessTimeoutProblem("timeoutSeconds", props.timeoutSeconds));
    for (const [prop, variables] of Object.entries({ credentials: props.credentials, environment: props.environment })) {
      for (const name of Object.keys(variables ?? {})) {
        if (!/^[A-Z][A-Z0-9_]*$/.test(name)) errors.add(`${prop} name ${JSON.stringify(name)} is not an environment variable name: expected e.g. NATS_TOKEN`);
      }
    }
    errors.throwIfAny(this.node.path);

    const script = new TerraformAsset(this, "verify-script", {
      path: verifyBundle(),
      type: AssetType.FILE,
      // A fixed name: the plan does not change with verify's code (the asset is rewritten at every synth).
      assetHash: "bundle",
    });
    const credentials = props.credentials ?? {};
    const names = Object.keys(credentials);
    const args = [
      "--lb", props.loadBalancerIp,
      "--expect-nodes", String(props.expectNodes),
      "--client-port", String(props.clientPort),
      ...(props.monitorPort !== undefined ? ["--monitor-port", String(props.monitorPort)] : []),
      "--timeout", String(props.timeoutSeconds ?? 900),
      ...(names.length > 0 ? ["--credentials-file", `/dev/fd/${CREDENTIALS_FD}`] : []),
      ...(props.jetstream === true ? ["--jetstream"] : []),
    ];
    this.command = `node ${script.path} ${args.join(" ")}`;
    const writeCredentials = {
      type: "local-exec" as const,
      command: `umask 077 && printf '%s=%s\\n' ${names.map((name) => `${name} "$${name}"`).join(" ")} > ${GATE_CREDENTIALS_FILE}`,
      environment: credentials,
    };
    const remove = `rm -f ${GATE_CREDENTIALS_FILE}`;
    // Each signal's trap deletes the file itself: dash does not run the EXIT trap when a signal
    // interrupts a redirection (its `exec 3<` fails with EINTR and the shell exits from there).
    const traps = [`trap '${remove}' EXIT`, ...TRAPPED_SIGNALS.map(([signal, status]) => `trap '${remove}; exit ${status}' ${signal}`)];
    // The group keeps verify's exit status for the rest of the step.
    const verified = `${this.command} || { status=$?; echo '${GATE_FAILURE_HINT}' >&2; (exit $status); }`;
    const runVerify = {
      type: "local-exec" as const,
      command: names.length > 0 ? `${traps.join("; ")}; exec ${CREDENTIALS_FD}< ${GATE_CREDENTIALS_FILE} && ${remove} && { ${verified}; }` : verified,
      environment: props.environment,
    };
    this.resource = new Resource(this, "verify", {
      triggers: {
        droplets: Fn.join(",", props.dropletIds),
        load_balancer: props.loadBalancerId,
      },
      provisioners: names.length > 0 ? [writeCredentials, runVerify] : [runVerify],
    });
    // A file left by a gate killed between its steps: the next synthesis of the stack removes it.
    addCustomSynthesis(this, {
      onSynthesize: (session) => {
        const stack = TerraformStack.of(this);
        rmSync(join(session.outdir, session.manifest.forStack(stack).workingDirectory, GATE_CREDENTIALS_FILE), { force: true });
      },
    });
  }
}
