import { AnnotationMetadataEntryType, Aspects, TerraformStack } from "cdktf";
import { DigitaloceanProvider } from "@cdktf/provider-digitalocean/lib/provider";
import { NullProvider } from "@cdktf/provider-null/lib/provider";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { TlsProvider } from "@cdktf/provider-tls/lib/provider";
import { Construct } from "constructs";
import { Acknowledgements, NatsPolicyChecks } from "../policy/aspect";
import { NatsCluster, NatsClusterProps } from "./nats-cluster";
import type { NatsStateBucketStackProps } from "./state-bucket-stack";
import { StateBackendProps, addStateBackend, validateStateBackendProps } from "./state-backend";
import { ValidationError, ValidationErrors } from "../facts/validation";

/**
 * Props of a NatsStack. `namePrefix` and `tag` default from the stack id (see
 * {@link stackNames}), so that two stacks in one account never share a tag or a name.
 */
export interface NatsStackProps extends NatsClusterProps, StateBackendProps {
  /**
   * Policy rules (policy/rules) this stack breaks on purpose, by id, each with the reason,
   * e.g. `{ "NATS-004": "a demo runs 2 nodes" }`. Their findings become info annotations.
   * @default - none: an error-level finding fails the synth
   */
  readonly acknowledge?: Acknowledgements;
}

/**
 * A Terraform stack holding one NatsCluster and its providers, checked by the NATS policy
 * rules at synth, with its state where the state settings say (see StateBackendProps). The
 * DigitalOcean provider reads its token from DIGITALOCEAN_TOKEN when Terraform runs; it is
 * never in the plan.
 */
export class NatsStack extends TerraformStack {
  public readonly cluster: NatsCluster;
  /** The Spaces bucket the state settings name (`stateBucket` and `stateRegion`); undefined when they name none. */
  public readonly stateBucket?: NatsStateBucketStackProps;
  private readonly policy: NatsPolicyChecks;

  constructor(scope: Construct, id: string, props: NatsStackProps = {}) {
    super(scope, id);
    const { acknowledge, stateBackend, stateBucket, stateRegion, stateKeyPrefix, stateSchema, stateDirectory, ...clusterProps } = props;
    const state = { stateBackend, stateBucket, stateRegion, stateKeyPrefix, stateSchema, stateDirectory };
    const stateErrors = new ValidationErrors();
    validateStateBackendProps(id, state, stateErrors);
    this.policy = new NatsPolicyChecks({ acknowledge });
    Aspects.of(this).add(this.policy);
    new DigitaloceanProvider(this, "digitalocean", {});
    new NullProvider(this, "null", {});
    new RandomProvider(this, "random", {});
    new TlsProvider(this, "tls", {});
    let cluster: NatsCluster | undefined;
    try {
      cluster = new NatsCluster(this, "cluster", { ...stackNames(id), ...definedOnly(clusterProps) });
    } catch (error) {
      if (!(error instanceof ValidationError) || stateErrors.count === 0) throw error;
      // One report: the state settings' problems with the cluster's.
      error.problems.forEach((problem) => stateErrors.add(problem));
    }
    stateErrors.throwIfAny(this.node.path);
    this.cluster = cluster as NatsCluster;
    addStateBackend(this, state);
    if (stateBucket !== undefined && stateRegion !== undefined) this.stateBucket = { bucket: stateBucket, region: stateRegion, stateDirectory };
  }

  /**
   * Runs the policy rules now (synthesis does not run them again) and returns the messages
   * of the errors they found, so that an app can report them with every other problem.
   */
  public policyErrors(): string[] {
    this.policy.visit(this);
    return this.node
      .findAll()
      .flatMap((construct) => construct.node.metadata)
      .filter((entry) => entry.type === AnnotationMetadataEntryType.ERROR)
      .map((entry) => String(entry.data));
  }
}

/**
 * Default names of a stack's resources, from its id: droplets `<id>-1…n`, tag
 * `<id>-cluster`, so the load balancer is `<id>-cluster-lb` and the firewall
 * `<id>-cluster-fw`. The id is lowercased and every run of other characters becomes a dash.
 */
export function stackNames(id: string): Pick<NatsClusterProps, "namePrefix" | "tag"> {
  const slug = id.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40).replace(/-+$/, "");
  return { namePrefix: slug, tag: `${slug}-cluster` };
}

/** `props` without the keys whose value is undefined, so that spreading it keeps defaults. */
function definedOnly<T extends object>(props: T): Partial<T> {
  return Object.fromEntries(Object.entries(props).filter(([, value]) => value !== undefined)) as Partial<T>;
}
