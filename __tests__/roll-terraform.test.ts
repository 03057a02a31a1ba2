import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROJECT_ROOT, cdktfEnv, freshStackFile, stackFile } from "../plan/synth";

// Integration test: runs the roll CLI with fake terraform and node executables.
jest.setTimeout(60_000);

// `npm run roll` without --twin shells out to terraform, and runs the readiness gate's steps, whose
// verify is `node <bundled verify.js>`: here terraform and node are fakes on PATH that record their
// arguments (node also the credentials file the gate's first step wrote), and terraform answers
// `show -json` with a state.
const work = mkdtempSync(join(tmpdir(), "roll-terraform-"));
const outdir = join(work, "cdktf.out");
const bin = join(work, "bin");
const calls = join(work, "calls.log");
const stateFile = join(work, "state.json");
const LB_IP = "10.10.0.5";
const SECRET = "s3cret-token";

interface Droplet {
  name: string;
  user_data: string;
  image: string;
}

let plan: { resource: { digitalocean_droplet: Record<string, Droplet>; digitalocean_loadbalancer: Record<string, unknown>; random_password: Record<string, unknown>; tls_private_key: Record<string, unknown>; tls_self_signed_cert: Record<string, unknown>; tls_locally_signed_cert: Record<string, unknown> } };
let address: Record<string, string>;

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

/** A state in which only the nodes named in `current` run the plan's user_data. */
function writeState(current: string[]): void {
  const resources = [
    ...Object.entries(plan.resource.digitalocean_droplet).map(([name, d], i) => ({
      address: `digitalocean_droplet.${name}`,
      type: "digitalocean_droplet",
      name,
      values: { name: d.name, image: d.image, user_data: current.includes(d.name) ? hashOf(d.user_data) : hashOf(d.user_data.replace("2.15.0", "2.10.27")), ipv4_address_private: `10.10.0.${11 + i}` },
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
    env: cdktfEnv({ PATH: `${bin}:${process.env.PATH}`, CDKTF_OUTDIR: dir, FAKE_CALLS: calls, FAKE_STATE: stateFile, ...env }),
    encoding: "utf8",
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, calls: existsSync(calls) ? readFileSync(calls, "utf8").trim().split("\n") : [] };
}

beforeAll(() => {
  mkdirSync(bin);
  const file = freshStackFile("nats", outdir);
  plan = JSON.parse(readFileSync(file, "utf8"));
  address = Object.fromEntries(Object.entries(plan.resource.digitalocean_droplet).map(([name, d]) => [d.name, `digitalocean_droplet.${name}`]));
  script("terraform", 'echo "terraform $* (in $(basename "$PWD"))" >> "$FAKE_CALLS"\nif [ "$1" = show ]; then cat "$FAKE_STATE"; exit 0; fi\nexit "${FAKE_APPLY_STATUS:-0}"');
  script("node", 'echo "node $* $(cat .readiness-gate-credentials)" >> "$FAKE_CALLS"\nexit "${FAKE_VERIFY_STATUS:-0}"');
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("npm run roll against the deployed stack (fake terraform)", () => {
  test("replaces only the droplets whose state differs from the plan, the seed last, each with terraform apply -replace", () => {
    writeState(["nats-2"]);
    const run = roll(["--stack", "nats", "--settle", "0"]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const bundle = /node (assets\/\S+\/verify\.js)/.exec(JSON.stringify(plan))?.[1];
    expect(bundle).toBeDefined();
    const verify = `node ${bundle} --lb ${LB_IP} --expect-nodes 3 --client-port 4222`;
    // The readiness gate's own command (--jetstream in the default stack), credentials from the file its first step wrote.
    expect(run.calls).toEqual([
      "terraform show -json (in nats)",
      "terraform show -json (in nats)",
      `${verify} --timeout 60 --credentials-file .readiness-gate-credentials --jetstream NATS_TOKEN=${SECRET}`,
      `terraform apply -auto-approve -input=false -replace=${address["nats-3"]} (in nats)`,
      "terraform show -json (in nats)",
      `${verify} --timeout 900 --credentials-file .readiness-gate-credentials --jetstream NATS_TOKEN=${SECRET}`,
      "terraform show -json (in nats)",
      `${verify} --timeout 60 --credentials-file .readiness-gate-credentials --jetstream NATS_TOKEN=${SECRET}`,
      `terraform apply -auto-approve -input=false -replace=${address["nats-1"]} (in nats)`,
      "terraform show -json (in nats)",
      `${verify} --timeout 900 --credentials-file .readiness-gate-credentials --jetstream NATS_TOKEN=${SECRET}`,
    ]);
    expect(run.stdout.trim().split("\n").pop()).toBe("roll: 2 nodes replaced");
  });

  test("--dry-run prints the terraform commands and runs none", () => {
    writeState([]);
    const run = roll(["--stack", "nats", "--dry-run"]);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`step 3: nats-1 (seed): terraform apply -auto-approve -replace=${address["nats-1"]} in ${join(outdir, "stacks", "nats")}; wait until healthy, the mesh is whole and the load balancer has it UP; settle 5 s`);
    expect(run.calls).toEqual(["terraform show -json (in nats)"]);
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
    expect(run.stderr).toContain(`roll: roll stopped at nats-3: terraform apply -replace=${address["nats-3"]} exited 1; 0 nodes replaced before it. Fix the cause and run npm run roll -- --stack nats to resume`);
    expect(run.calls.filter((call) => call.includes("apply"))).toHaveLength(1);
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
