import { AnnotationMetadataEntryType, Aspects, TerraformStack, Testing } from "cdktf";
import { NatsStack, NatsStackProps } from "../../constructs/nats-stack";

export type Level = "error" | "warning" | "info";

/** One annotation of a synthesized stack. */
export interface Annotation {
  readonly level: Level;
  /** Construct path relative to the stack, e.g. "cluster/firewall/firewall". */
  readonly path: string;
  readonly message: string;
}

const LEVELS: Record<string, Level> = {
  [AnnotationMetadataEntryType.ERROR]: "error",
  [AnnotationMetadataEntryType.WARN]: "warning",
  [AnnotationMetadataEntryType.INFO]: "info",
};

/** A NatsStack in a fresh test app. */
export function natsStack(props: NatsStackProps = {}): NatsStack {
  return new NatsStack(Testing.app(), "nats", props);
}

/**
 * Runs the stack's aspects (the policy is one), the first step of a synthesis, and returns every
 * annotation in it. The rest of a synthesis (the Terraform JSON) adds no annotation, so the rule
 * tests skip it; acknowledgements.test.ts synthesizes for real (Testing.synth, Testing.fullSynth).
 */
export function annotations(stack: TerraformStack): Annotation[] {
  for (const aspect of Aspects.of(stack).all) aspect.visit(stack);
  return stack.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type in LEVELS)
      .map((entry) => ({
        level: LEVELS[entry.type],
        path: construct.node.path.split("/").slice(1).join("/"),
        message: String(entry.data),
      })),
  );
}

/** The annotations a policy rule produced in `stack`. */
export function ruleAnnotations(stack: TerraformStack, ruleId: string): Annotation[] {
  return annotations(stack).filter((a) => a.message.startsWith(`[${ruleId}]`));
}

/** The logical addresses of the default stack's resources, as rule messages name them. */
export const ADDRESS = {
  lb: "digitalocean_loadbalancer.cluster_load-balancer_lb_8428A676",
  firewall: "digitalocean_firewall.cluster_firewall_AD562BF1",
  node: (n: 1 | 2 | 3 | 4) =>
    `digitalocean_droplet.cluster_nodes_node-${n}_${({ 1: "9627E290", 2: "FC5329C6", 3: "58FAF003", 4: "432C5105" } as const)[n]}`,
} as const;

/** The sentence every finding ends with. */
export function acknowledgeHint(ruleId: string): string {
  return `; or acknowledge it: acknowledge: { "${ruleId}": "<reason>" }`;
}
