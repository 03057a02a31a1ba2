import { TerraformStack, Testing } from "cdktf";
import { NatsAuth } from "../constructs/nats-auth";
import { resourcesOf, synthJson, testStack } from "./helpers";

function confOf(userData: unknown): string {
  return String(userData).split("/etc/nats/nats-server.conf")[1];
}

describe("NatsAuth", () => {
  test("default: generated route password and client token, referenced from the 0600 config", () => {
    const json = synthJson(testStack());
    const passwords = resourcesOf(json, "random_password");
    expect(passwords).toEqual([
      expect.objectContaining({ length: 32, special: false }),
      expect.objectContaining({ length: 32, special: false }),
    ]);
    for (const d of resourcesOf(json, "digitalocean_droplet")) {
      const conf = confOf(d.user_data);
      expect(conf).toMatch(/authorization \{\n\s+token: "\$\{random_password\.[\w-]+\.result\}"/);
      expect(conf).toMatch(/cluster \{\n(?:.*\n)*?\s+authorization \{\n\s+user: "route"\n\s+password: "\$\{random_password\.[\w-]+\.result\}"/);
    }
  });

  test("user and password for clients", () => {
    const auth = new NatsAuth(new TerraformStack(Testing.app(), "s"), "auth", { client: "user-password", clientUser: "app" });
    expect(auth.clientAuthorization).toMatch(/user: "app"\n\s+password: "\$\{TfToken\[TOKEN\.\d+\]\}"/);
    expect(auth.clientUser).toBe("app");
  });

  test("the client token and the route password are different secrets; the client user defaults to nats", () => {
    const auth = new NatsAuth(new TerraformStack(Testing.app(), "s"), "auth");
    expect(auth.client).toBe("token");
    expect(auth.clientAuthorization).toBe(`authorization {\n  token: "${auth.clientSecret}"\n}`);
    expect(auth.routeCredentials?.password).not.toBe(auth.clientSecret);
    const users = new NatsAuth(new TerraformStack(Testing.app(), "s"), "auth", { client: "user-password" });
    expect(users.clientUser).toBe("nats");
    expect(users.clientAuthorization).toBe(`authorization {\n  user: "nats"\n  password: "${users.clientSecret}"\n}`);
  });

  test("routes: false leaves routes unauthenticated", () => {
    const stack = new TerraformStack(Testing.app(), "s");
    const auth = new NatsAuth(stack, "auth", { routes: false });
    expect(auth.routeCredentials).toBeUndefined();
    expect(resourcesOf(JSON.parse(Testing.synth(stack)), "random_password")).toHaveLength(1);
  });

  test("no client auth, routes only", () => {
    const auth = new NatsAuth(new TerraformStack(Testing.app(), "s"), "auth", { client: "none" });
    expect(auth.clientSecret).toBeUndefined();
    expect(auth.clientAuthorization).toBeUndefined();
    expect(auth.routeCredentials).toEqual({ user: "route", password: expect.stringContaining("TfToken") });
  });

  test("auth: false leaves the config without authorization and creates no secrets", () => {
    const json = synthJson(testStack({ auth: false }));
    expect(resourcesOf(json, "random_password")).toEqual([]);
    expect(confOf(resourcesOf(json, "digitalocean_droplet")[0].user_data)).not.toContain("authorization");
  });

  test("rejects unknown client auth modes and bad user names", () => {
    expect(() => new NatsAuth(new TerraformStack(Testing.app(), "s"), "a", { client: "mtls" as never })).toThrow(/auth\.client "mtls" is not allowed: expected one of none, token, user-password/);
    expect(() => new NatsAuth(new TerraformStack(Testing.app(), "s"), "a", { client: "user-password", clientUser: "a b" })).toThrow(/auth\.clientUser "a b" is not valid/);
  });
});
