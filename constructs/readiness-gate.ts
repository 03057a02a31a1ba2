import { Fn } from "cdktf";
import { Resource } from "@cdktf/provider-null/lib/resource";
import { Construct } from "constructs";
import { ValidationErrors, integerInRange } from "./validation";

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
   * Environment for verify; values may be references to secrets (they stay out of the plan).
   * @default - none
   */
  readonly environment?: Record<string, string>;
}

/** The problem with a readiness timeout named `name`, if any: 10 s to 1 hour. */
export function readinessTimeoutProblem(name: string, seconds: number | undefined): string | undefined {
  return integerInRange(name, seconds, 10, 3600);
}

/**
 * A null_resource that runs `npm run verify` against the new load balancer, so that
 * `cdktf deploy` ends only when every node answers through it and the mesh carries messages.
 */
export class ReadinessGate extends Construct {
  public readonly resource: Resource;
  public readonly command: string;

  constructor(scope: Construct, id: string, props: ReadinessGateProps) {
    super(scope, id);
    const errors = new ValidationErrors();
    errors.add(readinessTimeoutProblem("timeoutSeconds", props.timeoutSeconds));
    errors.throwIfAny(this.node.path);

    const args = [
      "--lb", props.loadBalancerIp,
      "--expect-nodes", String(props.expectNodes),
      "--client-port", String(props.clientPort),
      ...(props.monitorPort !== undefined ? ["--monitor-port", String(props.monitorPort)] : []),
      "--timeout", String(props.timeoutSeconds ?? 900),
      ...(props.jetstream === true ? ["--jetstream"] : []),
    ];
    this.command = `npm run --silent verify -- ${args.join(" ")}`;
    this.resource = new Resource(this, "verify", {
      triggers: {
        droplets: Fn.join(",", props.dropletIds),
        load_balancer: props.loadBalancerId,
      },
      provisioners: [
        {
          type: "local-exec",
          command: this.command,
          // Terraform runs in cdktf.out/stacks/<stack>; verify lives at the project root.
          workingDir: "../../..",
          environment: props.environment,
        },
      ],
    });
  }
}
