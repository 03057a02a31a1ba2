import { DEFAULT_STACK, TUTORIAL_STACK } from "../constructs/stacks";
import {
  CloudFile,
  assertSecretVariables,
  References,
  clientCredentials,
  readNodeConfig,
  secretEnvName,
  secretFor,
  splitExecStart,
  substituteMountPoints,
  substituteReferences,
} from "../twin/cloud-config";
import { TerraformJson, synthJson, testStack } from "./helpers";

// The twin's pure reading of a droplet's cloud-config: Terraform references, the systemd unit,
// its ExecStart, the working files, volumes' mount points and the client credentials. Real
// user_data comes from in-process synthesis; error paths from hand-written cloud-configs.
// Every expected value is a literal.

const UNIT = "/etc/systemd/system/nats-server.service";

/** A #cloud-config whose write_files are `files`, each written as a JSON (flow) mapping. */
function cloudConfig(...files: readonly Record<string, unknown>[]): string {
  return `#cloud-config\nwrite_files:\n${files.map((file) => `  - ${JSON.stringify(file)}`).join("\n")}\n`;
}

/** A cloud-config that writes only the unit `unit`. */
function unitOnly(unit: string): string {
  return cloudConfig({ path: UNIT, content: unit });
}

const SERVICE = "[Service]\nWorkingDirectory=/etc/nats\nExecStart=nats-server --config nats.conf\n";

/** The plan's references with no entries, plus `extra`. */
function refsWith(extra: Partial<References> = {}): References {
  return { addresses: new Map(), loadBalancers: new Map(), secrets: new Map(), ...extra };
}

const ONLY_ALLOWED =
  "only ${digitalocean_droplet.<id>.ipv4_address_private}, ${digitalocean_loadbalancer.<id>.ip}, ${random_password.<id>.result}, " +
  "TLS keys and certificates and base64encode() of them are allowed";

describe("substituteReferences", () => {
  const refs = (): References =>
    refsWith({
      addresses: new Map([["node-1_AB12", "127.0.0.11"]]),
      loadBalancers: new Map([["seed_lb-9", "127.0.0.14"]]),
      secrets: new Map([["client-secret_E0", "s3cret"], ["odd", "a$&b$1"]]),
      pems: new Map([
        ["tls_private_key.node-1_key.private_key_pem", "KEY PEM\n"],
        ["tls_self_signed_cert.ca_1.cert_pem", "CA PEM\n"],
        ["tls_locally_signed_cert.node-1_cert.cert_pem", "CERT PEM\n"],
      ]),
    });

  test("replaces droplet and load balancer addresses and passwords, every occurrence", () => {
    const text = "a=${digitalocean_droplet.node-1_AB12.ipv4_address_private} b=${digitalocean_loadbalancer.seed_lb-9.ip} c=${random_password.client-secret_E0.result} d=${random_password.client-secret_E0.result}";
    expect(substituteReferences(text, refs(), "nats-2")).toBe("a=127.0.0.11 b=127.0.0.14 c=s3cret d=s3cret");
  });

  test("puts secrets in literally, even with replacement patterns in them", () => {
    expect(substituteReferences("x${random_password.odd.result}y", refs(), "nats-2")).toBe("xa$&b$1y");
  });

  test("replaces TLS keys and certificates, plain and inside base64encode()", () => {
    const text = "${tls_private_key.node-1_key.private_key_pem}|${tls_self_signed_cert.ca_1.cert_pem}|${tls_locally_signed_cert.node-1_cert.cert_pem}";
    expect(substituteReferences(text, refs(), "nats-2")).toBe("KEY PEM\n|CA PEM\n|CERT PEM\n");
    expect(substituteReferences("${base64encode(tls_self_signed_cert.ca_1.cert_pem)}", refs(), "nats-2")).toBe("Q0EgUEVNCg==");
    expect(substituteReferences("${base64encode(random_password.client-secret_E0.result)}", refs(), "nats-2")).toBe("czNjcmV0");
    expect(substituteReferences("${base64encode(base64encode(random_password.client-secret_E0.result))}", refs(), "nats-2")).toBe("Y3pOamNtVjA=");
  });

  test("un-escapes $${ and %%{ and leaves text without references alone", () => {
    expect(substituteReferences("$${HOME} %%{ if x } %%{x} $HOME %s 100% {}", refs(), "nats-2")).toBe("${HOME} %{ if x } %{x} $HOME %s 100% {}");
    expect(substituteReferences("", refs(), "nats-2")).toBe("");
  });

  test("replaces with an empty value when the plan's value is empty", () => {
    expect(substituteReferences("[${random_password.empty.result}]", refsWith({ secrets: new Map([["empty", ""]]) }), "nats-2")).toBe("[]");
  });

  test.each([
    ["%{ if true }x%{ endif }", "unsupported terraform template directive %{ if true } in user_data of nats-2"],
    ["%{}", "unsupported terraform template directive %{} in user_data of nats-2"],
  ])("refuses the template directive in %s", (text, message) => {
    expect(() => substituteReferences(text, refs(), "nats-2")).toThrow(message);
  });

  test.each([
    ["${var.region}", "var.region"],
    ["${}", ""],
    ["${digitalocean_droplet.node-1_AB12.ipv4_address}", "digitalocean_droplet.node-1_AB12.ipv4_address"],
    ["${xdigitalocean_droplet.node-1_AB12.ipv4_address_private}", "xdigitalocean_droplet.node-1_AB12.ipv4_address_private"],
    ["${digitalocean_droplet.node-1_AB12.ipv4_address_privatex}", "digitalocean_droplet.node-1_AB12.ipv4_address_privatex"],
    ["${digitalocean_droplet.node.1.ipv4_address_private}", "digitalocean_droplet.node.1.ipv4_address_private"],
    ["${xdigitalocean_loadbalancer.seed_lb-9.ip}", "xdigitalocean_loadbalancer.seed_lb-9.ip"],
    ["${digitalocean_loadbalancer.seed_lb-9.ipx}", "digitalocean_loadbalancer.seed_lb-9.ipx"],
    ["${xrandom_password.client-secret_E0.result}", "xrandom_password.client-secret_E0.result"],
    ["${random_password.client-secret_E0.resultx}", "random_password.client-secret_E0.resultx"],
    ["${random_password.client-secret_E0.special}", "random_password.client-secret_E0.special"],
    ["${xtls_private_key.node-1_key.private_key_pem}", "xtls_private_key.node-1_key.private_key_pem"],
    ["${tls_private_key.node-1_key.private_key_pemx}", "tls_private_key.node-1_key.private_key_pemx"],
    ["${tls_private_key.node-1_key.public_key_pem}", "tls_private_key.node-1_key.public_key_pem"],
    ["${tls_self_signed_cert.ca_1.cert_pemx}", "tls_self_signed_cert.ca_1.cert_pemx"],
    ["${tls_cert_request.ca_1.cert_pem}", "tls_cert_request.ca_1.cert_pem"],
    ["${base64encode(var.x)}", "var.x"],
    ["${base64encode()}", "base64encode()"],
    ["${xbase64encode(random_password.client-secret_E0.result)}", "xbase64encode(random_password.client-secret_E0.result)"],
    ["${base64encode(random_password.client-secret_E0.result)x}", "base64encode(random_password.client-secret_E0.result)x"],
  ])("refuses the reference %s, naming what it allows", (text, expression) => {
    expect(() => substituteReferences(`a ${text} b`, refs(), "nats-2")).toThrow(`unsupported terraform reference \${${expression}} in user_data of nats-2: ${ONLY_ALLOWED}`);
  });

  test.each([
    ["${digitalocean_droplet.other.ipv4_address_private}", "digitalocean_droplet.other.ipv4_address_private"],
    ["${digitalocean_loadbalancer.other.ip}", "digitalocean_loadbalancer.other.ip"],
    ["${random_password.other.result}", "random_password.other.result"],
    ["${tls_private_key.other.private_key_pem}", "tls_private_key.other.private_key_pem"],
    ["${tls_self_signed_cert.other.cert_pem}", "tls_self_signed_cert.other.cert_pem"],
    ["${tls_locally_signed_cert.other.cert_pem}", "tls_locally_signed_cert.other.cert_pem"],
    ["${base64encode(random_password.other.result)}", "random_password.other.result"],
    // Each kind is looked up in its own map only.
    ["${digitalocean_droplet.seed_lb-9.ipv4_address_private}", "digitalocean_droplet.seed_lb-9.ipv4_address_private"],
    ["${digitalocean_loadbalancer.node-1_AB12.ip}", "digitalocean_loadbalancer.node-1_AB12.ip"],
    ["${random_password.node-1_AB12.result}", "random_password.node-1_AB12.result"],
  ])("refuses %s, a resource the plan does not have", (text, expression) => {
    expect(() => substituteReferences(text, refs(), "nats-2")).toThrow(`\${${expression}} in user_data of nats-2 names a resource the plan does not have`);
  });

  test("refuses TLS references when the twin has no PEMs at all", () => {
    expect(() => substituteReferences("${tls_self_signed_cert.ca_1.cert_pem}", refsWith(), "nats-3")).toThrow("${tls_self_signed_cert.ca_1.cert_pem} in user_data of nats-3 names a resource the plan does not have");
  });
});

describe("secrets", () => {
  test("the environment variable is NATS_TWIN_SECRET_ and the id in upper snake case", () => {
    expect(secretEnvName("cluster_auth_client-secret_E03882C3")).toBe("NATS_TWIN_SECRET_CLUSTER_AUTH_CLIENT_SECRET_E03882C3");
    expect(secretEnvName("a--b..c d")).toBe("NATS_TWIN_SECRET_A_B_C_D");
    expect(secretEnvName("-x-")).toBe("NATS_TWIN_SECRET__X_");
    expect(secretEnvName("abc")).toBe("NATS_TWIN_SECRET_ABC");
  });

  test("a supplied secret wins over the environment", () => {
    expect(secretFor("route-pw", { "route-pw": "given" }, { NATS_TWIN_SECRET_ROUTE_PW: "from-env" })).toBe("given");
    expect(secretFor("route-pw", { "route-pw": "given" }, {})).toBe("given");
  });

  test("the environment variable is used when nothing is supplied for the id", () => {
    expect(secretFor("route-pw", { other: "no" }, { NATS_TWIN_SECRET_ROUTE_PW: "from-env", NATS_TWIN_SECRET_OTHER: "no" })).toBe("from-env");
    expect(secretFor("route-pw", undefined, { NATS_TWIN_SECRET_ROUTE_PW: "from-env" })).toBe("from-env");
  });

  test("a secret with a character its random_password cannot produce is refused, naming the variable and the characters but never the value", () => {
    const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const env = { NATS_TWIN_SECRET_ROUTE_PW: 'Zq"9x\nnext' };
    expect(() => secretFor("route-pw", {}, env, letters)).toThrow(
      new Error('NATS_TWIN_SECRET_ROUTE_PW holds "\\"", "\\n": random_password route-pw produces only upper-case letters, lower-case letters and digits, so a droplet never gets such a secret; choose one of those characters only'),
    );
    expect(() => secretFor("route-pw", { "route-pw": "a b" }, {}, "ab")).toThrow(
      new Error('the secret supplied for route-pw holds " ": random_password route-pw produces only lower-case letters, so a droplet never gets such a secret; choose one of those characters only'),
    );
    expect(() => secretFor("route-pw", { "route-pw": "a~" }, {}, `${letters}!@`)).toThrow('holds "~": random_password route-pw produces only upper-case letters, lower-case letters, digits and the characters "!@"');
    expect(() => secretFor("route-pw", { "route-pw": "a" }, {}, "")).toThrow('holds "a": random_password route-pw produces only nothing, so a droplet never gets such a secret');
    // Every character it can produce passes; so does any value when the alphabet is unknown.
    expect(secretFor("route-pw", {}, { NATS_TWIN_SECRET_ROUTE_PW: "Zq9x" }, letters)).toBe("Zq9x");
    expect(secretFor("route-pw", {}, { NATS_TWIN_SECRET_ROUTE_PW: "!@ab" }, `${letters}!@`)).toBe("!@ab");
    expect(secretFor("route-pw", {}, env)).toBe('Zq"9x\nnext');
  });

  test("without either, 32 random alphanumeric characters, new each time", () => {
    const env = { NATS_TWIN_SECRET_OTHER: "no", ROUTE_PW: "no" };
    const first = secretFor("route-pw", {}, env);
    const second = secretFor("route-pw", {}, env);
    expect(first).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(second).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(first).not.toBe(second);
  });

  test("the random secrets draw on upper case, lower case and digits", () => {
    const drawn = Array.from({ length: 20 }, () => secretFor("x", {}, {})).join("");
    expect(drawn).toMatch(/[A-Z]/);
    expect(drawn).toMatch(/[a-z]/);
    expect(drawn).toMatch(/[0-9]/);
  });

  test("an empty secret is refused, supplied or from the environment", () => {
    expect(() => secretFor("route-pw", { "route-pw": "" }, { NATS_TWIN_SECRET_ROUTE_PW: "from-env" })).toThrow(
      new Error("the secret supplied for route-pw is empty: give a value, or leave it unset for a random secret"),
    );
    expect(() => secretFor("route-pw", {}, { NATS_TWIN_SECRET_ROUTE_PW: "" })).toThrow(
      new Error("NATS_TWIN_SECRET_ROUTE_PW is empty: give a value, or leave it unset for a random secret"),
    );
  });

  test("reads process.env by default", () => {
    const name = "NATS_TWIN_SECRET_CLOUD_CONFIG_UNIT_TEST";
    process.env[name] = "from-process";
    try {
      expect(secretFor("cloud-config-unit-test")).toBe("from-process");
      expect(secretFor("cloud-config-unit-test", {})).toBe("from-process");
    } finally {
      delete process.env[name];
    }
  });
});

describe("splitExecStart", () => {
  test.each([
    ["nats-server", ["nats-server"]],
    ["nats-server --config nats.conf -p 4222", ["nats-server", "--config", "nats.conf", "-p", "4222"]],
    ["  nats-server \t --config\tnats.conf  ", ["nats-server", "--config", "nats.conf"]],
    ["/bin/sh -c 'exec nats-server -a $PRIVATE_IP'", ["/bin/sh", "-c", "exec nats-server -a $PRIVATE_IP"]],
    ["/bin/echo '' \"\" x", ["/bin/echo", "", "", "x"]],
    ["/bin/echo 'a \"b\" \\c'", ["/bin/echo", 'a "b" \\c']],
    ['/bin/echo "a \\"b\\" c" "d\\\\e"', ["/bin/echo", 'a "b" c', "d\\e"]],
    ['/bin/echo "it\'s" \'say "hi"\'', ["/bin/echo", "it's", 'say "hi"']],
    ["/bin/echo 100%% '50%%' \"25%%\"", ["/bin/echo", "100%", "50%", "25%"]],
    ["/bin/echo %%%%", ["/bin/echo", "%%"]],
    ["/bin/echo $HOME a-b", ["/bin/echo", "$HOME", "a-b"]],
  ])("splits %s", (execStart, argv) => {
    expect(splitExecStart(execStart, "nats-1")).toEqual(argv);
  });

  test.each(["-", "@", ":", "+", "!"])("refuses the prefix %s", (prefix) => {
    expect(() => splitExecStart(`${prefix}/bin/true`, "nats-1")).toThrow(`ExecStart prefix ${prefix} of nats-1 is not supported: expected a plain command line`);
  });

  test("names the unit when no droplet is given", () => {
    expect(() => splitExecStart("-/bin/true")).toThrow("ExecStart prefix - of the unit is not supported: expected a plain command line");
    expect(() => splitExecStart("")).toThrow('ExecStart of the unit cannot be split into words: ""');
  });

  test.each(["/bin/echo %i", "/bin/echo 100%", "/bin/echo 100%%%", "%n"])("refuses the specifier in %s", (execStart) => {
    expect(() => splitExecStart(execStart, "nats-1")).toThrow("ExecStart of nats-1 uses a systemd % specifier: only %% is supported");
  });

  test.each(["/bin/echo ${HOME}", "/bin/sh -c 'echo ${X}'"])("refuses the variable in %s", (execStart) => {
    expect(() => splitExecStart(execStart, "nats-1")).toThrow("ExecStart of nats-1 uses systemd ${VAR} expansion: the twin supports none");
  });

  test.each([
    ["/bin/sh -c 'unbalanced", '"/bin/sh -c \'unbalanced"'],
    ['/bin/echo "unbalanced', '"/bin/echo \\"unbalanced"'],
    ["/bin/echo 'a'b", '"/bin/echo \'a\'b"'],
    ['/bin/echo "a"b', '"/bin/echo \\"a\\"b"'],
    ["/bin/echo a'b'", '"/bin/echo a\'b\'"'],
    ['/bin/echo "a\\"', '"/bin/echo \\"a\\\\\\""'],
    ["", '""'],
    ["   ", '"   "'],
  ])("refuses %j, which is not words", (execStart, quoted) => {
    expect(() => splitExecStart(execStart, "nats-1")).toThrow(`ExecStart of nats-1 cannot be split into words: ${quoted}`);
  });
});

describe("readNodeConfig on hand-written cloud-configs", () => {
  test("a minimal unit: argv, no files, systemd's stop defaults", () => {
    expect(readNodeConfig(unitOnly(SERVICE), "nats-1")).toEqual({
      workingFiles: [],
      environmentFile: undefined,
      argv: ["nats-server", "--config", "nats.conf"],
      mountPoints: [],
      killSignal: "SIGTERM",
      stopTimeoutSeconds: 90,
    });
  });

  test("keeps the files under WorkingDirectory, relative to it, decoding base64", () => {
    const userData = cloudConfig(
      { path: "/usr/local/sbin/install-nats-server", content: "#!/bin/sh\n", permissions: "0755" },
      { path: "/etc/nats", content: "the directory itself" },
      { path: "/etc/nats/nats.conf", content: "port: 4222\n", permissions: "0600" },
      { path: UNIT, content: SERVICE },
      { path: "/etc/nats/tls/ca.pem", content: Buffer.from("CA PEM\n").toString("base64"), encoding: "b64" },
      { path: "/etc/nats/tls/key.pem", content: Buffer.from("KEY PEM\n").toString("base64"), encoding: "base64", permissions: "0400" },
      { path: "/etc/nats/plain.txt", content: "plain", encoding: "text/plain" },
      { path: "/etc/nats/empty" },
      { path: "/etc/natsx/other.conf", content: "outside" },
      { path: "/etc/nats-other.conf", content: "outside" },
    );
    expect(readNodeConfig(userData, "nats-1").workingFiles).toEqual([
      { path: "nats.conf", content: "port: 4222\n", permissions: "0600" },
      { path: "tls/ca.pem", content: "CA PEM\n", permissions: undefined },
      { path: "tls/key.pem", content: "KEY PEM\n", permissions: "0400" },
      { path: "plain.txt", content: "plain", permissions: undefined },
      { path: "empty", content: "", permissions: undefined },
    ]);
  });

  test("reads a unit's comments, blank lines, indentation, continuations, repeats and reopened sections", () => {
    const unit = [
      "# a comment, with no equals sign",
      "; another comment",
      "",
      "  [Unit]  ",
      "Description=NATS [node 1]",
      "RequiresMountsFor=/mnt/a   /mnt/b\t/mnt/c",
      "[Service]",
      "  WorkingDirectory = /srv/nats  ",
      "ExecStart=/bin/echo first",
      "ExecStart=nats-server \\",
      "  --config nats.conf \\",
      "  -p 4222",
      "=no key",
      "KillSignal=USR2",
      "[Install]",
      "WantedBy=multi-user.target",
      "[Service]",
      "TimeoutStopSec=5s",
      "EnvironmentFile=-/srv/nats/node-a.env",
      "",
    ].join("\n");
    const userData = cloudConfig({ path: UNIT, content: unit }, { path: "/srv/nats/nats.conf", content: "x" });
    expect(readNodeConfig(userData, "nats-1")).toEqual({
      workingFiles: [{ path: "nats.conf", content: "x", permissions: undefined }],
      environmentFile: "node-a.env",
      argv: ["nats-server", "--config", "nats.conf", "-p", "4222"],
      mountPoints: ["/mnt/a", "/mnt/b", "/mnt/c"],
      killSignal: "SIGUSR2",
      stopTimeoutSeconds: 5,
    });
  });

  test("a continuation line is joined with a space, as systemd does, even without one before the backslash", () => {
    const unit = "[Unit]\nRequiresMountsFor=/mnt/a\\\n/mnt/b\n[Service]\nWorkingDirectory=/etc/nats\nExecStart=nats-server\\\n--config\\\nnats.conf\n";
    expect(readNodeConfig(unitOnly(unit), "nats-1")).toMatchObject({ argv: ["nats-server", "--config", "nats.conf"], mountPoints: ["/mnt/a", "/mnt/b"] });
  });

  test.each([
    ["/etc/nats/node.env", "node.env"],
    ["-/etc/nats/node.env", "node.env"],
    ["/etc/nats/node-b.env", "node-b.env"],
    ["/etc/nats/env/node.env", "env/node.env"],
    ["/etc/default/nats", undefined],
    ["-/run/nats.env", undefined],
    ["/etc/nats", undefined],
  ])("EnvironmentFile=%s is %s under the working directory", (path, relative) => {
    expect(readNodeConfig(unitOnly(`${SERVICE}EnvironmentFile=${path}\n`), "nats-1").environmentFile).toBe(relative);
  });

  test("a [Unit] section without RequiresMountsFor has no mount points", () => {
    expect(readNodeConfig(unitOnly(`[Unit]\nDescription=x\n${SERVICE}`), "nats-1").mountPoints).toEqual([]);
    expect(readNodeConfig(unitOnly(`[Unit]\nRequiresMountsFor=\n${SERVICE}`), "nats-1").mountPoints).toEqual([]);
  });

  test.each([
    ["SIGUSR2", "SIGUSR2"],
    ["SIGTERM", "SIGTERM"],
    ["TERM", "SIGTERM"],
    ["SIGRTMIN1", "SIGRTMIN1"],
  ])("KillSignal=%s is %s", (value, signal) => {
    expect(readNodeConfig(unitOnly(`${SERVICE}KillSignal=${value}\n`), "nats-1").killSignal).toBe(signal);
  });

  test.each(["sigterm", "SIG", "SIGTERM!", "SIG-TERM", "USR 2", "xSIGTERM"])("refuses KillSignal=%s", (value) => {
    expect(() => readNodeConfig(unitOnly(`${SERVICE}KillSignal=${value}\n`), "nats-1")).toThrow(`KillSignal=${value} of nats-1 is not a signal name such as SIGTERM`);
  });

  test.each([
    ["60", 60],
    ["5s", 5],
    ["0", 0],
    ["120s", 120],
  ])("TimeoutStopSec=%s is %d seconds", (value, seconds) => {
    expect(readNodeConfig(unitOnly(`${SERVICE}TimeoutStopSec=${value}\n`), "nats-1").stopTimeoutSeconds).toBe(seconds);
  });

  test.each(["1min", "infinity", "1.5", "s", "60ss", "x60", "60 s", "-5"])("refuses TimeoutStopSec=%s", (value) => {
    expect(() => readNodeConfig(unitOnly(`${SERVICE}TimeoutStopSec=${value}\n`), "nats-1")).toThrow(`TimeoutStopSec=${value} of nats-1 is not supported by the twin: expected whole seconds`);
  });

  test("refuses user_data without a write_files list", () => {
    expect(() => readNodeConfig("#cloud-config\n", "nats-1")).toThrow("user_data of nats-1 has no write_files list");
    expect(() => readNodeConfig("#cloud-config\nruncmd: [ls]\n", "nats-1")).toThrow("user_data of nats-1 has no write_files list");
    expect(() => readNodeConfig("#cloud-config\nwrite_files:\n  path: /etc/x\n", "nats-1")).toThrow("user_data of nats-1 has no write_files list");
  });

  test("refuses user_data that writes no unit", () => {
    const userData = cloudConfig({ path: "/etc/nats/nats.conf", content: "x" }, { path: `${UNIT}.d/override.conf`, content: SERVICE });
    expect(() => readNodeConfig(userData, "nats-1")).toThrow("user_data of nats-1 writes no /etc/systemd/system/nats-server.service");
  });

  test.each(["gzip", "gz+b64", "base32"])("refuses a file with encoding %s", (encoding) => {
    const userData = cloudConfig({ path: UNIT, content: SERVICE }, { path: "/etc/nats/x.gz", content: "AAAA", encoding });
    expect(() => readNodeConfig(userData, "nats-1")).toThrow(`write_files entry /etc/nats/x.gz of nats-1 has encoding ${encoding}: the twin reads plain text and base64 only`);
  });

  test("refuses a unit line that is not key=value", () => {
    expect(() => readNodeConfig(unitOnly(`${SERVICE}  nats-server --config x  \n`), "nats-1")).toThrow(
      '/etc/systemd/system/nats-server.service of nats-1 has a line that is not key=value: "nats-server --config x"',
    );
    expect(() => readNodeConfig(unitOnly(`${SERVICE}ExecStart=a \\\nb\nc\n`), "nats-1")).toThrow('/etc/systemd/system/nats-server.service of nats-1 has a line that is not key=value: "c"');
    // A section header is the whole line.
    expect(() => readNodeConfig(unitOnly(`${SERVICE}[Install] trailing\n`), "nats-1")).toThrow(
      '/etc/systemd/system/nats-server.service of nats-1 has a line that is not key=value: "[Install] trailing"',
    );
  });

  test.each([
    ["no [Service] section", "[Unit]\nWorkingDirectory=/etc/nats\nExecStart=nats-server\n", "WorkingDirectory"],
    ["keys before any section", "WorkingDirectory=/etc/nats\nExecStart=nats-server\n[Service]\nType=simple\n", "WorkingDirectory"],
    ["no WorkingDirectory", "[Service]\nExecStart=nats-server\n", "WorkingDirectory"],
    ["an empty WorkingDirectory", "[Service]\nWorkingDirectory=\nExecStart=nats-server\n", "WorkingDirectory"],
    ["no ExecStart", "[Service]\nWorkingDirectory=/etc/nats\n", "ExecStart"],
    ["an empty ExecStart", "[Service]\nWorkingDirectory=/etc/nats\nExecStart=\n", "ExecStart"],
    ["an ExecStart emptied by a later one", "[Service]\nWorkingDirectory=/etc/nats\nExecStart=nats-server\nExecStart=\n", "ExecStart"],
    ["an ExecStart in another section", "[Service]\nWorkingDirectory=/etc/nats\n[Install]\nExecStart=nats-server\n", "ExecStart"],
  ])("refuses a unit with %s", (_what, unit, key) => {
    expect(() => readNodeConfig(unitOnly(unit), "nats-1")).toThrow(`/etc/systemd/system/nats-server.service of nats-1 has no ${key}= in [Service]`);
  });

  test("refuses an ExecStart the twin cannot split, naming the droplet", () => {
    expect(() => readNodeConfig(unitOnly("[Service]\nWorkingDirectory=/etc/nats\nExecStart=-nats-server\n"), "nats-7")).toThrow("ExecStart prefix - of nats-7 is not supported: expected a plain command line");
  });
});

describe("substituteMountPoints", () => {
  test("replaces a mount point and the paths below it, nothing that merely contains it", () => {
    const content = [
      "/mnt/data",
      'store_dir: "/mnt/data"',
      "store_dir: /mnt/data/jetstream",
      "both=/mnt/data:/mnt/data",
      "x/mnt/data",
      "./mnt/data",
      "//mnt/data",
      "-/mnt/data",
      "/mnt/data2",
      "/mnt/data.bak",
      "/mnt/data-old",
      "/mnt/data_x",
      "/mnt/data",
    ].join("\n");
    const [file] = substituteMountPoints([{ path: "nats.conf", content, permissions: "0600" }], new Map([["/mnt/data", "/tmp/twin/n1-data"]]));
    expect(file).toEqual({
      path: "nats.conf",
      permissions: "0600",
      content: [
        "/tmp/twin/n1-data",
        'store_dir: "/tmp/twin/n1-data"',
        "store_dir: /tmp/twin/n1-data/jetstream",
        "both=/tmp/twin/n1-data:/tmp/twin/n1-data",
        "x/mnt/data",
        "./mnt/data",
        "//mnt/data",
        "-/mnt/data",
        "/mnt/data2",
        "/mnt/data.bak",
        "/mnt/data-old",
        "/mnt/data_x",
        "/tmp/twin/n1-data",
      ].join("\n"),
    });
  });

  test("takes mount points literally, regex characters included", () => {
    const files: CloudFile[] = [
      { path: "a.conf", content: "/mnt/a+b /mnt/aab /mnt/v.1 /mnt/vx1 /mnt/(x) /mnt/$y" },
      { path: "b.conf", content: "nothing here" },
    ];
    const directories = new Map([
      ["/mnt/a+b", "/t/1"],
      ["/mnt/v.1", "/t/2"],
      ["/mnt/(x)", "/t/3"],
      ["/mnt/$y", "/t/4"],
    ]);
    expect(substituteMountPoints(files, directories)).toEqual([
      { path: "a.conf", content: "/t/1 /mnt/aab /t/2 /mnt/vx1 /t/3 /t/4" },
      { path: "b.conf", content: "nothing here" },
    ]);
  });

  test("a directory with $ characters is put in as written", () => {
    const [file] = substituteMountPoints([{ path: "a", content: "store_dir: /mnt/data/js" }], new Map([["/mnt/data", "/tmp/$&-$1-$$"]]));
    expect(file.content).toBe("store_dir: /tmp/$&-$1-$$/js");
  });

  test("no mount points, no change", () => {
    expect(substituteMountPoints([{ path: "a", content: "/mnt/data" }], new Map())).toEqual([{ path: "a", content: "/mnt/data" }]);
    expect(substituteMountPoints([], new Map([["/mnt/data", "/t"]]))).toEqual([]);
  });
});

describe("clientCredentials", () => {
  test("reads a token from the top-level authorization block, not the cluster's", () => {
    const conf = 'port: 4222\nauthorization {\n  token: "t0k"\n}\ncluster {\n  authorization {\n    user: "route"\n    password: "r"\n  }\n}\n';
    expect(clientCredentials(conf)).toEqual({ token: "t0k" });
  });

  test("reads a user and a password, in either assignment style", () => {
    expect(clientCredentials('authorization{\nuser="nats"\n  password : "p w"\n}\n')).toEqual({ user: "nats", password: "p w" });
    expect(clientCredentials('authorization   {\n  password: ""\n  user:"u"\n}\n')).toEqual({ user: "u", password: "" });
  });

  test("reads nothing without a top-level authorization block", () => {
    expect(clientCredentials('cluster {\n  authorization {\n    user: "route"\n    password: "r"\n  }\n}\n')).toEqual({});
    expect(clientCredentials("")).toEqual({});
    expect(clientCredentials('authorization {\n  token: "t"\n')).toEqual({});
  });

  test("the block ends at the closing brace on a line of its own, not at a brace inside it", () => {
    const conf = 'authorization {\n  default_permissions = { publish: "orders.>" }\n  token: "t0k"\n}\nsystem_account: SYS\n';
    expect(clientCredentials(conf)).toStrictEqual({ token: "t0k" });
  });

  test("a credential the block lacks is no key at all, not one set to undefined", () => {
    expect(clientCredentials('authorization {\n  token: "t0k"\n}\n')).toStrictEqual({ token: "t0k" });
    expect(Object.keys(clientCredentials('authorization {\n  user: "u"\n  password: "p"\n}\n'))).toEqual(["user", "password"]);
  });

  test("ignores keys that only end in a credential's name and unquoted values", () => {
    expect(clientCredentials('authorization {\n  mytoken: "x"\n  user: nats\n  password: "p"\n}\n')).toEqual({ password: "p" });
    expect(clientCredentials('authorization {\n  timeout: 1\n}\n')).toEqual({});
  });
});

describe("readNodeConfig on synthesized stacks", () => {
  const CA = "-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n";
  const CERT = "-----BEGIN CERTIFICATE-----\nnode-2\n-----END CERTIFICATE-----\n";
  const KEY = "-----BEGIN EC PRIVATE KEY-----\nnode-2\n-----END EC PRIVATE KEY-----\n";
  const SECRETS = new Map([
    ["cluster_auth_client-secret_E03882C3", "client-token"],
    ["cluster_auth_route-password_F61A7141", "route-pass"],
  ]);
  const ADDRESSES = new Map([
    ["cluster_nodes_node-1_9627E290", "127.0.0.11"],
    ["cluster_nodes_node-2_FC5329C6", "127.0.0.12"],
    ["cluster_nodes_node-3_58FAF003", "127.0.0.13"],
  ]);
  const SEED = new Map([["cluster_seed-load-balancer_lb_12C0E80C", "127.0.0.14"]]);
  const PEMS = new Map([
    ["tls_self_signed_cert.cluster_tls_ca_539C0220.cert_pem", CA],
    ["tls_locally_signed_cert.cluster_tls_node-2-cert_7FA0D5C9.cert_pem", CERT],
    ["tls_private_key.cluster_tls_node-2-key_BFD5118F.private_key_pem", KEY],
  ]);

  let defaultStack: Record<string, string>;
  let tutorial: Record<string, string>;
  let userPassword: Record<string, string>;

  /** The user_data of each droplet, by resource id. */
  function userDataOf(json: TerraformJson): Record<string, string> {
    return Object.fromEntries(Object.entries(json.resource.digitalocean_droplet).map(([id, body]) => [id, String(body.user_data)]));
  }

  beforeAll(() => {
    defaultStack = userDataOf(synthJson(testStack(DEFAULT_STACK)));
    tutorial = userDataOf(synthJson(testStack(TUTORIAL_STACK, "nats-tutorial")));
    userPassword = userDataOf(synthJson(testStack({ nodeCount: 1, auth: { client: "user-password", clientUser: "alice" }, tls: false, jetstream: false })));
  });

  test("the default stack: every reference of node 2 is replaced", () => {
    const raw = defaultStack["cluster_nodes_node-2_FC5329C6"];
    const expected = raw
      .replaceAll("${random_password.cluster_auth_client-secret_E03882C3.result}", "client-token")
      .replaceAll("${random_password.cluster_auth_route-password_F61A7141.result}", "route-pass")
      .replaceAll("${digitalocean_loadbalancer.cluster_seed-load-balancer_lb_12C0E80C.ip}", "127.0.0.14")
      .replaceAll("${base64encode(tls_self_signed_cert.cluster_tls_ca_539C0220.cert_pem)}", Buffer.from(CA).toString("base64"))
      .replaceAll("${base64encode(tls_locally_signed_cert.cluster_tls_node-2-cert_7FA0D5C9.cert_pem)}", Buffer.from(CERT).toString("base64"))
      .replaceAll("${base64encode(tls_private_key.cluster_tls_node-2-key_BFD5118F.private_key_pem)}", Buffer.from(KEY).toString("base64"));
    expect(expected).not.toContain("${");
    expect(substituteReferences(raw, { addresses: ADDRESSES, loadBalancers: SEED, secrets: SECRETS, pems: PEMS }, "nats-2")).toBe(expected);
  });

  test("the default stack: node 2 runs nats-server from /etc/nats with TLS files, a volume and a lame-duck stop", () => {
    const userData = substituteReferences(defaultStack["cluster_nodes_node-2_FC5329C6"], { addresses: ADDRESSES, loadBalancers: SEED, secrets: SECRETS, pems: PEMS }, "nats-2");
    const config = readNodeConfig(userData, "nats-2");
    expect(config.argv).toEqual([
      "/bin/sh",
      "-c",
      "exec nats-server --config nats-server.conf --server_name nats-2 -a $PRIVATE_IP -p 4222 -m 8222 --cluster_name nats --cluster_advertise $PRIVATE_IP:6222 --no_advertise",
    ]);
    expect(config.environmentFile).toBe("node.env");
    expect(config.mountPoints).toEqual(["/mnt/nats-data"]);
    expect(config.killSignal).toBe("SIGUSR2");
    expect(config.stopTimeoutSeconds).toBe(60);
    expect(config.workingFiles.map((file) => [file.path, file.permissions])).toEqual([
      ["nats-server.conf", "0600"],
      ["tls/ca.pem", "0600"],
      ["tls/server.pem", "0600"],
      ["tls/server-key.pem", "0600"],
    ]);
    expect(config.workingFiles.slice(1).map((file) => file.content)).toEqual([CA, CERT, KEY]);
    const conf = config.workingFiles[0].content;
    expect(conf.split("\n").filter((line) => !line.startsWith("#") && /token|password|routes|store_dir|_file:/.test(line))).toEqual([
      '  store_dir: "/mnt/nats-data"',
      '  token: "client-token"',
      '  cert_file: "tls/server.pem"',
      '  key_file: "tls/server-key.pem"',
      '  ca_file: "tls/ca.pem"',
      '    password: "route-pass"',
      '    cert_file: "tls/server.pem"',
      '    key_file: "tls/server-key.pem"',
      '    ca_file: "tls/ca.pem"',
      '  routes: ["nats://route:route-pass@localhost:6222", "nats://route:route-pass@127.0.0.14:6222"]',
    ]);
    expect(clientCredentials(conf)).toEqual({ token: "client-token" });
    const [moved] = substituteMountPoints(config.workingFiles.slice(0, 1), new Map([["/mnt/nats-data", "/tmp/twin/nats-2-data"]]));
    expect(moved.content.split("\n").filter((line) => line.includes("store_dir"))).toEqual(['  store_dir: "/tmp/twin/nats-2-data"']);
    expect(moved.content).not.toContain("/mnt/nats-data");
  });

  test("the default stack: node 2's user_data needs the seed load balancer, the secrets and the PEMs", () => {
    const userData = defaultStack["cluster_nodes_node-2_FC5329C6"];
    expect(() => substituteReferences(userData, { addresses: ADDRESSES, loadBalancers: new Map(), secrets: new Map(), pems: PEMS }, "nats-2")).toThrow(
      "${random_password.cluster_auth_client-secret_E03882C3.result} in user_data of nats-2 names a resource the plan does not have",
    );
    expect(() => substituteReferences(userData, { addresses: ADDRESSES, loadBalancers: new Map(), secrets: SECRETS, pems: PEMS }, "nats-2")).toThrow(
      "${digitalocean_loadbalancer.cluster_seed-load-balancer_lb_12C0E80C.ip} in user_data of nats-2 names a resource the plan does not have",
    );
    expect(() => substituteReferences(userData, { addresses: ADDRESSES, loadBalancers: SEED, secrets: SECRETS }, "nats-2")).toThrow(
      "${tls_self_signed_cert.cluster_tls_ca_539C0220.cert_pem} in user_data of nats-2 names a resource the plan does not have",
    );
  });

  test("the tutorial stack: node 2 routes to node 1's address and has no auth, TLS or volume", () => {
    const userData = substituteReferences(tutorial["cluster_nodes_node-2_FC5329C6"], refsWith({ addresses: ADDRESSES }), "nats-droplet-2");
    const config = readNodeConfig(userData, "nats-droplet-2");
    expect(config.argv).toEqual([
      "/bin/sh",
      "-c",
      "exec nats-server --config nats-server.conf --server_name nats-droplet-2 -a $PRIVATE_IP -p 4222 -m 8222 --cluster_name nats --cluster nats://$PRIVATE_IP:5222 --cluster_advertise $PRIVATE_IP:5222 --routes nats://127.0.0.11:5222",
    ]);
    expect(config.workingFiles.map((file) => [file.path, file.permissions])).toEqual([["nats-server.conf", "0600"]]);
    expect(config.environmentFile).toBe("node.env");
    expect(config.mountPoints).toEqual([]);
    expect(config.killSignal).toBe("SIGUSR2");
    expect(config.stopTimeoutSeconds).toBe(60);
    expect(clientCredentials(config.workingFiles[0].content)).toEqual({});
  });

  test("the tutorial stack: node 1 has no reference at all", () => {
    const raw = tutorial["cluster_nodes_node-1_9627E290"];
    expect(substituteReferences(raw, refsWith(), "nats-droplet-1")).toBe(raw);
    expect(readNodeConfig(raw, "nats-droplet-1").argv[2]).toBe(
      "exec nats-server --config nats-server.conf --server_name nats-droplet-1 -a $PRIVATE_IP -p 4222 -m 8222 --cluster_name nats --cluster nats://$PRIVATE_IP:5222 --cluster_advertise $PRIVATE_IP:5222",
    );
  });

  test("user and password auth without TLS or JetStream: the client credentials are the user's", () => {
    const userData = substituteReferences(userPassword["cluster_nodes_node-1_9627E290"], refsWith({ secrets: SECRETS }), "nats-1");
    const config = readNodeConfig(userData, "nats-1");
    expect(config.workingFiles.map((file) => file.path)).toEqual(["nats-server.conf"]);
    expect(config.mountPoints).toEqual([]);
    expect(config.argv).toEqual([
      "/bin/sh",
      "-c",
      "exec nats-server --config nats-server.conf --server_name nats-1 -a $PRIVATE_IP -p 4222 -m 8222 --cluster_name nats --cluster_advertise $PRIVATE_IP:6222 --no_advertise",
    ]);
    expect(clientCredentials(config.workingFiles[0].content)).toEqual({ user: "alice", password: "client-token" });
  });
});

describe("NATS_TWIN_SECRET_* variables that name no random_password of the plan", () => {
  const ids = ["cluster_auth_client-secret_E03882C3", "cluster_auth_route-password_5B0D6F3E"];

  test("a misspelled one fails, with the closest name", () => {
    expect(() => assertSecretVariables(ids, { NATS_TWIN_SECRET_CLUSTER_AUTH_CLIENT_SECRT_E03882C3: "mine" })).toThrow(
      new Error("NATS_TWIN_SECRET_CLUSTER_AUTH_CLIENT_SECRT_E03882C3 names no random_password of the plan: did you mean NATS_TWIN_SECRET_CLUSTER_AUTH_CLIENT_SECRET_E03882C3?"),
    );
  });

  test("one far from every name lists them; a plan without passwords says so; every bad one is named", () => {
    expect(() => assertSecretVariables(ids, { NATS_TWIN_SECRET_X: "a" })).toThrow(
      /^NATS_TWIN_SECRET_X names no random_password of the plan: expected one of NATS_TWIN_SECRET_CLUSTER_AUTH_CLIENT_SECRET_E03882C3, NATS_TWIN_SECRET_CLUSTER_AUTH_ROUTE_PASSWORD_5B0D6F3E$/,
    );
    expect(() => assertSecretVariables([], { NATS_TWIN_SECRET_A: "a", NATS_TWIN_SECRET_B: "b" })).toThrow(
      new Error("NATS_TWIN_SECRET_A names no random_password of the plan: the plan has none; NATS_TWIN_SECRET_B names no random_password of the plan: the plan has none"),
    );
  });

  test("every bad one is named in alphabetical order, whatever the environment's order", () => {
    expect(() => assertSecretVariables([], { NATS_TWIN_SECRET_B: "b", NATS_TWIN_SECRET_C: "c", NATS_TWIN_SECRET_A: "a" })).toThrow(
      new Error(["A", "B", "C"].map((suffix) => `NATS_TWIN_SECRET_${suffix} names no random_password of the plan: the plan has none`).join("; ")),
    );
  });

  test("a name longer than 80 characters is cut to 79 and an ellipsis; one of 80 is shown whole", () => {
    const eighty = `NATS_TWIN_SECRET_${"X".repeat(63)}`;
    expect(eighty).toHaveLength(80);
    expect(() => assertSecretVariables([], { [eighty]: "a" })).toThrow(new Error(`${eighty} names no random_password of the plan: the plan has none`));
    expect(() => assertSecretVariables([], { [`${eighty}Y`]: "a" })).toThrow(new Error(`${eighty.slice(0, 79)}… names no random_password of the plan: the plan has none`));
  });

  test("the plan's own names and other variables pass", () => {
    expect(() => assertSecretVariables(ids, { NATS_TWIN_SECRET_CLUSTER_AUTH_CLIENT_SECRET_E03882C3: "mine", NATS_TWIN_SERVER: "/bin/nats-server", NATS_TOKEN: "t" })).not.toThrow();
  });
});
