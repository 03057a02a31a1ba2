import { X509Certificate, createPrivateKey } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freshStackFile } from "../plan/synth";
import { readPlan } from "../twin/plan";
import { findExecutable } from "../twin/process";
import { issueTls, readPlanTls } from "../twin/tls";

// Integration test: synthesizes the app and runs openssl.
jest.setTimeout(60_000);

const DAY_MS = 24 * 3600 * 1000;
const work = mkdtempSync(join(tmpdir(), "twin-tls-issue-"));
const openssl = findExecutable("openssl", "apt-get install openssl");

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("the twin issues what the plan's tls resources describe", () => {
  const plan = readPlan(freshStackFile("nats"));
  let pems: Map<string, string>;

  beforeAll(async () => {
    pems = await issueTls(plan.tls, openssl, join(work, "nats"));
  });

  function certs(type: string): X509Certificate[] {
    return [...pems].filter(([key]) => key.startsWith(`${type}.`)).map(([, pem]) => new X509Certificate(pem));
  }

  test("one key per tls_private_key, ECDSA P-256 in Terraform's SEC1 PEM", () => {
    const keys = [...pems].filter(([key]) => key.startsWith("tls_private_key."));
    expect(keys).toHaveLength(4);
    for (const [, pem] of keys) {
      expect(pem).toMatch(/^-----BEGIN EC PRIVATE KEY-----\n/);
      expect(createPrivateKey(pem).asymmetricKeyDetails).toEqual({ namedCurve: "prime256v1" });
    }
  });

  test("the CA: self-signed, CA:TRUE, valid 3650 days", () => {
    const [ca] = certs("tls_self_signed_cert");
    expect(ca.ca).toBe(true);
    expect(ca.subject).toBe("CN=nats NATS CA");
    expect(ca.verify(ca.publicKey)).toBe(true);
    expect(Date.parse(ca.validTo) - Date.parse(ca.validFrom)).toBe(3650 * DAY_MS);
  });

  test("node certificates: signed by the CA, the plan's names, server and client auth, valid 825 days", () => {
    const [ca] = certs("tls_self_signed_cert");
    const nodes = certs("tls_locally_signed_cert");
    expect(nodes.map((cert) => cert.subject).sort()).toEqual(["CN=nats-1", "CN=nats-2", "CN=nats-3"]);
    for (const cert of nodes) {
      expect(cert.ca).toBe(false);
      expect(cert.checkIssued(ca)).toBe(true);
      expect(cert.verify(ca.publicKey)).toBe(true);
      expect(cert.subjectAltName).toBe("DNS:nats.internal, DNS:localhost");
      expect(cert.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]);
      expect(cert.checkHost("nats.internal")).toBe("nats.internal");
      expect(cert.checkIP("127.0.0.1")).toBeUndefined();
      expect(Date.parse(cert.validTo) - Date.parse(cert.validFrom)).toBe(825 * DAY_MS);
    }
  });
});

describe("what the twin cannot reproduce is an error naming it", () => {
  const key = { "tls_private_key.k": {} };
  test.each([
    [{ tls_private_key: { k: { algorithm: "ED25519" } } }, /tls_private_key\.k has algorithm "ED25519": the twin issues ECDSA and RSA keys only/],
    [{ ...key, tls_private_key: { k: { algorithm: "RSA", rsa_bits: 2048, foo: 1 } } }, /tls_private_key\.k sets foo: the twin cannot reproduce that/],
    [
      { tls_self_signed_cert: { c: { private_key_pem: "${tls_private_key.k.private_key_pem}", subject: [{ common_name: "x", organization: "o" }], validity_period_hours: 24, allowed_uses: [] } } },
      /subject sets organization: the twin reproduces common_name only/,
    ],
    [{ tls_locally_signed_cert: { s: { cert_request_pem: "${tls_cert_request.r.cert_request_pem}", ca_cert_pem: "x", ca_private_key_pem: "y" } } }, /signs tls_cert_request\.r, which the plan does not have/],
  ])("%j", (resources, message) => {
    expect(() => readPlanTls(resources as never)).toThrow(message);
  });
});
