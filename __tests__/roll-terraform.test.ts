import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROJECT_ROOT, cdktfEnv, freshStackFile, stackFile } from "../plan/synth";

// Integration test: runs the roll CLI with fake terraform and node executables.
jest.setTimeout(60_000);

// `npm run roll` without --twin shells out to terraform, and runs the readiness gate's steps, whose
// verify is `node <bundled verify.js>`: the DigitalOcean provider cannot be installed here, so
// terraform and node are fakes on PATH that record their arguments (node also the credentials file
// the gate's first step wrote). What the fake terraform models: `show -json` answers a state derived
// from the synthesized plan; `plan -out=F` writes a saved plan in which exactly the -target
// addresses are replaced (none without -target, or $FAKE_PENDING's changes), which `show -json F`
// prints; `apply F` succeeds unless $FAKE_APPLY_STATUS says otherwise. That targeting, replacement
// and ignore_changes behave so in real Terraform is proven in roll-terraform-real.test.ts; here the
// test is the CLI's order of commands, its state comparison and its refusals.
const work = mkdtempSync(join(tmpdir(), "roll-terraform-"));
const outdir = join(work, "cdktf.out");
const bin = join(work, "bin");
const calls = join(work, "calls.log");
const stateFile = join(work, "state.json");
const modes = join(work, "modes.log");
const LB_IP = "10.10.0.5";
const SECRET = "s3cret-token";

interface Droplet {
  name: string;
  user_data: string;
  image: string;
}

let plan: { resource: { digitalocean_droplet: Record<string, Droplet>; digitalocean_loadbalancer: Record<string, unknown>; random_password: Record<string, unknown>; tls_private_key: Record<string, unknown>; tls_self_signed_cert: Record<string, unknown>; tls_locally_signed_cert: Record<string, unknown> } };
let address: Record<string, string>;
let gate: string;

function script(name: string, body: string): void {
  writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
  chmodSync(join(bin, name), 0o755);
}

/** A stand-in for the PEM value of a tls resource in the state. */
function fakePem(type: string, name: string): string {
  return `-----BEGIN FAKE ${type}-----\n${name}\n-----END FAKE ${type}-----\n`;
}

/** What the DigitalOcean provider keeps of a user_data: the SHA-1 of the rendered text. */
function hashOf(userData: string): string {
  const rendered = userData
    .replace(/\$\{digitalocean_loadbalancer\.[\w-]+\.ip\}/g, LB_IP)
    .replace(/\$\{random_password\.[\w-]+\.result\}/g, SECRET)
    .replace(/\$\{base64encode\((tls_\w+)\.([\w-]+)\.\w+\)\}/g, (_match, type: string, name: string) => Buffer.from(fakePem(type, name)).toString("base64"));
  expect(rendered).not.toContain("${");
  return createHash("sha1").update(rendered).digest("hex");
}

/** A state in which only the nodes named in `current` run the plan's user_data; `drift` overrides values per node. */
function writeState(current: string[], drift: Record<string, Record<string, string>> = {}): void {
  const resources = [
    ...Object.entries(plan.resource.digitalocean_droplet).map(([name, d], i) => ({
      address: `digitalocean_droplet.${name}`,
      type: "digitalocean_droplet",
      name,
      values: {
        ...d,
        user_data: current.includes(d.name) ? hashOf(d.user_data) : hashOf(d.user_data.replace("2.15.0", "2.10.27")),
        ipv4_address_private: `10.10.0.${11 + i}`,
        vpc_uuid: "c1a5e5d0-1b2c-4d3e-8f90-123456789abc",
        ...drift[d.name],
      },
    })),
    ...Object.keys(plan.resource.digitalocean_loadbalancer).map((name) => ({ address: `digitalocean_loadbalancer.${name}`, type: "digitalocean_loadbalancer", name, values: { ip: LB_IP } })),
    ...Object.keys(plan.resource.random_password).map((name) => ({ address: `random_password.${name}`, type: "random_password", name, values: { result: SECRET } })),
    ...(["tls_private_key", "tls_self_signed_cert", "tls_locally_signed_cert"] as const).flatMap((type) =>
      Object.keys(plan.resource[type]).map((name) => ({ address: `${type}.${name}`, type, name, values: { private_key_pem: fakePem(type, name), cert_pem: fakePem(type, name) } })),
    ),
  ];
  writeFileSync(stateFile, JSON.stringify({ format_version: "1.0", values: { root_module: { resources } } }));
}

function roll(args: string[], env: Record<string, string> = {}, dir = outdir): { status: number | null; stdout: string; stderr: string; calls: string[] } {
  rmSync(calls, { force: true });
  const run = spawnSync(process.execPath, ["--import", "tsx", "scripts/roll.ts", ...args], {
    cwd: PROJECT_ROOT,
    env: cdktfEnv({ PATH: `${bin}:${process.env.PATH}`, CDKTF_OUTDIR: dir, FAKE_CALLS: calls, FAKE_STATE: stateFile, FAKE_MODES: modes, ...env }),
    encoding: "utf8",
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, calls: existsSync(calls) ? readFileSync(calls, "utf8").trim().split("\n") : [] };
}

beforeAll(() => {
  mkdirSync(bin);
  const file = freshStackFile("nats", outdir);
  plan = JSON.parse(readFileSync(file, "utf8"));
  address = Object.fromEntries(Object.entries(plan.resource.digitalocean_droplet).map(([name, d]) => [d.name, `digitalocean_droplet.${name}`]));
  gate = `null_resource.${Object.keys((plan.resource as unknown as { null_resource: Record<string, unknown> }).null_resource)[0]}`;
  script(
    "terraform",
    [
      'echo "terraform $* (in $(basename "$PWD"))" >> "$FAKE_CALLS"',
      'if [ "$1" = show ] && [ -n "$4" ]; then cat "$4"; exit 0; fi',
      'if [ "$1" = show ]; then cat "$FAKE_STATE"; exit 0; fi',
      'if [ "$1" = plan ]; then',
      '  changes=""; out=""',
      '  for arg in "$@"; do case "$arg" in',
      '    -target=*) changes="$changes${changes:+,}{\\"address\\":\\"${arg#-target=}\\",\\"change\\":{\\"actions\\":[\\"delete\\",\\"create\\"]}}";;',
      '    -out=*) out="${arg#-out=}";;',
      '  esac; done',
      '  echo "{\\"resource_changes\\":[${changes:-$FAKE_PENDING}]}" > "$out"; stat -c %a "$out" >> "$FAKE_MODES"; exit 0',
      "fi",
      'exit "${FAKE_APPLY_STATUS:-0}"',
    ].join("\n"),
  );
  // Reads the credentials where verify would: the file --credentials-file names (the gate's open descriptor).
  script("node", 'for arg; do [ "$previous" = --credentials-file ] && credentials=$(cat "$arg"); previous=$arg; done\necho "node $* $credentials" >> "$FAKE_CALLS"\nexit "${FAKE_VERIFY_STATUS:-0}"');
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("npm run roll against the deployed stack (fake terraform)", () => {
  /** The roll's three commands for one node, as the fake records them. */
  const step = (node: string): string[] => [
    `terraform plan -input=false -no-color -target=${address[node]} -target=${gate} -replace=${address[node]} -out=roll-step.tfplan (in nats)`,
    "terraform show -json -no-color roll-step.tfplan (in nats)",
    "terraform apply -input=false -no-color roll-step.tfplan (in nats)",
  ];

  test("replaces only the droplets whose state differs from the plan, the seed last: a plan limited to the droplet and the readiness gate, checked, then applied", () => {
    writeState(["nats-2"]);
    const run = roll(["--stack", "nats", "--settle", "0"]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const bundle = /node (assets\/\S+\/verify\.js)/.exec(JSON.stringify(plan))?.[1];
    expect(bundle).toBeDefined();
    const verify = `node ${bundle} --lb ${LB_IP} --expect-nodes 3 --client-port 4222`;
    // The readiness gate's own command (--jetstream in the default stack), credentials from the file its first step wrote.
    expect(run.calls).toEqual([
      "terraform show -json -no-color (in nats)",
      "terraform plan -input=false -no-color -out=roll-check.tfplan (in nats)",
      "terraform show -json -no-color roll-check.tfplan (in nats)",
      "terraform show -json -no-color (in nats)",
      `${verify} --timeout 60 --credentials-file /dev/fd/3 --jetstream NATS_TOKEN=${SECRET}`,
      ...step("nats-3"),
      "terraform show -json -no-color (in nats)",
      `${verify} --timeout 900 --credentials-file /dev/fd/3 --jetstream NATS_TOKEN=${SECRET}`,
      "terraform show -json -no-color (in nats)",
      `${verify} --timeout 60 --credentials-file /dev/fd/3 --jetstream NATS_TOKEN=${SECRET}`,
      ...step("nats-1"),
      "terraform show -json -no-color (in nats)",
      `${verify} --timeout 900 --credentials-file /dev/fd/3 --jetstream NATS_TOKEN=${SECRET}`,
    ]);
    expect(existsSync(join(outdir, "stacks", "nats", "roll-step.tfplan"))).toBe(false);
    expect(existsSync(join(outdir, "stacks", "nats", "roll-check.tfplan"))).toBe(false);
    // Saved plans hold the state's secrets: written for the owner only.
    expect(readFileSync(modes, "utf8").trim().split("\n")).toEqual(["600", "600", "600"]);
    expect(run.stdout.trim().split("\n").pop()).toBe("roll: 2 nodes replaced");
  });

  test("--dry-run prints every terraform command the roll runs, and runs none but reading the state", () => {
    writeState([]);
    const run = roll(["--stack", "nats", "--dry-run"]);
    expect(run.status).toBe(0);
    const lines = run.stdout.trim().split("\n");
    expect(lines[0]).toBe("3 of 3 nodes differ from the plan: nats-2 (user_data), nats-3 (user_data), nats-1 (user_data)");
    expect(lines[1]).toBe(`before the first step: in ${join(outdir, "stacks", "nats")}: terraform plan -input=false -no-color -out=roll-check.tfplan && terraform show -json -no-color roll-check.tfplan: stop unless nothing is pending; before and after each step: terraform show -json -no-color (the state, for the readiness gate's references) and the gate's verify`);
    expect(lines[4]).toBe(
      `step 3: nats-1 (seed): terraform plan -input=false -no-color -target=${address["nats-1"]} -target=${gate} -replace=${address["nats-1"]} -out=roll-step.tfplan && terraform show -json -no-color roll-step.tfplan: ` +
        `stop unless only nats-1 is replaced and ${gate} changes && terraform apply -input=false -no-color roll-step.tfplan; wait until healthy, the mesh is whole and the load balancer has it UP; settle 5 s`,
    );
    expect(run.calls).toEqual(["terraform show -json -no-color (in nats)"]);
  });

  test("refuses to start while a change outside the droplets is pending: apply it with cdktf deploy first", () => {
    writeState(["nats-2"]);
    const firewall = '{"address":"digitalocean_firewall.fw","change":{"actions":["update"]}}';
    const run = roll(["--stack", "nats"], { FAKE_PENDING: firewall });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe("roll: not starting: 1 change(s) pending besides the roll: digitalocean_firewall.fw (update); apply those first with `cdktf deploy` (it changes no droplet), then roll\n");
    expect(run.calls.filter((call) => call.includes("apply") || call.startsWith("node"))).toEqual([]);
  });

  test("a new size differs from the state: rolled like a new version", () => {
    writeState(["nats-1", "nats-2", "nats-3"], { "nats-2": { size: "s-2vcpu-4gb" } });
    const run = roll(["--stack", "nats", "--dry-run"]);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("1 of 3 nodes differ from the plan: nats-2 (size)");
  });

  test("refuses a region move before running anything but reading the state", () => {
    writeState(["nats-1", "nats-2", "nats-3"], { "nats-3": { region: "sfo3" } });
    const run = roll(["--stack", "nats"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^roll: nats-3 has region "sfo3", the plan says "nyc3": a region move needs a second cluster, not a roll: .*; nothing was changed\n$/);
    expect(run.calls).toEqual(["terraform show -json -no-color (in nats)"]);
  });

  test("a state that matches the plan needs no roll", () => {
    writeState(["nats-1", "nats-2", "nats-3"]);
    const run = roll(["--stack", "nats"]);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("every node already matches the plan: nothing to roll");
  });

  test("refuses while the cluster is unhealthy, unless --force", () => {
    writeState(["nats-2"]);
    const run = roll(["--stack", "nats"], { FAKE_VERIFY_STATUS: "1" });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^roll: not replacing nats-3: verify through the load balancer fails: .* or run npm run roll -- --stack nats --force\n$/);
    expect(run.calls.filter((call) => call.includes("apply"))).toEqual([]);
  });

  test("stops at a failed terraform apply and says how to resume", () => {
    writeState(["nats-2"]);
    const run = roll(["--stack", "nats"], { FAKE_APPLY_STATUS: "1" });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("roll: roll stopped at nats-3: terraform apply -input=false -no-color roll-step.tfplan exited 1; 0 nodes replaced before it. Fix the cause and run npm run roll -- --stack nats to resume");
    expect(run.calls.filter((call) => call.includes("apply"))).toHaveLength(1);
    expect(existsSync(join(outdir, "stacks", "nats", "roll-step.tfplan"))).toBe(false);
  });

  test("refuses a stale plan: synthesized with other settings or before the sources changed", () => {
    const stale = join(work, "stale");
    mkdirSync(join(stale, "stacks", "nats"), { recursive: true });
    copyFileSync(stackFile(outdir, "nats"), stackFile(stale, "nats"));
    const run = roll(["--stack", "nats"], {}, stale);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^roll: the synthesized plan of nats is missing or stale .*: run npx cdktf synth nats, review it \(npm run plan:summary -- --diff\), and roll again\n$/);
    expect(run.calls).toEqual([]);
  });

  test("refuses a plan whose nodes route to node 1's own address", () => {
    const run = roll(["--stack", "nats-tutorial"], {});
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^roll: nats-droplet-2 refers to nats-droplet-1 in its settings/);
    expect(run.calls).toEqual([]);
  });
});
