import { NullProvider } from "@cdktf/provider-null/lib/provider";
import { Testing, TerraformStack } from "cdktf";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GATE_CREDENTIALS_FILE, GATE_FAILURE_HINT, ReadinessGate } from "../constructs/readiness-gate";
import { gateProps, stepsOf } from "./gate-support";
import { resourcesOf, synthJson, testStack } from "./helpers";

// What the gate synthesizes and refuses; readiness-gate-shell.test.ts runs its steps in a shell.
describe("ReadinessGate", () => {
  test("re-runs when any droplet or the load balancer is replaced", () => {
    const [gate] = resourcesOf(synthJson(testStack({ nodeCount: 3 })), "null_resource") as { triggers: Record<string, string> }[];
    expect(gate.triggers.load_balancer).toMatch(/^\$\{digitalocean_loadbalancer\.[\w-]+\.id\}$/);
    expect(gate.triggers.droplets.match(/digitalocean_droplet\.[\w-]+\.id/g)).toHaveLength(3);
  });

  test("command runs the verify bundled into the stack's directory and checks the expected node count", () => {
    const stack = new TerraformStack(Testing.app(), "s");
    const gate = new ReadinessGate(stack, "gate", gateProps);
    expect(gate.command).toMatch(/^node assets\/gate_verify-script_[0-9A-F]{8}\/bundle\/verify\.js --lb 203\.0\.113\.9 --expect-nodes 3 --client-port 4222 --timeout 120$/);
    expect(stepsOf(stack)).toEqual([{ "local-exec": { command: `${gate.command} || { status=$?; echo '${GATE_FAILURE_HINT}' >&2; (exit $status); }` } }]);
  });

  test("credentials reach verify through a 0600 file, so the step that runs verify holds no sensitive value", () => {
    const stack = new TerraformStack(Testing.app(), "s");
    const gate = new ReadinessGate(stack, "gate", { ...gateProps, credentials: { NATS_USER: "nats", NATS_PASSWORD: "${random_password.p.result}" } });
    expect(gate.command).toMatch(/ --credentials-file \/dev\/fd\/3$/);
    expect(stepsOf(stack)).toEqual([
      {
        "local-exec": {
          command: "umask 077 && printf '%s=%s\\n' NATS_USER \"$NATS_USER\" NATS_PASSWORD \"$NATS_PASSWORD\" > .readiness-gate-credentials",
          environment: { NATS_USER: "nats", NATS_PASSWORD: "${random_password.p.result}" },
        },
      },
      {
        "local-exec": {
          command:
            "trap 'rm -f .readiness-gate-credentials' EXIT; trap 'rm -f .readiness-gate-credentials; exit 129' HUP; " +
            "trap 'rm -f .readiness-gate-credentials; exit 130' INT; trap 'rm -f .readiness-gate-credentials; exit 143' TERM; " +
            `exec 3< .readiness-gate-credentials && rm -f .readiness-gate-credentials && { ${gate.command} || { status=$?; echo '${GATE_FAILURE_HINT}' >&2; (exit $status); }; }`,
        },
      },
    ]);
  });

  test("rejects a credential name that is not an environment variable name", () => {
    expect(() => new ReadinessGate(new TerraformStack(Testing.app(), "s"), "gate", { ...gateProps, credentials: { "X; rm -rf /": "v" } })).toThrow(
      /credentials name "X; rm -rf \/" is not an environment variable name: expected e\.g\. NATS_TOKEN/,
    );
    // Anchored at both ends: a valid name at the end does not carry what comes before it.
    for (const name of ["$(id)NATS_TOKEN", "1NATS_TOKEN", "nats_TOKEN"]) {
      expect(() => new ReadinessGate(new TerraformStack(Testing.app(), "s"), "gate", { ...gateProps, credentials: { [name]: "v" } })).toThrow(
        `credentials name ${JSON.stringify(name)} is not an environment variable name`,
      );
    }
  });

  test("verify's step gets the environment it is given; the monitor port and jetstream reach verify's arguments", () => {
    const stack = new TerraformStack(Testing.app(), "s");
    const gate = new ReadinessGate(stack, "gate", { ...gateProps, monitorPort: 8222, jetstream: true, environment: { NATS_CA: "-----BEGIN CERTIFICATE-----", NATS_TLS_SERVER_NAME: "nats" } });
    expect(gate.command).toMatch(/ --client-port 4222 --monitor-port 8222 --timeout 120 --jetstream$/);
    expect(stepsOf(stack)).toEqual([{ "local-exec": expect.objectContaining({ environment: { NATS_CA: "-----BEGIN CERTIFICATE-----", NATS_TLS_SERVER_NAME: "nats" } }) }]);
  });

  test.each(["credentials", "environment"] as const)("%s: names of capitals, digits and underscores starting with a capital are accepted, every other name refused with all of them listed", (prop) => {
    const gate = (names: string[]) => () => new ReadinessGate(new TerraformStack(Testing.app(), "s"), "gate", { ...gateProps, [prop]: Object.fromEntries(names.map((name) => [name, "v"])) });
    expect(gate(["N", "NATS_TOKEN", "NATS_2", "X_"])).not.toThrow();
    expect(gate(["NATS_TOKEN", "nats", "NATS-CA", "2NATS", ""])).toThrow(
      ["s/gate: 4 problems:", ...["nats", "NATS-CA", "2NATS", ""].map((name) => `- ${prop} name ${JSON.stringify(name)} is not an environment variable name: expected e.g. NATS_TOKEN`)].join("\n"),
    );
  });

  test("a synthesis removes a credentials file a gate killed between its steps left in the stack's directory", () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, "s");
    new NullProvider(stack, "null");
    new ReadinessGate(stack, "gate", gateProps);
    const left = join(app.outdir, "stacks", "s", GATE_CREDENTIALS_FILE);
    mkdirSync(join(app.outdir, "stacks", "s"), { recursive: true });
    writeFileSync(left, "NATS_TOKEN=t\n");
    app.synth();
    expect(existsSync(left)).toBe(false);
  });

  test("can be turned off", () => {
    expect(resourcesOf(synthJson(testStack({ readinessGate: false })), "null_resource")).toEqual([]);
  });

  test("rejects a timeout outside 10-3600 s", () => {
    expect(() => testStack({ readinessTimeoutSeconds: 5 })).toThrow(/readinessTimeoutSeconds must be an integer from 10 to 3600, got 5/);
  });
});
