import { Testing, TerraformStack } from "cdktf";
import { type ReadinessGateProps } from "../constructs/readiness-gate";
import { TerraformJson, onlyResource } from "./helpers";

/** A gate's props as a stack passes them, with literal values. */
export const gateProps: ReadinessGateProps = { loadBalancerIp: "203.0.113.9", loadBalancerId: "lb-1", dropletIds: ["1", "2", "3"], expectNodes: 3, clientPort: 4222, timeoutSeconds: 120 };

/** One local-exec provisioner of the gate's null_resource. */
export type Step = { "local-exec": { command: string; environment?: Record<string, string>; working_dir?: string } };

/** The gate's steps in `stack`, synthesized. */
export const stepsOf = (stack: TerraformStack): Step[] => onlyResource(JSON.parse(Testing.synth(stack)) as TerraformJson, "null_resource").provisioner as Step[];
