import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Server, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { clientCredentials, readNodeConfig, secretEnvName, secretFor, splitExecStart, substituteReferences } from "../twin/cloud-config";
import { renderHaproxyConfig, scaledCheck } from "../twin/haproxy";
import { freshStackFile } from "../plan/synth";
import { readPlan } from "../twin/plan";
import { childPids } from "../twin/probe";
import { findExecutable } from "../twin/process";
import { assignAddresses } from "../twin/addresses";
import { bootTwin } from "../twin/twin";

// Integration test: synthesizes the app and boots twins (processes).
jest.setTimeout(120_000);

// Loopback block of this file: the load balancer on .10, nodes on .11 and up.
const BASE = "127.0.3.10";

describe("splitExecStart", () => {
  test("takes single-quoted words literally", () => {
    expect(splitExecStart("/bin/sh -c 'exec nats-server -a $PRIVATE_IP'")).toEqual(["/bin/sh", "-c", "exec nats-server -a $PRIVATE_IP"]);
  });

  test("unescapes double-quoted words and %%", () => {
    expect(splitExecStart('/bin/echo "a \\"b\\" c" 100%%')).toEqual(["/bin/echo", 'a "b" c', "100%"]);
  });

  test.each([
    ["-/bin/true", /prefix -/],
    ["/bin/echo %i", /% specifier/],
    ["/bin/echo ${HOME}", /\$\{VAR\} expansion/],
    ["/bin/sh -c 'unbalanced", /cannot be split/],
  ])("rejects %s", (execStart, message) => {
    expect(() => splitExecStart(execStart)).toThrow(message);
  });
});

describe("substituteReferences", () => {
  const refs = { addresses: new Map([["seed", "127.0.0.11"]]), loadBalancers: new Map([["seed-lb", "127.0.0.14"]]), secrets: new Map([["pw", "s3cret"]]) };

  test("replaces droplet and load balancer addresses and passwords and unescapes $${ and %%{", () => {
    const text = "--routes nats://${digitalocean_droplet.seed.ipv4_address_private}:6222 nats://${digitalocean_loadbalancer.seed-lb.ip}:6222 ${random_password.pw.result} $${HOME} %%{x}";
    expect(substituteReferences(text, refs, "nats-2")).toBe("--routes nats://127.0.0.11:6222 nats://127.0.0.14:6222 s3cret ${HOME} %{x}");
  });

  test.each([
    ["${var.region}", /unsupported terraform reference \$\{var\.region\} in user_data of nats-2: only/],
    ["${digitalocean_droplet.other.ipv4_address_private}", /names a resource the plan does not have/],
    ["${digitalocean_loadbalancer.other.ip}", /names a resource the plan does not have/],
    ["${digitalocean_droplet.seed.ipv4_address}", /unsupported terraform reference/],
    ["%{ if true }x%{ endif }", /unsupported terraform template directive %\{ if true \}/],
  ])("rejects %s", (text, message) => {
    expect(() => substituteReferences(text, refs, "nats-2")).toThrow(message);
  });
});

describe("secrets", () => {
  test("come from the option, then NATS_TWIN_SECRET_<ID>, else 32 random alphanumerics", () => {
    const id = "cluster_auth_client-secret_E03882C3";
    expect(secretEnvName(id)).toBe("NATS_TWIN_SECRET_CLUSTER_AUTH_CLIENT_SECRET_E03882C3");
    expect(secretFor(id, { [id]: "given" }, { [secretEnvName(id)]: "env" })).toBe("given");
    expect(secretFor(id, {}, { [secretEnvName(id)]: "env" })).toBe("env");
    expect(secretFor(id, {}, {})).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(secretFor(id, {}, {})).not.toBe(secretFor(id, {}, {}));
  });
});

describe("assignAddresses", () => {
  test("gives the load balancer the base and node i the last octet + i", () => {
    expect(assignAddresses("127.0.3.10", 3)).toEqual({ lb: "127.0.3.10", nodes: ["127.0.3.11", "127.0.3.12", "127.0.3.13"], internal: [] });
  });

  test("gives internal load balancers the addresses after the last node", () => {
    expect(assignAddresses("127.0.3.10", 3, 1)).toEqual({ lb: "127.0.3.10", nodes: ["127.0.3.11", "127.0.3.12", "127.0.3.13"], internal: ["127.0.3.14"] });
    expect(() => assignAddresses("127.0.3.251", 3, 1)).toThrow(/leaves no room for 3 nodes and 1 internal load balancers: its last octet must be at most 250/);
  });

  test.each([
    ["10.0.0.1", /not a loopback IPv4 address: expected 127\.x\.y\.z/],
    ["127.0.0", /not a loopback/],
    ["127.0.0.253", /no room for 3 nodes: its last octet must be at most 251/],
  ])("rejects %s", (base, message) => {
    expect(() => assignAddresses(base, 3)).toThrow(message);
  });
});

describe("clientCredentials", () => {
  test("reads a token, a user and password, or nothing from the top-level authorization block", () => {
    const cluster = 'cluster {\n  authorization {\n    user: "route"\n    password: "r"\n  }\n}\n';
    expect(clientCredentials(`authorization {\n  token: "t"\n}\n${cluster}`)).toEqual({ token: "t" });
    expect(clientCredentials(`authorization {\n  user: "nats"\n  password: "p"\n}\n`)).toEqual({ user: "nats", password: "p" });
    expect(clientCredentials(cluster)).toEqual({});
  });
});

describe("the tutorial plan", () => {
  const plan = readPlan(freshStackFile("nats-tutorial"));

  test("orders droplets by node number and resolves their tag", () => {
    expect(plan.droplets.map((droplet) => [droplet.name, droplet.tags])).toEqual([
      ["nats-droplet-1", ["nats"]],
      ["nats-droplet-2", ["nats"]],
    ]);
  });

  test("runs the unit's ExecStart through /bin/sh -c from /etc/nats", () => {
    const config = readNodeConfig(plan.droplets[0].userData, "nats-droplet-1");
    expect(config.argv.slice(0, 2)).toEqual(["/bin/sh", "-c"]);
    expect(config.argv[2]).toMatch(/^exec nats-server --config nats-server\.conf .*-a \$PRIVATE_IP -p 4222 -m 8222/);
    expect(config.workingFiles.map((file) => file.path)).toEqual(["nats-server.conf"]);
    expect(config.environmentFile).toBe("node.env");
  });

  test("becomes an HAProxy config with one frontend per rule and the one health check everywhere", () => {
    const servers = [
      { name: "nats-droplet-1", address: "127.0.0.11" },
      { name: "nats-droplet-2", address: "127.0.0.12" },
    ];
    expect(renderHaproxyConfig(plan.loadBalancer, "127.0.0.10", servers, scaledCheck(plan.loadBalancer, 0.2), "/tmp/s.sock")).toMatchSnapshot();
  });

  test("a tcp health check is a plain connect check on its port", () => {
    const tcp = { ...plan.loadBalancer, healthCheck: { ...plan.loadBalancer.healthCheck, protocol: "tcp", port: 4222, path: undefined } };
    const config = renderHaproxyConfig(tcp, "127.0.0.10", [{ name: "n1", address: "127.0.0.11" }], scaledCheck(tcp, 1), "/tmp/s.sock");
    expect(config).not.toMatch(/httpchk/);
    expect(config).toMatch(/server n1 127\.0\.0\.11:4222 check port 4222 inter 5000ms rise 5 fall 3/);
  });
});

describe("bootTwin refuses", () => {
  const dir = mkdtempSync(join(tmpdir(), "twin-plan-test-"));
  const original = JSON.parse(readFileSync(freshStackFile("nats-tutorial"), "utf8")) as { resource: Record<string, Record<string, Record<string, unknown>>> };
  let blocker: Server | undefined;

  /** Writes a copy of the tutorial plan changed by `edit` and returns its path. */
  function planWith(name: string, edit: (resource: typeof original.resource) => void): string {
    const copy = structuredClone(original);
    edit(copy.resource);
    const file = join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(copy));
    return file;
  }

  afterAll(async () => {
    await new Promise((resolve) => (blocker === undefined ? resolve(undefined) : blocker.close(resolve)));
    rmSync(dir, { recursive: true, force: true });
    expect(childPids()).toEqual([]);
  });

  test("a plan without droplets", async () => {
    const file = planWith("no-droplets", (resource) => delete resource.digitalocean_droplet);
    await expect(bootTwin({ planFile: file, addressBase: BASE })).rejects.toThrow(/has no digitalocean_droplet resources/);
  });

  test("a plan without a load balancer", async () => {
    const file = planWith("no-lb", (resource) => delete resource.digitalocean_loadbalancer);
    await expect(bootTwin({ planFile: file, addressBase: BASE })).rejects.toThrow(/has 0 public digitalocean_loadbalancer resources: the twin needs exactly one/);
  });

  test("user_data that cloud-init rejects, with cloud-init's message", async () => {
    const file = planWith("bad-cloud-config", (resource) => {
      const droplet = Object.values(resource.digitalocean_droplet)[1];
      droplet.user_data = String(droplet.user_data).replace("#cloud-config\n", "");
    });
    await expect(bootTwin({ planFile: file, addressBase: BASE })).rejects.toThrow(/cloud-init rejects the user_data of nats-droplet-2: .*#cloud-config/s);
  });

  test("a port that is already taken, naming it", async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => (blocker as Server).listen(4222, BASE, resolve));
    await expect(bootTwin({ stack: "nats-tutorial", addressBase: BASE, timeScale: 0.2 })).rejects.toThrow(/port 4222 on 127\.0\.3\.10 \(load balancer nats-lb\) is not free: EADDRINUSE/);
  });

  test("a droplet whose user_data pins no nats-server release", async () => {
    const file = planWith("no-version", (resource) => {
      const droplet = Object.values(resource.digitalocean_droplet)[1];
      droplet.user_data = String(droplet.user_data).replace(/^\s*version=.*$/m, "");
    });
    await expect(bootTwin({ planFile: file, addressBase: BASE })).rejects.toThrow(/droplet nats-droplet-2 pins no nats-server release in its user_data \(found none\)/);
  });

  test("a unit that runs nats-server from a fixed path, which the twin could not replace", async () => {
    const file = planWith("fixed-path", (resource) => {
      const droplet = Object.values(resource.digitalocean_droplet)[0];
      droplet.user_data = String(droplet.user_data).replace("exec nats-server ", "exec /usr/local/bin/nats-server ");
    });
    await expect(bootTwin({ planFile: file, addressBase: BASE })).rejects.toThrow(/the unit of nats-droplet-1 runs \/usr\/local\/bin\/nats-server: the twin supplies nats-server through PATH/);
  });

  test("a NATS_TWIN_SERVER of another major.minor, naming both versions and the override", async () => {
    const fake = join(dir, "nats-server-2.10");
    writeFileSync(fake, '#!/bin/sh\necho "nats-server: v2.10.27"\n', { mode: 0o755 });
    process.env.NATS_TWIN_SERVER = fake;
    try {
      await expect(bootTwin({ stack: "nats-tutorial", addressBase: BASE })).rejects.toThrow(
        /NATS_TWIN_SERVER=.*nats-server-2\.10 is nats-server 2\.10\.27 but the plan installs 2\.15\.0: .*--allow-version-mismatch/,
      );
    } finally {
      delete process.env.NATS_TWIN_SERVER;
    }
  });

  test("a missing executable, with the install command", () => {
    expect(() => findExecutable("no-such-nats-tool", "apt-get install no-such-nats-tool")).toThrow("no-such-nats-tool not found: apt-get install no-such-nats-tool");
  });
});
