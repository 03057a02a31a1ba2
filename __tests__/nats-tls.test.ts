import { TerraformStack, Testing } from "cdktf";
import { parse } from "yaml";
import { NatsTls } from "../constructs/nats-tls";
import { onlyResource, resourcesOf, synthJson, testStack } from "./helpers";

interface WriteFile {
  path: string;
  content: string;
  permissions?: string;
  owner?: string;
  defer?: boolean;
  encoding?: string;
}

function filesOf(userData: unknown): WriteFile[] {
  return (parse(String(userData)) as { write_files: WriteFile[] }).write_files;
}

function confOf(userData: unknown): string {
  return filesOf(userData).find((file) => file.path === "/etc/nats/nats-server.conf")!.content;
}

describe("NatsTls", () => {
  // Synthesized inside each test, not at describe level: per-test coverage (npm run mutation) then
  // runs these assertions against every mutant of the TLS files and blocks.
  const defaultStack = () => synthJson(testStack());

  test("default: an ECDSA P-256 CA valid 10 years signs one certificate per node, valid 825 days", () => {
    const json = defaultStack();
    const keys = resourcesOf(json, "tls_private_key");
    expect(keys).toHaveLength(4);
    for (const key of keys) expect(key).toMatchObject({ algorithm: "ECDSA", ecdsa_curve: "P256" });
    expect(onlyResource(json, "tls_self_signed_cert")).toMatchObject({
      is_ca_certificate: true,
      validity_period_hours: 87600,
      allowed_uses: ["cert_signing", "crl_signing", "digital_signature"],
      subject: [{ common_name: "nats NATS CA" }],
    });
    const requests = resourcesOf(json, "tls_cert_request");
    expect(requests.map((r) => r.subject)).toEqual([[{ common_name: "nats-1" }], [{ common_name: "nats-2" }], [{ common_name: "nats-3" }]]);
    for (const request of requests) {
      expect(request.dns_names).toEqual(["nats.internal", "localhost"]);
      expect(request).not.toHaveProperty("ip_addresses");
    }
    const certs = resourcesOf(json, "tls_locally_signed_cert");
    expect(certs).toHaveLength(3);
    for (const cert of certs) {
      expect(cert).toMatchObject({ validity_period_hours: 825 * 24, allowed_uses: ["digital_signature", "server_auth", "client_auth"] });
    }
  });

  test("certificates wait for nothing the cloud creates: no reference to a droplet or the load balancer", () => {
    const json = defaultStack();
    const tlsJson = JSON.stringify(Object.entries(json.resource).filter(([type]) => type.startsWith("tls_")));
    expect(tlsJson).not.toMatch(/digitalocean_/);
  });

  test("each node gets the CA, its own certificate and key: base64, 0600, owned by nats, deferred", () => {
    const json = defaultStack();
    const droplets = resourcesOf(json, "digitalocean_droplet");
    const certs = Object.keys(json.resource.tls_locally_signed_cert);
    const keys = Object.keys(json.resource.tls_private_key).filter((id) => id.includes("node-"));
    droplets.forEach((droplet, i) => {
      const files = filesOf(droplet.user_data).filter((file) => file.path.startsWith("/etc/nats/tls/"));
      expect(files).toEqual([
        { path: "/etc/nats/tls/ca.pem", owner: "nats:nats", permissions: "0600", defer: true, encoding: "b64", content: expect.stringMatching(/^\$\{base64encode\(tls_self_signed_cert\.[\w-]+\.cert_pem\)\}$/) },
        { path: "/etc/nats/tls/server.pem", owner: "nats:nats", permissions: "0600", defer: true, encoding: "b64", content: `\${base64encode(tls_locally_signed_cert.${certs[i]}.cert_pem)}` },
        { path: "/etc/nats/tls/server-key.pem", owner: "nats:nats", permissions: "0600", defer: true, encoding: "b64", content: `\${base64encode(tls_private_key.${keys[i]}.private_key_pem)}` },
      ]);
    });
  });

  test("clients must use TLS; routes use mutual TLS and verify peers by the route name", () => {
    const droplets = resourcesOf(defaultStack(), "digitalocean_droplet");
    const files = 'cert_file: "tls/server.pem"\n\\s+key_file: "tls/server-key.pem"\n\\s+ca_file: "tls/ca.pem"\n\\s+timeout: 5';
    droplets.forEach((droplet, index) => {
      const conf = confOf(droplet.user_data);
      expect(conf).toMatch(new RegExp(`^tls \\{\n\\s+${files}\n\\}`, "m"));
      expect(conf).toMatch(new RegExp(`^cluster \\{\n(?:.*\n)*?\\s+tls \\{\n\\s+${files}\n\\s+verify: true\n\\s+\\}`, "m"));
      expect(conf).not.toMatch(/insecure/);
      const routes = /routes: \[(.*)\]/.exec(conf)![1].split(", ");
      expect(routes[0]).toMatch(/^"nats:\/\/route:\$\{random_password\.[\w-]+\.result\}@localhost:6222"$/);
      // Then the seed load balancer, except on node 1: its route to itself is the route name's.
      if (index === 0) expect(routes).toHaveLength(1);
      else expect(routes.slice(1)).toEqual([expect.stringMatching(/@\$\{digitalocean_loadbalancer\.cluster_seed-load-balancer_lb_\w+\.ip\}:6222"$/)]);
    });
  });

  test("outputs the CA certificate (not sensitive) and the server name; verify's gate step gets both, and only them", () => {
    const json = defaultStack();
    expect(json.output?.ca_certificate).toMatchObject({ value: expect.stringMatching(/^\$\{tls_self_signed_cert\.[\w-]+\.cert_pem\}$/), sensitive: false });
    expect(json.output?.tls_server_name).toMatchObject({ value: "nats.internal" });
    const gate = onlyResource(json, "null_resource") as { provisioner: { "local-exec": { environment?: Record<string, string> } }[] };
    const [writeCredentials, runVerify] = gate.provisioner.map((step) => step["local-exec"].environment);
    // Not secret, so Terraform still shows verify's output; the token goes through the 0600 file.
    expect(runVerify).toEqual({
      NATS_CA: expect.stringMatching(/^\$\{tls_self_signed_cert\.[\w-]+\.cert_pem\}$/),
      NATS_TLS_SERVER_NAME: "nats.internal",
    });
    expect(Object.keys(writeCredentials ?? {})).toEqual(["NATS_TOKEN"]);
  });

  test("a domain joins the server name; RSA keys add key encipherment", () => {
    const custom = synthJson(testStack({ tls: { domain: "nats.example.com", serverName: "cluster.internal", keyAlgorithm: "rsa-3072", caValidityDays: 1000, certificateValidityDays: 30 } }));
    for (const request of resourcesOf(custom, "tls_cert_request")) expect(request.dns_names).toEqual(["cluster.internal", "nats.example.com", "localhost"]);
    for (const key of resourcesOf(custom, "tls_private_key")) expect(key).toMatchObject({ algorithm: "RSA", rsa_bits: 3072 });
    expect(onlyResource(custom, "tls_self_signed_cert")).toMatchObject({ validity_period_hours: 24000 });
    for (const cert of resourcesOf(custom, "tls_locally_signed_cert")) {
      expect(cert).toMatchObject({ validity_period_hours: 720, allowed_uses: ["digital_signature", "server_auth", "client_auth", "key_encipherment"] });
    }
  });

  test("tls: false writes no TLS file and no tls block, and outputs no CA", () => {
    const plain = synthJson(testStack({ tls: false }));
    expect(Object.keys(plain.resource).filter((type) => type.startsWith("tls_"))).toEqual([]);
    resourcesOf(plain, "digitalocean_droplet").forEach((droplet, index) => {
      expect(filesOf(droplet.user_data).map((file) => file.path)).not.toContain("/etc/nats/tls/ca.pem");
      expect(confOf(droplet.user_data)).not.toMatch(/tls \{/);
      // Only node 1 lists itself, the configured route JetStream needs; the others route to the seed.
      expect(/routes: \[(.*)\]/.exec(confOf(droplet.user_data))?.[1]).toMatch(index === 0 ? /^"nats:\/\/route:\$\{random_password\.[\w-]+\.result\}@localhost:6222"$/ : /^"[^"]+@\$\{digitalocean_loadbalancer\.[\w-]+\.ip\}:6222"$/);
    });
    expect(plain.output).not.toHaveProperty("ca_certificate");
  });

  test("validation names every bad value and the allowed range", () => {
    const build = (props: Record<string, unknown>) => () => new NatsTls(new TerraformStack(Testing.app(), "s"), "tls", { serverNames: ["nats-1"], caName: "ca", ...props });
    expect(build({ keyAlgorithm: "ed25519" })).toThrow(/tls\.keyAlgorithm "ed25519" is not allowed: expected one of ecdsa-p256, ecdsa-p384, rsa-2048, rsa-3072, rsa-4096/);
    expect(build({ caValidityDays: 0 })).toThrow(/tls\.caValidityDays must be an integer from 1 to 3650 \(1 day to 10 years\), got 0/);
    expect(build({ certificateValidityDays: 3651 })).toThrow(/tls\.certificateValidityDays must be an integer from 1 to 3650 \(1 day to 10 years\), got 3651/);
    expect(build({ caValidityDays: 100, certificateValidityDays: 200 })).toThrow(/tls\.certificateValidityDays 200 exceeds tls\.caValidityDays 100/);
    expect(build({ serverName: "" })).toThrow(/tls\.serverName "" is not valid: expected a lowercase DNS name/);
    expect(build({ domain: "" })).toThrow(/tls\.domain "" is not valid: expected a lowercase DNS name/);
    expect(build({ domain: "Nats Example" })).toThrow(/tls\.domain "Nats Example" is not valid/);
  });

  const build = (props: Record<string, unknown>) => () => new NatsTls(new TerraformStack(Testing.app(), "s"), "tls", { serverNames: ["nats-1"], caName: "ca", ...props });
  const label = (length: number): string => `a${"b".repeat(length - 2)}c`;

  test("a node certificate may live as long as its CA, not a day longer; the defaults fit", () => {
    expect(build({ caValidityDays: 100, certificateValidityDays: 100 })).not.toThrow();
    expect(build({ caValidityDays: 100, certificateValidityDays: 101 })).toThrow("s/tls: tls.certificateValidityDays 101 exceeds tls.caValidityDays 100: a node certificate must not outlive its CA");
    expect(build({ certificateValidityDays: 3650 })).not.toThrow();
    expect(build({ caValidityDays: 3650 })).not.toThrow();
    expect(build({ caValidityDays: 1, certificateValidityDays: 1 })).not.toThrow();
  });

  test.each([
    "a",
    "nats.example.com",
    "nats-1.internal",
    "0.example",
    label(63),
    `${label(63)}.${label(63)}`,
    // 253 characters: 3 labels of 63 and one of 61.
    [label(63), label(63), label(63), label(61)].join("."),
  ])("tls.domain and tls.serverName %s: a lowercase DNS name", (name) => {
    expect(build({ domain: name, serverName: name })).not.toThrow();
  });

  test.each([
    "-nats",
    "nats-",
    "Nats",
    "nats..example",
    ".nats",
    "nats.",
    "nats_1",
    "nats example",
    "nats.-a",
    "nats.a-",
    "x.nats!",
    "!nats",
    label(64),
    `${label(64)}.example`,
    `example.${label(64)}`,
    // 254 characters.
    [label(63), label(63), label(63), label(62)].join("."),
  ])("tls.domain and tls.serverName %s: refused, whole", (name) => {
    const message = (prop: string) => `tls.${prop} ${JSON.stringify(name)} is not valid: expected a lowercase DNS name such as nats.example.com`;
    expect(build({ domain: name, serverName: name })).toThrow(["s/tls: 2 problems:", `- ${message("serverName")}`, `- ${message("domain")}`].join("\n"));
  });
});
