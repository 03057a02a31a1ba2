import { Annotations, IAspect, TerraformStack } from "cdktf";
import { IConstruct } from "constructs";
import { ValidationErrors } from "../facts/validation";
import { stackResources } from "./resources";
import { Finding, PolicyRule } from "./rule";
import { NATS_RULES } from "./rules";

/** Rule ids deliberately not met, each with the reason, e.g. `{ "NATS-004": "a demo needs 2 nodes" }`. */
export type Acknowledgements = Readonly<Record<string, string>>;

export interface NatsPolicyChecksProps {
  /**
   * Rules this stack breaks on purpose, by id, with the reason. Their findings become info
   * annotations carrying the reason instead of errors or warnings.
   * @default - none: every finding is reported at its rule's level
   */
  readonly acknowledge?: Acknowledgements;
}

/**
 * Runs the NATS policy rules (NATS_RULES) over a stack when it is synthesized:
 * `Aspects.of(stack).add(new NatsPolicyChecks())`. Add it to the stack itself: cdktf 0.21
 * invokes aspects per stack, so one added to the App is never run. A finding of an error
 * rule is an error annotation, which makes `app.synth()` (and `cdktf synth`) fail; a warning
 * rule's finding is a warning.
 */
export class NatsPolicyChecks implements IAspect {
  private readonly acknowledge: Acknowledgements;
  /** Stacks already checked: synthesizing twice must not report twice. */
  private readonly checked = new WeakSet<TerraformStack>();

  constructor(props: NatsPolicyChecksProps = {}) {
    this.acknowledge = props.acknowledge ?? {};
    validateAcknowledgements(this.acknowledge).throwIfAny("acknowledge");
  }

  public visit(node: IConstruct): void {
    if (!TerraformStack.isStack(node) || this.checked.has(node)) return;
    this.checked.add(node);
    const resources = stackResources(node);
    for (const rule of NATS_RULES) {
      for (const finding of rule.check(resources)) this.report(rule, finding);
    }
  }

  private report(rule: PolicyRule, finding: Finding): void {
    const annotations = Annotations.of(finding.construct);
    const reason = this.acknowledge[rule.id];
    if (reason !== undefined) {
      annotations.addInfo(`[${rule.id}] acknowledged: ${reason} (${finding.message})`);
      return;
    }
    const message = `[${rule.id}] ${finding.message}; or acknowledge it: acknowledge: { "${rule.id}": "<reason>" }`;
    if (rule.level === "error") annotations.addError(message);
    else annotations.addWarning(message);
  }
}

/** A problem for every acknowledgement of an unknown rule or without a reason. */
function validateAcknowledgements(acknowledge: Acknowledgements): ValidationErrors {
  const errors = new ValidationErrors();
  const ids = NATS_RULES.map((rule) => rule.id);
  for (const [id, reason] of Object.entries(acknowledge)) {
    errors.check(!ids.includes(id), `${JSON.stringify(id)} is not a policy rule: expected one of ${ids.join(", ")}`);
    errors.check(reason.trim() === "", `${id} has an empty reason: say why the stack breaks the rule`);
  }
  return errors;
}
