import { IConstruct } from "constructs";
import { StackResources } from "./resources";

/** An error fails the synth; a warning is printed. */
export type PolicyLevel = "error" | "warning";

/** One problem a rule found, on the resource it is about. */
export interface Finding {
  /** The construct the annotation is attached to. */
  readonly construct: IConstruct;
  /** What is wrong and what to do, naming the resource; lowercase. */
  readonly message: string;
}

/** A policy rule: a pure function from a stack's resources to its findings. */
export interface PolicyRule {
  /** Stable identifier used in messages and acknowledgements, e.g. "NATS-001". */
  readonly id: string;
  readonly level: PolicyLevel;
  /** What a compliant stack looks like, in one line. */
  readonly description: string;
  readonly check: (resources: StackResources) => Finding[];
}
