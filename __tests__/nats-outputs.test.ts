import { DEFAULT_STACK, TUTORIAL_STACK } from "../constructs/stacks";
import { synthJson, testStack } from "./helpers";

describe("NatsOutputs", () => {
  test("tutorial: LB address, client URL, monitoring URL and every node's addresses", () => {
    const out = synthJson(testStack(TUTORIAL_STACK)).output!;
    expect(Object.keys(out).sort()).toEqual(["load_balancer_ip", "monitoring_url", "nats_url", "nodes"]);
    expect(out.nats_url.value).toMatch(/^nats:\/\/\$\{digitalocean_loadbalancer\.[\w-]+\.ip\}:4222$/);
    expect(out.monitoring_url.value).toMatch(/^http:\/\/\$\{digitalocean_loadbalancer\.[\w-]+\.ip\}:8222$/);
    expect(out.monitoring_url.description).toBe("NATS monitoring (/varz, /routez, /connz) through the load balancer");
    expect(Object.keys(out.nodes.value as object)).toEqual(["nats-droplet-1", "nats-droplet-2"]);
    expect((out.nodes.value as Record<string, object>)["nats-droplet-2"]).toEqual({
      public_ipv4: expect.stringMatching(/\.ipv4_address\}$/),
      private_ipv4: expect.stringMatching(/\.ipv4_address_private\}$/),
    });
  });

  test("default: no monitoring URL (not published); the client token is a sensitive output", () => {
    const out = synthJson(testStack(DEFAULT_STACK)).output!;
    expect(out).not.toHaveProperty("monitoring_url");
    expect(out.client_secret).toMatchObject({ sensitive: true, value: expect.stringMatching(/^\$\{random_password\.[\w-]+\.result\}$/) });
    expect(out.nats_url.sensitive).toBe(false);
  });
});
