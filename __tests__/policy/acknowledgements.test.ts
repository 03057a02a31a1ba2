import { Aspects, TerraformStack, Testing } from "cdktf";
import { Droplet } from "@cdktf/provider-digitalocean/lib/droplet";
import { NatsStack } from "../../constructs/nats-stack";
import { DEFAULT_STACK, TUTORIAL_STACK } from "../../constructs/stacks";
import { NATS_RULES, NatsPolicyChecks } from "../../policy";
import { ADDRESS, annotations, natsStack, ruleAnnotations } from "./annotations";

describe("policy checks and acknowledgements", () => {
  test("every rule has a unique id, a level and a description", () => {
    expect(NATS_RULES.map((r) => r.id)).toEqual(["NATS-001", "NATS-002", "NATS-003", "NATS-004", "NATS-005", "NATS-006", "NATS-007", "NATS-008"]);
    for (const rule of NATS_RULES) {
      expect(["error", "warning"]).toContain(rule.level);
      expect(rule.description).toMatch(/^[a-z].{20,}/);
    }
  });

  test("the default stack breaks no rule", () => {
    const policy = annotations(new NatsStack(Testing.app(), "nats", DEFAULT_STACK)).filter((a) => /^\[NATS-\d+\]/.test(a.message));
    expect(policy).toEqual([]);
  });

  test("the tutorial stack acknowledges its openness: only info annotations, each with its reason", () => {
    const policy = annotations(new NatsStack(Testing.app(), "nats-tutorial", TUTORIAL_STACK)).filter((a) => /^\[NATS-\d+\]/.test(a.message));
    expect(new Set(policy.map((a) => a.level))).toEqual(new Set(["info"]));
    expect(new Set(policy.map((a) => a.message.slice(0, 10)))).toEqual(new Set(["[NATS-002]", "[NATS-003]", "[NATS-004]", "[NATS-008]"]));
    for (const a of policy) expect(a.message).toMatch(/^\[NATS-00\d\] acknowledged: faithful to the tutorial: .+ \(.+\)$/);
  });

  test("an acknowledged error becomes info with the reason and the finding", () => {
    const stack = natsStack({ firewall: false, nodeCount: 1, readinessGate: false, acknowledge: { "NATS-002": "a throwaway test droplet" } });
    expect(ruleAnnotations(stack, "NATS-002")).toEqual([
      {
        level: "info",
        path: "cluster/nodes/node-1",
        message:
          `[NATS-002] acknowledged: a throwaway test droplet (${ADDRESS.node(1)} is not covered by any firewall, so every port it ` +
          "listens on (client, cluster, monitor, ssh) is open to the internet: add a firewall for its tag (firewall: true))",
      },
    ]);
    expect(ruleAnnotations(stack, "NATS-004").map((a) => a.level)).toEqual(["warning"]);
  });

  test("an acknowledged stack synthesizes; the same stack unacknowledged fails with the rule id", () => {
    expect(() => Testing.fullSynth(natsStack({ publishMonitor: true, acknowledge: { "NATS-003": "demo" } }))).not.toThrow();
    expect(() => Testing.fullSynth(natsStack({ publishMonitor: true }))).toThrow(
      /\[nats\/cluster\/load-balancer\/lb\] \[NATS-003\] .*; or acknowledge it: acknowledge: \{ "NATS-003": "<reason>" \}/,
    );
  });

  test("an acknowledgement must name a known rule and give a reason", () => {
    expect(() => natsStack({ acknowledge: { "NATS-999": "typo" } })).toThrow(
      /acknowledge: "NATS-999" is not a policy rule: expected one of NATS-001, NATS-002, NATS-003, NATS-004, NATS-005, NATS-006, NATS-007, NATS-008/,
    );
    expect(() => new NatsPolicyChecks({ acknowledge: { "NATS-001": " ", "nats-2": "x" } })).toThrow(
      /acknowledge: 2 problems:\n- NATS-001 has an empty reason: say why the stack breaks the rule\n- "nats-2" is not a policy rule/,
    );
  });

  test("synthesizing twice reports each finding once", () => {
    const stack = natsStack({ publishMonitor: true });
    Testing.synth(stack);
    expect(ruleAnnotations(stack, "NATS-003")).toHaveLength(1);
  });

  test("the aspect checks any stack it is applied to, not only a NatsStack", () => {
    const stack = new TerraformStack(Testing.app(), "plain");
    new Droplet(stack, "bare", { name: "bare", image: "ubuntu-24-04-x64", size: "s-1vcpu-1gb", region: "nyc3" });
    Aspects.of(stack).add(new NatsPolicyChecks());
    expect(ruleAnnotations(stack, "NATS-002").map((a) => [a.level, a.path])).toEqual([["error", "bare"]]);
  });

});
