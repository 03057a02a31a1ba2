import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import type { ClientTls } from "../verify/types";

/** A tls_private_key of the plan. */
export interface PlanPrivateKey {
  readonly algorithm: "ECDSA" | "RSA";
  readonly ecdsaCurve?: string;
  readonly rsaBits?: number;
}

/** A tls_self_signed_cert (the CA) or a tls_locally_signed_cert, with what the twin needs to issue it. */
export interface PlanCertificate {
  /** tls_private_key id of the certificate's own key. */
  readonly keyId: string;
  readonly commonName: string;
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  readonly validityHours: number;
  readonly allowedUses: readonly string[];
  readonly isCa: boolean;
  /** Issuer: tls_self_signed_cert id and its key's tls_private_key id. @default - self-signed */
  readonly issuer?: { readonly certId: string; readonly keyId: string };
}

/** The tls resources of a plan, by resource id. */
export interface PlanTls {
  readonly keys: ReadonlyMap<string, PlanPrivateKey>;
  readonly selfSigned: ReadonlyMap<string, PlanCertificate>;
  readonly signed: ReadonlyMap<string, PlanCertificate>;
}

type Resources = Record<string, Record<string, Record<string, unknown>>>;

const KEY_USAGES: Readonly<Record<string, string>> = {
  digital_signature: "digitalSignature",
  content_commitment: "nonRepudiation",
  key_encipherment: "keyEncipherment",
  data_encipherment: "dataEncipherment",
  key_agreement: "keyAgreement",
  cert_signing: "keyCertSign",
  crl_signing: "cRLSign",
};
const EXTENDED_KEY_USAGES: Readonly<Record<string, string>> = { server_auth: "serverAuth", client_auth: "clientAuth" };

/** Reads the plan's tls resources; any attribute the twin cannot reproduce is an error naming it. */
export function readPlanTls(resources: Resources): PlanTls {
  const keys = new Map(Object.entries(resources.tls_private_key ?? {}).map(([id, body]) => [id, toKey(id, body)]));
  const requests = new Map(Object.entries(resources.tls_cert_request ?? {}));
  const selfSigned = new Map(
    Object.entries(resources.tls_self_signed_cert ?? {}).map(([id, body]) => {
      checkAttributes(`tls_self_signed_cert.${id}`, body, ["private_key_pem", "subject", "is_ca_certificate", "validity_period_hours", "allowed_uses", "dns_names", "ip_addresses"]);
      return [id, certificate(body, body, refId(body.private_key_pem, "tls_private_key", "private_key_pem", id))];
    }),
  );
  const signed = new Map(
    Object.entries(resources.tls_locally_signed_cert ?? {}).map(([id, body]) => {
      checkAttributes(`tls_locally_signed_cert.${id}`, body, ["cert_request_pem", "ca_cert_pem", "ca_private_key_pem", "validity_period_hours", "allowed_uses", "is_ca_certificate"]);
      const requestId = refId(body.cert_request_pem, "tls_cert_request", "cert_request_pem", id);
      const request = requests.get(requestId);
      if (request === undefined) throw new Error(`tls_locally_signed_cert.${id} signs tls_cert_request.${requestId}, which the plan does not have`);
      checkAttributes(`tls_cert_request.${requestId}`, request, ["private_key_pem", "subject", "dns_names", "ip_addresses"]);
      const issuer = { certId: refId(body.ca_cert_pem, "tls_self_signed_cert", "cert_pem", id), keyId: refId(body.ca_private_key_pem, "tls_private_key", "private_key_pem", id) };
      return [id, { ...certificate(request, body, refId(request.private_key_pem, "tls_private_key", "private_key_pem", requestId)), issuer }];
    }),
  );
  return { keys, selfSigned, signed };
}

function toKey(id: string, body: Record<string, unknown>): PlanPrivateKey {
  checkAttributes(`tls_private_key.${id}`, body, ["algorithm", "ecdsa_curve", "rsa_bits"]);
  if (body.algorithm === "ECDSA") return { algorithm: "ECDSA", ecdsaCurve: String(body.ecdsa_curve ?? "P224") };
  if (body.algorithm === "RSA") return { algorithm: "RSA", rsaBits: Number(body.rsa_bits ?? 2048) };
  throw new Error(`tls_private_key.${id} has algorithm ${JSON.stringify(body.algorithm)}: the twin issues ECDSA and RSA keys only`);
}

function checkAttributes(address: string, body: Record<string, unknown>, known: readonly string[]): void {
  const unknown = Object.keys(body).filter((key) => key !== "//" && !known.includes(key));
  if (unknown.length > 0) throw new Error(`${address} sets ${unknown.join(", ")}: the twin cannot reproduce that`);
}

/** `subject`, SANs and key from `subjectBody` (the certificate or its request), validity and uses from `body`. */
function certificate(subjectBody: Record<string, unknown>, body: Record<string, unknown>, keyId: string): PlanCertificate {
  const subject = (subjectBody.subject as Record<string, unknown>[] | undefined)?.[0] ?? {};
  const extra = Object.keys(subject).filter((key) => key !== "common_name");
  if (extra.length > 0) throw new Error(`certificate subject sets ${extra.join(", ")}: the twin reproduces common_name only`);
  return {
    keyId,
    commonName: String(subject.common_name ?? ""),
    dnsNames: (subjectBody.dns_names as string[] | undefined) ?? [],
    ipAddresses: (subjectBody.ip_addresses as string[] | undefined) ?? [],
    validityHours: Number(body.validity_period_hours),
    allowedUses: (body.allowed_uses as string[] | undefined) ?? [],
    isCa: body.is_ca_certificate === true,
  };
}

/** The id in a `${<type>.<id>.<attribute>}` reference; anything else is an error. */
function refId(value: unknown, type: string, attribute: string, from: string): string {
  const match = new RegExp(`^\\$\\{${type}\\.([\\w-]+)\\.${attribute}\\}$`).exec(String(value));
  if (match === null) throw new Error(`${from} refers to ${JSON.stringify(value)}: expected \${${type}.<id>.${attribute}}`);
  return match[1];
}

/**
 * Issues every key and certificate the plan describes with openssl (same algorithm, subject,
 * SANs, validity and key usages) in `dir`, and returns the PEM of each, keyed by the Terraform
 * attribute it stands for: `tls_private_key.<id>.private_key_pem`, `<cert type>.<id>.cert_pem`.
 */
export async function issueTls(tls: PlanTls, openssl: string, dir: string): Promise<Map<string, string>> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const run = (args: string[]): Promise<unknown> => promisify(execFile)(openssl, args, { cwd: dir });
  const pems = new Map<string, string>();
  const keyFile = (id: string): string => join(dir, `${id}.key`);
  await Promise.all(
    [...tls.keys].map(async ([id, key]) => {
      const options = key.algorithm === "ECDSA" ? ["-algorithm", "EC", "-pkeyopt", `ec_paramgen_curve:${curveName(key.ecdsaCurve as string)}`] : ["-algorithm", "RSA", "-pkeyopt", `rsa_keygen_bits:${key.rsaBits}`];
      await run(["genpkey", ...options, "-out", `${keyFile(id)}.pkcs8`]);
      // Terraform writes SEC1 ("EC PRIVATE KEY") and PKCS#1 ("RSA PRIVATE KEY") PEM: so does the twin.
      await run(["pkey", "-in", `${keyFile(id)}.pkcs8`, "-traditional", "-out", keyFile(id)]);
      pems.set(`tls_private_key.${id}.private_key_pem`, readFileSync(keyFile(id), "utf8"));
    }),
  );
  const issue = async (type: string, id: string, cert: PlanCertificate): Promise<void> => {
    if (!tls.keys.has(cert.keyId)) throw new Error(`${type}.${id} uses tls_private_key.${cert.keyId}, which the plan does not have`);
    if (cert.validityHours % 24 !== 0 || cert.validityHours < 24) throw new Error(`${type}.${id} is valid ${cert.validityHours} hours: the twin issues whole days only`);
    const config = join(dir, `${id}.cnf`);
    writeFileSync(config, opensslConfig(cert));
    const out = join(dir, `${id}.pem`);
    const issuer = cert.issuer === undefined ? [] : ["-CA", join(dir, `${cert.issuer.certId}.pem`), "-CAkey", keyFile(cert.issuer.keyId)];
    await run(["req", "-x509", "-new", "-config", config, "-key", keyFile(cert.keyId), ...issuer, "-days", String(cert.validityHours / 24), "-out", out]);
    pems.set(`${type}.${id}.cert_pem`, readFileSync(out, "utf8"));
  };
  await Promise.all([...tls.selfSigned].map(([id, cert]) => issue("tls_self_signed_cert", id, cert)));
  await Promise.all(
    [...tls.signed].map(([id, cert]) => {
      if (!tls.selfSigned.has(cert.issuer?.certId ?? "")) throw new Error(`tls_locally_signed_cert.${id} is signed by a CA the plan does not have`);
      return issue("tls_locally_signed_cert", id, cert);
    }),
  );
  return pems;
}

/**
 * What clients trust when the plan has a CA: its certificate, also written to `caFile`, and
 * the server name the plan outputs (`serverName`). Undefined when the plan has no CA.
 */
export function clientTls(tls: PlanTls, pems: ReadonlyMap<string, string>, caFile: string, serverName: string | undefined, planFile: string): ClientTls | undefined {
  const cas = [...tls.selfSigned.keys()];
  if (cas.length === 0) return undefined;
  if (cas.length > 1) throw new Error(`${planFile} has ${cas.length} tls_self_signed_cert resources: the twin needs one CA`);
  const ca = pems.get(`tls_self_signed_cert.${cas[0]}.cert_pem`) as string;
  writeFileSync(caFile, ca);
  return { ca, serverName };
}

function curveName(curve: string): string {
  const names: Record<string, string> = { P224: "P-224", P256: "P-256", P384: "P-384", P521: "P-521" };
  const name = names[curve];
  if (name === undefined) throw new Error(`ecdsa_curve ${JSON.stringify(curve)} is not one of ${Object.keys(names).join(", ")}`);
  return name;
}

/** An openssl req configuration with the certificate's subject and extensions, nothing from the system's defaults. */
function opensslConfig(cert: PlanCertificate): string {
  const unknownUses = cert.allowedUses.filter((use) => KEY_USAGES[use] === undefined && EXTENDED_KEY_USAGES[use] === undefined);
  if (unknownUses.length > 0) throw new Error(`allowed_uses ${unknownUses.join(", ")}: the twin reproduces ${[...Object.keys(KEY_USAGES), ...Object.keys(EXTENDED_KEY_USAGES)].join(", ")}`);
  const usages = cert.allowedUses.flatMap((use) => (KEY_USAGES[use] === undefined ? [] : [KEY_USAGES[use]]));
  const extended = cert.allowedUses.flatMap((use) => (EXTENDED_KEY_USAGES[use] === undefined ? [] : [EXTENDED_KEY_USAGES[use]]));
  const sans = [...cert.dnsNames.map((name) => `DNS:${name}`), ...cert.ipAddresses.map((ip) => `IP:${ip}`)];
  if (!/^[\w .-]*$/.test(cert.commonName) || !sans.every((san) => /^[\w.:-]+$/.test(san))) {
    throw new Error(`certificate names ${JSON.stringify([cert.commonName, ...sans])} hold characters the twin does not pass to openssl`);
  }
  return [
    "[req]",
    "prompt = no",
    "distinguished_name = dn",
    "x509_extensions = ext",
    "[dn]",
    `CN = ${cert.commonName}`,
    "[ext]",
    `basicConstraints = critical, CA:${cert.isCa ? "TRUE" : "FALSE"}`,
    ...(usages.length > 0 ? [`keyUsage = critical, ${usages.join(", ")}`] : []),
    ...(extended.length > 0 ? [`extendedKeyUsage = ${extended.join(", ")}`] : []),
    ...(sans.length > 0 ? [`subjectAltName = ${sans.join(", ")}`] : []),
    "subjectKeyIdentifier = hash",
    ...(cert.issuer === undefined ? [] : ["authorityKeyIdentifier = keyid"]),
    "",
  ].join("\n");
}
