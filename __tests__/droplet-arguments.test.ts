import { DROPLET_ARGUMENTS, DROPLET_ARGUMENTS_SOURCE, IGNORED_DROPLET_ARGUMENTS, REFUSED_DROPLET_ARGUMENTS } from "../facts/droplet-arguments";
import { DEFAULT_STACK, TUTORIAL_STACK } from "../constructs/stacks";
import { resourcesOf, synthJson, testStack } from "./helpers";

// Unit test: the droplets of both stacks, synthesized in-process, against the table of droplet
// arguments (provider behaviour from terraform-provider-digitalocean v2.71.0, and the decision).

/** Both stacks, and the default stack with the optional arguments (ssh keys, a VPC) set too. */
const STACKS = {
  nats: () => synthJson(testStack(DEFAULT_STACK, "nats")),
  "nats-tutorial": () => synthJson(testStack(TUTORIAL_STACK, "nats-tutorial")),
  "nats with ssh keys and a vpc": () => synthJson(testStack({ ...DEFAULT_STACK, sshKeys: ["12345"], vpcUuid: "c1a5e5d0-1b2c-4d3e-8f90-123456789abc" }, "nats")),
};

/** Keys of a droplet body that are not provider arguments: cdktf's metadata and Terraform's lifecycle. */
const NOT_ARGUMENTS = new Set(["//", "lifecycle"]);

describe.each(Object.entries(STACKS))("the droplets of %s", (_name, synth) => {
  const droplets = resourcesOf(synth(), "digitalocean_droplet");

  test("every argument the construct sets has a decision in the table", () => {
    const set = [...new Set(droplets.flatMap((droplet) => Object.keys(droplet)))].filter((key) => !NOT_ARGUMENTS.has(key));
    expect(set.filter((argument) => DROPLET_ARGUMENTS[argument] === undefined)).toEqual([]);
    expect(set.length).toBeGreaterThan(8);
  });

  test("cdktf deploy ignores every argument that powers off or replaces a droplet; what cannot roll fails every plan", () => {
    for (const droplet of droplets) {
      const lifecycle = droplet.lifecycle as { ignore_changes: string[]; postcondition: { condition: string; error_message: string }[] };
      expect(lifecycle.ignore_changes).toEqual(IGNORED_DROPLET_ARGUMENTS);
      const refused = REFUSED_DROPLET_ARGUMENTS.filter((argument) => droplet[argument] !== undefined);
      expect(refused).toContain("region");
      expect(lifecycle.postcondition.map((condition) => condition.condition)).toEqual(refused.map((argument) => `\${self.${argument} == ${JSON.stringify(droplet[argument])}}`));
      for (const [i, argument] of refused.entries()) {
        expect(lifecycle.postcondition[i].error_message).toContain(`has ${argument} \${self.${argument}}, the configuration says ${String(droplet[argument])}: ${DROPLET_ARGUMENTS[argument].why}`);
      }
    }
  });
});

describe("the table of droplet arguments", () => {
  test("no argument that powers off or replaces a droplet is left to deploy", () => {
    const deployed = Object.entries(DROPLET_ARGUMENTS).filter(([, argument]) => argument.decision === "deploy");
    expect(deployed.filter(([, argument]) => argument.provider !== "in place").map(([name]) => name)).toEqual([]);
  });

  test("records the provider's rules as read in v2.71.0: ForceNew, the ipv6 CustomizeDiff, the size update that powers off", () => {
    const by = (provider: string): string[] => Object.keys(DROPLET_ARGUMENTS).filter((name) => DROPLET_ARGUMENTS[name].provider === provider).sort();
    expect(by("replaces")).toEqual(["droplet_agent", "image", "monitoring", "region", "ssh_keys", "user_data", "vpc_uuid"]);
    expect(by("replaces when turned off")).toEqual(["ipv6"]);
    expect(by("powers off")).toEqual(["size"]);
    expect(REFUSED_DROPLET_ARGUMENTS).toEqual(["region", "vpc_uuid"]);
    expect(DROPLET_ARGUMENTS_SOURCE).toMatch(/v2\.71\.0 .*resource_droplet\.go.*read on \d{4}-\d{2}-\d{2}$/);
  });
});

describe("each row of the table says where in the provider its behaviour comes from, and why the stack decides as it does", () => {
  /** What the provider's code path must name for each behaviour. */
  const DETAIL: Record<string, RegExp> = {
    replaces: /^ForceNew\b/,
    "replaces when turned off": /^CustomizeDiff ForceNewIfChange \(true → false\); false → true: Update /,
    "powers off": /^Update: PowerOff, /,
    "in place": /^(?:Update: |state only\b)/,
  };

  test.each(Object.entries(DROPLET_ARGUMENTS))("%s", (_name, argument) => {
    expect(argument.providerDetail).toMatch(DETAIL[argument.provider]);
    // Optional and computed in the provider's schema exactly when the table says computed.
    expect(argument.providerDetail.includes("Computed")).toBe(argument.computed === true);
    expect(argument.why).toMatch(/^[a-z(].{10,}[^.]$/);
  });

  test("the table names its source, a provider version and the file read", () => {
    expect(DROPLET_ARGUMENTS_SOURCE).toMatch(/^terraform-provider-digitalocean v2\.71\.0 \(tag commit [0-9a-f]{7}\), digitalocean\/droplet\/resource_droplet\.go: /);
  });
});
