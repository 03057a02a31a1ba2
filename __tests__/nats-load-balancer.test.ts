import { Loadbalancer } from "@cdktf/provider-digitalocean/lib/loadbalancer";
import { Testing, TerraformStack } from "cdktf";
import { NatsLoadBalancer, NatsLoadBalancerProps } from "../constructs/nats-load-balancer";
import { DEFAULT_HEALTH_CHECK_JSON, clientLoadBalancer, synthJson, testStack, validationProblems } from "./helpers";

const PROPS: NatsLoadBalancerProps = {
  region: "fra1",
  dropletTag: "nats",
  forwardingRules: [{ entryProtocol: "tcp", entryPort: 4222 }],
  healthCheck: { port: 8222 },
};

function lb(props: Partial<NatsLoadBalancerProps>): NatsLoadBalancer {
  return new NatsLoadBalancer(new TerraformStack(Testing.app(), "s"), "lb", { ...PROPS, ...props });
}

/** The validation problems of a load balancer built with `props`, none when it is built. */
function problemsOf(props: Partial<NatsLoadBalancerProps>): readonly string[] {
  return validationProblems(() => lb(props));
}

describe("NatsLoadBalancer", () => {
  test("targets droplets by tag and never waits for them", () => {
    const json = synthJson(testStack());
    const body = clientLoadBalancer(json);
    expect(body).not.toHaveProperty("depends_on");
    expect(body).not.toHaveProperty("droplet_ids");
    expect(JSON.stringify(body)).not.toContain("digitalocean_droplet.");
  });

  test("defaults: /healthz every 3 s, timeout 3 s, 5 up, 2 down; target = entry", () => {
    expect(Testing.synthScope((scope) => new NatsLoadBalancer(scope, "lb", PROPS))).toHaveResourceWithProperties(
      Loadbalancer,
      {
        name: "nats-lb",
        size_unit: 1,
        forwarding_rule: [{ entry_protocol: "tcp", entry_port: 4222, target_protocol: "tcp", target_port: 4222, tls_passthrough: false }],
        healthcheck: DEFAULT_HEALTH_CHECK_JSON,
        sticky_sessions: { type: "none" },
      },
    );
  });

  test.each(["healthz", "x/healthz", "/health z", "/healthz "])("refuses the health check path %p: it must start with / and have no spaces", (path) => {
    expect(() => lb({ healthCheck: { port: 8222, path } })).toThrow(
      `healthCheck.path ${JSON.stringify(path)} is not valid: expected a path starting with / and without spaces, such as /healthz`,
    );
  });

  test.each(["/", "/healthz?js-enabled-only=true", "/varz"])("accepts the health check path %p", (path) => {
    const synthesized = Testing.synthScope((scope) => new NatsLoadBalancer(scope, "lb", { ...PROPS, healthCheck: { port: 8222, path } }));
    expect(synthesized).toHaveResourceWithProperties(Loadbalancer, { healthcheck: { ...DEFAULT_HEALTH_CHECK_JSON, path } });
  });

  test("a tcp health check has no path", () => {
    const json = Testing.synthScope((scope) => new NatsLoadBalancer(scope, "lb", { ...PROPS, healthCheck: { protocol: "tcp", port: 4222 } }));
    expect(JSON.stringify(JSON.parse(json))).not.toContain('"path"');
  });

  test.each([
    [{ forwardingRules: [] }, /forwardingRules must contain at least one rule/],
    [{ forwardingRules: [{ entryProtocol: "tcp", entryPort: 4222 }, { entryProtocol: "http", entryPort: 4222 }] }, /forwardingRules\[1\]\.entryPort 4222 is used by another rule/],
    [{ healthCheck: { port: 8222, checkIntervalSeconds: 2 } }, /healthCheck\.checkIntervalSeconds must be an integer from 3 to 300, got 2/],
    [{ healthCheck: { port: 8222, healthyThreshold: 11 } }, /healthCheck\.healthyThreshold must be an integer from 2 to 10, got 11/],
    [{ healthCheck: { port: 8222, path: "" } }, /healthCheck\.path is empty/],
    [{ healthCheck: { port: 8222, path: "healthz" } }, /healthCheck\.path "healthz" is not valid: expected a path starting with \//],
    [{ healthCheck: { protocol: "tcp", port: 4222, path: "/healthz" } }, /healthCheck\.path "\/healthz" is not allowed for a tcp health check/],
    [{ sizeUnit: 0 }, /sizeUnit must be an integer from 1 to 100, got 0/],
  ] as [Partial<NatsLoadBalancerProps>, RegExp][])("rejects %j", (props, message) => {
    expect(() => lb(props)).toThrow(message);
  });

  // Each message whole: the setting's name (with the rule's index) and every allowed value.
  test.each([
    [{ network: "PUBLIC" }, 'network "PUBLIC" is not allowed: expected one of EXTERNAL, INTERNAL'],
    [{ forwardingRules: [{ entryProtocol: "ftp", entryPort: 4222 }] }, 'forwardingRules[0].entryProtocol "ftp" is not allowed: expected one of http, https, http2, http3, tcp, udp'],
    [
      { forwardingRules: [{ entryProtocol: "tcp", entryPort: 4222 }, { entryProtocol: "tcp", entryPort: 4223, targetProtocol: "ftp" }] },
      'forwardingRules[1].targetProtocol "ftp" is not allowed: expected one of http, https, http2, http3, tcp, udp',
    ],
    [{ forwardingRules: [{ entryProtocol: "tcp", entryPort: 0 }] }, "forwardingRules[0].entryPort must be an integer from 1 to 65535, got 0"],
    [{ forwardingRules: [{ entryProtocol: "tcp", entryPort: 4222, targetPort: 65536 }] }, "forwardingRules[0].targetPort must be an integer from 1 to 65535, got 65536"],
    [{ healthCheck: { port: 8222, protocol: "udp" } }, 'healthCheck.protocol "udp" is not allowed: expected one of http, https, tcp'],
  ])("rejects %j with the whole message", (props, message) => {
    expect(problemsOf(props as Partial<NatsLoadBalancerProps>)).toEqual([message]);
  });

  test.each([
    [{ network: "EXTERNAL" }, { network: "EXTERNAL" }],
    [{ network: "INTERNAL" }, { network: "INTERNAL" }],
    [{ healthCheck: { port: 8222, protocol: "https" } }, { healthcheck: { ...DEFAULT_HEALTH_CHECK_JSON, protocol: "https" } }],
    [
      { forwardingRules: ["http", "https", "http2", "http3", "tcp", "udp"].map((entryProtocol, i) => ({ entryProtocol, entryPort: 4000 + i })) },
      {
        forwarding_rule: ["http", "https", "http2", "http3", "tcp", "udp"].map((protocol, i) => ({
          entry_protocol: protocol,
          entry_port: 4000 + i,
          target_protocol: protocol,
          target_port: 4000 + i,
          tls_passthrough: false,
        })),
      },
    ],
  ])("accepts %j", (props, expected) => {
    const synthesized = Testing.synthScope((scope) => new NatsLoadBalancer(scope, "lb", { ...PROPS, ...(props as Partial<NatsLoadBalancerProps>) }));
    expect(synthesized).toHaveResourceWithProperties(Loadbalancer, expected);
  });
});
