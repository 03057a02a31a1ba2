import { Testing, TerraformStack } from "cdktf";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GATE_CREDENTIALS_FILE, GATE_FAILURE_HINT, ReadinessGate } from "../constructs/readiness-gate";
import { parseVerifyArgs } from "../verify/cli";
import { TerraformJson, onlyResource, resourcesOf, synthJson, testStack } from "./helpers";

// Integration test: runs the gate's first step in /bin/sh.
jest.setTimeout(30_000);

describe("ReadinessGate", () => {
  test("re-runs when any droplet or the load balancer is replaced", () => {
    const [gate] = resourcesOf(synthJson(testStack({ nodeCount: 3 })), "null_resource") as { triggers: Record<string, string> }[];
    expect(gate.triggers.load_balancer).toMatch(/^\$\{digitalocean_loadbalancer\.[\w-]+\.id\}$/);
    expect(gate.triggers.droplets.match(/digitalocean_droplet\.[\w-]+\.id/g)).toHaveLength(3);
  });

  const gateProps = { loadBalancerIp: "203.0.113.9", loadBalancerId: "lb-1", dropletIds: ["1", "2", "3"], expectNodes: 3, clientPort: 4222, timeoutSeconds: 120 };
  type Step = { "local-exec": { command: string; environment?: Record<string, string>; working_dir?: string } };
  const stepsOf = (stack: TerraformStack): Step[] => (onlyResource(JSON.parse(Testing.synth(stack)) as TerraformJson, "null_resource").provisioner as Step[]);

  test("command runs the verify bundled into the stack's directory and checks the expected node count", () => {
    const stack = new TerraformStack(Testing.app(), "s");
    const gate = new ReadinessGate(stack, "gate", gateProps);
    expect(gate.command).toMatch(/^node assets\/gate_verify-script_[0-9A-F]{8}\/bundle\/verify\.js --lb 203\.0\.113\.9 --expect-nodes 3 --client-port 4222 --timeout 120$/);
    expect(stepsOf(stack)).toEqual([{ "local-exec": { command: `${gate.command} || { status=$?; echo '${GATE_FAILURE_HINT}' >&2; (exit $status); }` } }]);
  });

  test("credentials reach verify through a 0600 file, so the step that runs verify holds no sensitive value", () => {
    const stack = new TerraformStack(Testing.app(), "s");
    const gate = new ReadinessGate(stack, "gate", { ...gateProps, credentials: { NATS_USER: "nats", NATS_PASSWORD: "${random_password.p.result}" } });
    expect(gate.command).toMatch(/ --credentials-file \.readiness-gate-credentials$/);
    expect(stepsOf(stack)).toEqual([
      {
        "local-exec": {
          command: "umask 077 && printf '%s=%s\\n' NATS_USER \"$NATS_USER\" NATS_PASSWORD \"$NATS_PASSWORD\" > .readiness-gate-credentials",
          environment: { NATS_USER: "nats", NATS_PASSWORD: "${random_password.p.result}" },
        },
      },
      { "local-exec": { command: `${gate.command} || { status=$?; echo '${GATE_FAILURE_HINT}' >&2; (exit $status); }; status=$?; rm -f .readiness-gate-credentials; exit $status` } },
    ]);
  });

  test.each([
    ["without credentials", {}],
    ["with credentials", { credentials: { NATS_TOKEN: "${random_password.t.result}" } }],
  ])("%s, a failed verify prints where to look on the droplets and keeps verify's exit status", (_name, extra) => {
    const stack = new TerraformStack(Testing.app(), "s");
    const gate = new ReadinessGate(stack, "gate", { ...gateProps, ...extra });
    const step = stepsOf(stack).at(-1)!["local-exec"].command;
    const dir = mkdtempSync(join(tmpdir(), "gate-failure-"));
    try {
      const run = (verify: string) => spawnSync("/bin/sh", ["-c", step.replace(gate.command, verify)], { cwd: dir, env: { PATH: process.env.PATH }, encoding: "utf8" });
      const failed = run("(exit 3)");
      expect([failed.status, failed.stderr]).toEqual([3, `${GATE_FAILURE_HINT}\n`]);
      expect(failed.stderr).toMatch(/systemctl status nats-server .*journalctl -u nats-server/);
      const passed = run("true");
      expect([passed.status, passed.stderr]).toEqual([0, ""]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the credentials step writes a 0600 file that verify reads, and prints nothing", () => {
    const stack = new TerraformStack(Testing.app(), "s");
    new ReadinessGate(stack, "gate", { ...gateProps, credentials: { NATS_TOKEN: "${random_password.t.result}" } });
    const [write] = stepsOf(stack);
    const dir = mkdtempSync(join(tmpdir(), "gate-credentials-"));
    try {
      const run = spawnSync("/bin/sh", ["-c", write["local-exec"].command], { cwd: dir, env: { PATH: process.env.PATH, NATS_TOKEN: "Zq9x8Wv7" }, encoding: "utf8" });
      expect([run.status, run.stdout, run.stderr]).toEqual([0, "", ""]);
      const file = join(dir, GATE_CREDENTIALS_FILE);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(parseVerifyArgs(["--lb", "x", "--credentials-file", file], {})).toMatchObject({ options: { credentials: { token: "Zq9x8Wv7" } } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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

  test("can be turned off", () => {
    expect(resourcesOf(synthJson(testStack({ readinessGate: false })), "null_resource")).toEqual([]);
  });

  test("rejects a timeout outside 10-3600 s", () => {
    expect(() => testStack({ readinessTimeoutSeconds: 5 })).toThrow(/readinessTimeoutSeconds must be an integer from 10 to 3600, got 5/);
  });
});
