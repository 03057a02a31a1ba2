import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { synthesize } from "../plan/synth";

// Integration test: synthesizes the app in a child process.
jest.setTimeout(60_000);

const SNAPSHOTS = join(__dirname, "__snapshots__");

/** Fake secrets, fresh per run so that no file can contain them by accident. */
const FAKE_SECRETS: Record<string, string> = {
  DIGITALOCEAN_TOKEN: `dop_v1_${randomBytes(32).toString("hex")}`,
  DIGITALOCEAN_ACCESS_TOKEN: `dop_v1_${randomBytes(32).toString("hex")}`,
  NATS_TOKEN: randomBytes(16).toString("hex"),
  NATS_PASSWORD: randomBytes(16).toString("hex"),
  NATS_TWIN_SECRET_CLIENT: randomBytes(16).toString("hex"),
  NATS_TWIN_SECRET_ROUTE: randomBytes(16).toString("hex"),
};

const DO_TOKEN = /dop_v1_[a-f0-9]{64}/;
/**
 * `password: x`, `token = x`, `"NATS_PASSWORD": "x"`, escaped or not, where x is a literal:
 * not a `${...}` reference and not a JSON object or list.
 */
const LITERAL_CREDENTIAL = /(password|token)\\?"?\s*[:=]\s*\\?"?(?!\$\{|[{[])([^\s"\\,}]+)/gi;
/** JSON `description` fields: prose for people ("token or password: terraform output …"), not configuration. */
const DESCRIPTION = /"description":\s*"(?:[^"\\]|\\.)*"/g;
/** A PEM private key of any kind (PKCS#8, SEC1 "EC", PKCS#1 "RSA", encrypted). */
const PEM_PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
/** Any mention of a random_password attribute. */
const RANDOM_PASSWORD_USE = /(\$\{)?random_password\.[\w-]+\.(\w+)/g;

/** Runs main.ts into a fresh outdir with `env` added; returns the outdir. */
function synthesizeWith(env: Record<string, string>): string {
  return synthesize({ outdir: mkdtempSync(join(tmpdir(), "secret-scan-")), env }).outdir;
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** A file's text with jest's snapshot escaping of `${` undone. */
function readText(path: string): string {
  return readFileSync(path, "utf8").replace(/\\\$\{/g, "${");
}

/**
 * Every secret-looking problem in `text`, as readable strings. In `code` (the verify bundle
 * shipped as an asset) only secret values and token patterns count: its `token: credentials.token`
 * is a program, not configuration.
 */
function scan(text: string, code = false): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(FAKE_SECRETS)) {
    if (text.includes(value)) problems.push(`the value of ${name}`);
  }
  if (PEM_PRIVATE_KEY.test(text)) problems.push("a PEM private key");
  const doToken = DO_TOKEN.exec(text);
  if (doToken) problems.push(`a digitalocean token ${doToken[0].slice(0, 12)}…`);
  if (code) return problems;
  for (const match of text.replace(DESCRIPTION, "").matchAll(LITERAL_CREDENTIAL)) problems.push(`a literal credential: ${match[0]}`);
  for (const match of text.matchAll(RANDOM_PASSWORD_USE)) {
    if (match[1] === undefined || match[2] !== "result") problems.push(`a random_password used other than as \${...result}: ${match[0]}`);
  }
  return problems;
}

function scanFiles(paths: string[], base: string): string[] {
  return paths.flatMap((path) => scan(readText(path), /\/assets\/.*\.js$/.test(path)).map((problem) => `${relative(base, path)}: ${problem}`));
}

describe("secret scan", () => {
  let withSecrets: string;
  let withoutSecrets: string;

  beforeAll(() => {
    withSecrets = synthesizeWith(FAKE_SECRETS);
    withoutSecrets = synthesizeWith({});
  });

  afterAll(() => {
    for (const dir of [withSecrets, withoutSecrets]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("the scanner finds what it looks for", () => {
    expect(scan(`token: "abc123"`)).toEqual([`a literal credential: token: "abc123`]);
    expect(scan(`{"NATS_PASSWORD": "hunter2"}`)).toEqual([`a literal credential: PASSWORD": "hunter2`]);
    expect(scan(`password = s3cret`)).toHaveLength(1);
    expect(scan(`x ${FAKE_SECRETS.NATS_TWIN_SECRET_ROUTE}`)).toEqual(["the value of NATS_TWIN_SECRET_ROUTE"]);
    expect(scan(`dop_v1_${"ab".repeat(32)}`)).toEqual(["a digitalocean token dop_v1_ababa…"]);
    expect(scan(`"\${random_password.a_b.bcrypt_hash}"`)).toHaveLength(1);
    expect(scan(`token: "\${random_password.a-1.result}" "NATS_TOKEN": "\${random_password.a-1.result}"`)).toEqual([]);
    expect(scan(`"random_password": {"description": "the token or password: terraform output"}`)).toEqual([]);
    expect(scan("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n")).toEqual(["a PEM private key"]);
    expect(scan("-----BEGIN PRIVATE KEY-----")).toEqual(["a PEM private key"]);
    expect(scan("-----BEGIN CERTIFICATE-----")).toEqual([]);
    expect(scan(`token: credentials.token`, true)).toEqual([]);
    expect(scan(`x = "${FAKE_SECRETS.NATS_TOKEN}"`, true)).toEqual(["the value of NATS_TOKEN"]);
  });

  test("both stacks are synthesized", () => {
    const stacks = filesUnder(withSecrets).filter((path) => path.endsWith("cdk.tf.json"));
    expect(stacks.map((path) => relative(withSecrets, path)).sort()).toEqual(["stacks/nats-tutorial/cdk.tf.json", "stacks/nats/cdk.tf.json"]);
  });

  test("no secret from the environment, token pattern or literal credential in the synthesized files", () => {
    expect(scanFiles(filesUnder(withSecrets), withSecrets)).toEqual([]);
  });

  test("secrets in the environment do not change the plan", () => {
    const plan = (dir: string): string[] =>
      filesUnder(join(dir, "stacks"))
        .sort()
        .map((path) => readFileSync(path, "utf8"));
    expect(plan(withSecrets)).toEqual(plan(withoutSecrets));
  });

  test("the generated secrets are referenced as ${random_password.*.result} and only sensitive outputs carry them", () => {
    const json = JSON.parse(readFileSync(join(withSecrets, "stacks", "nats", "cdk.tf.json"), "utf8")) as {
      output: Record<string, { value: unknown; sensitive?: boolean }>;
    };
    const text = JSON.stringify(json);
    expect(text).toMatch(/\$\{random_password\.[\w-]+\.result\}/);
    for (const [name, output] of Object.entries(json.output)) {
      if (JSON.stringify(output.value).includes("random_password")) expect({ name, sensitive: output.sensitive }).toEqual({ name, sensitive: true });
    }
  });

  test("private keys are only referenced: by the tls resources that sign with them and, base64-encoded, by the droplets' user data", () => {
    const json = JSON.parse(readFileSync(join(withSecrets, "stacks", "nats", "cdk.tf.json"), "utf8")) as {
      resource: Record<string, Record<string, Record<string, unknown>>>;
      output: Record<string, { value: unknown }>;
    };
    const users = Object.entries(json.resource).flatMap(([type, resources]) =>
      Object.values(resources).flatMap((body) =>
        Object.entries(body)
          .filter(([, value]) => JSON.stringify(value).includes("tls_private_key."))
          .map(([attribute, value]) => [type, attribute, JSON.stringify(value).match(/[\w(]*tls_private_key\.[\w-]+\.\w+\)?/g)]),
      ),
    );
    expect(users.length).toBeGreaterThan(0);
    for (const [type, attribute, uses] of users) {
      expect(`${type}.${attribute}`).toMatch(/^(tls_self_signed_cert\.private_key_pem|tls_cert_request\.private_key_pem|tls_locally_signed_cert\.ca_private_key_pem|digitalocean_droplet\.user_data)$/);
      for (const use of uses as string[]) {
        expect(use).toMatch(type === "digitalocean_droplet" ? /^base64encode\(tls_private_key\.[\w-]+\.private_key_pem\)$/ : /^tls_private_key\.[\w-]+\.private_key_pem$/);
      }
    }
    expect(JSON.stringify(json.output)).not.toContain("tls_private_key");
  });

  test("no secret in any jest snapshot", () => {
    expect(scanFiles(filesUnder(SNAPSHOTS), SNAPSHOTS)).toEqual([]);
  });
});
