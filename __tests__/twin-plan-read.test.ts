import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_PASSWORD_SPECIALS, passwordAlphabet, readPlan } from "../twin/plan";

// Unit test: the twin's reading of a hand-written plan (no synthesis, no process).

const USER_DATA = (version: string) => `#cloud-config\n    method="release"\n    version="${version}"\n`;

function lb(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: "front",
    droplet_tag: "nats",
    forwarding_rule: [{ entry_port: 4222, entry_protocol: "tcp", target_port: 4222 }],
    healthcheck: { protocol: "tcp", port: 4222 },
    ...overrides,
  };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "twin-plan-read-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a plan with these resources (and outputs) and reads it. */
function read(resource: Record<string, Record<string, Record<string, unknown>>>, output?: Record<string, unknown>) {
  const file = join(dir, "cdk.tf.json");
  writeFileSync(file, JSON.stringify({ resource, output }));
  return readPlan(file);
}

function node(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: "nats-1", user_data: USER_DATA("2.11.1"), tags: ["nats"], ...overrides };
}

describe("readPlan", () => {
  test("the public load balancer is the one without network INTERNAL; the internal ones are kept apart", () => {
    const plan = read({ digitalocean_droplet: { a: node() }, digitalocean_loadbalancer: { pub: lb(), seed: lb({ name: "seed", network: "INTERNAL" }), internal2: lb({ name: "other", network: "INTERNAL" }) } });
    expect(plan.loadBalancer.id).toBe("pub");
    expect(plan.internalLoadBalancers.map((b) => [b.id, b.internal])).toEqual([["seed", true], ["internal2", true]]);
    expect(plan.loadBalancer.internal).toBe(false);
  });

  test("an endless file such as /dev/zero is refused as a synthesized stack past 16 MiB, not read to the end", () => {
    expect(() => readPlan("/dev/zero")).toThrow(new Error("synthesized stack /dev/zero is larger than 16777216 bytes: it cannot be what was asked for"));
  });

  test("two public load balancers are refused", () => {
    expect(() => read({ digitalocean_droplet: { a: node() }, digitalocean_loadbalancer: { one: lb(), two: lb() } })).toThrow(
      new Error(`${join(dir, "cdk.tf.json")} has 2 public digitalocean_loadbalancer resources: the twin needs exactly one`),
    );
  });

  test("tls_server_name is read when it is a string output", () => {
    const resources = { digitalocean_droplet: { a: node() }, digitalocean_loadbalancer: { pub: lb() } };
    expect(read(resources, { tls_server_name: { value: "nats.internal" } }).tlsServerName).toBe("nats.internal");
    expect(read(resources, { tls_server_name: { value: 7 } }).tlsServerName).toBeUndefined();
    expect(read(resources, { other: { value: "x" } }).tlsServerName).toBeUndefined();
    expect(read(resources).tlsServerName).toBeUndefined();
  });

  test.each(["2.11.1", "2.11.10", "12.0.0"])("accepts the release %s", (version) => {
    const plan = read({ digitalocean_droplet: { a: node({ user_data: USER_DATA(version) }) }, digitalocean_loadbalancer: { pub: lb() } });
    expect(plan.droplets.map((d) => d.natsVersion)).toEqual([version]);
  });

  test.each([
    ["v2.11.1", "v2.11.1"],
    ["2.11.1-rc.1", "2.11.1-rc.1"],
    ["2.11", "2.11"],
  ])("refuses the release %s", (version, found) => {
    expect(() => read({ digitalocean_droplet: { a: node({ user_data: USER_DATA(version) }) }, digitalocean_loadbalancer: { pub: lb() } })).toThrow(
      new Error(`droplet nats-1 pins no nats-server release in its user_data (found ${found}): the twin runs the version the droplet installs, so it must be X.Y.Z`),
    );
  });

  test("user_data without a version is refused, saying none was found", () => {
    expect(() => read({ digitalocean_droplet: { a: node({ user_data: "#cloud-config\n" }) }, digitalocean_loadbalancer: { pub: lb() } })).toThrow(
      new Error("droplet nats-1 pins no nats-server release in its user_data (found none): the twin runs the version the droplet installs, so it must be X.Y.Z"),
    );
  });

  test("a droplet without tags has none; volumes are the plan's own, by reference", () => {
    const plan = read({
      digitalocean_droplet: { a: node({ tags: undefined, volume_ids: ["${digitalocean_volume.data-1.id}", "${digitalocean_volume.x.id}"] }) },
      digitalocean_loadbalancer: { pub: lb() },
    });
    expect(plan.droplets.map((d) => [d.tags, d.volumes])).toEqual([[[], ["data-1", "x"]]]);
  });

  test.each(["vol-123", "x${digitalocean_volume.a.id}", "${digitalocean_volume.a.id}x", "${digitalocean_volume..id}", "${digitalocean_volume.a b.id}"])(
    "refuses the volume reference %s",
    (reference) => {
      expect(() => read({ digitalocean_droplet: { a: node({ volume_ids: [reference] }) }, digitalocean_loadbalancer: { pub: lb() } })).toThrow(
        new Error(`volume_ids entry ${reference} of droplet nats-1 is not a reference to a digitalocean_volume of this plan`),
      );
    },
  );
});

describe("passwordAlphabet: what a random_password can produce, by terraform-provider-random's defaults", () => {
  const upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  const lower = "abcdefghijklmnopqrstuvwxyz";
  const digits = "0123456789";
  test("every class on by default, with the provider's special characters", () => {
    expect(passwordAlphabet({ length: 32 })).toBe(`${upper}${lower}${digits}${DEFAULT_PASSWORD_SPECIALS}`);
    expect(DEFAULT_PASSWORD_SPECIALS).toBe("!@#$%&*()-_=+[]{}<>:?");
  });

  test("special = false, as the stacks set it: letters and digits", () => {
    expect(passwordAlphabet({ length: 32, special: false })).toBe(`${upper}${lower}${digits}`);
  });

  test("each class turned off on its own; override_special replaces the special characters", () => {
    expect(passwordAlphabet({ upper: false, special: false })).toBe(`${lower}${digits}`);
    expect(passwordAlphabet({ lower: false, special: false })).toBe(`${upper}${digits}`);
    expect(passwordAlphabet({ numeric: false, special: false })).toBe(`${upper}${lower}`);
    expect(passwordAlphabet({ number: false, special: false })).toBe(`${upper}${lower}`);
    expect(passwordAlphabet({ upper: false, lower: false, numeric: false, override_special: "-_" })).toBe("-_");
  });
});
