import { NatsStackProps } from "../constructs/nats-stack";
import { DEFAULT_STACK } from "../constructs/stacks";
import { DROPLET_SIZES, PATTERNS, cidr, dropletSize, natsVersion, pattern } from "../facts/validation";
import { TerraformJson, clientLoadBalancer, onlyResource, resourcesOf, synthJson, testStack } from "./helpers";

// Every range the validation enforces is accepted at each bound and rejected one step outside
// it; every pattern accepts a plain value and rejects near misses. The rejections' full
// messages are in bad-input.test.ts; here the bound itself is the point.

/** Synthesizes the default stack with `props` over its defaults (validation and policy run). */
function synth(props: NatsStackProps): TerraformJson {
  return synthJson(testStack({ ...DEFAULT_STACK, ...props }));
}

const lbOf = (json: TerraformJson): Record<string, unknown> => clientLoadBalancer(json);
const checkOf = (json: TerraformJson): Record<string, unknown> => lbOf(json).healthcheck as Record<string, unknown>;
const rulesOf = (json: TerraformJson): Record<string, unknown>[] => lbOf(json).forwarding_rule as Record<string, unknown>[];
const inboundRules = (json: TerraformJson): { port_range: string; source_tags?: string[] }[] => onlyResource(json, "digitalocean_firewall").inbound_rule as { port_range: string; source_tags?: string[] }[];

type Range = [setting: string, min: number, max: number, props: (value: number) => NatsStackProps, reached: (json: TerraformJson) => unknown];

const RANGES: Range[] = [
  // One node with JetStream synthesizes only without the readiness gate, which it would never pass.
  ["nodeCount", 1, 25, (n) => ({ nodeCount: n, readinessGate: n > 1 }), (json) => resourcesOf(json, "digitalocean_droplet").length],
  ["clientPort", 1024, 65535, (p) => ({ clientPort: p }), (json) => rulesOf(json)[0].entry_port],
  ["monitorPort", 1024, 65535, (p) => ({ monitorPort: p }), (json) => checkOf(json).port],
  ["clusterPort", 1024, 65535, (p) => ({ clusterPort: p }), (json) => Number(inboundRules(json).find((rule) => rule.source_tags !== undefined)?.port_range)],
  ["healthCheck.checkIntervalSeconds", 3, 300, (s) => ({ healthCheck: { checkIntervalSeconds: s } }), (json) => checkOf(json).check_interval_seconds],
  ["healthCheck.responseTimeoutSeconds", 3, 300, (s) => ({ healthCheck: { responseTimeoutSeconds: s } }), (json) => checkOf(json).response_timeout_seconds],
  ["healthCheck.healthyThreshold", 2, 10, (n) => ({ healthCheck: { healthyThreshold: n } }), (json) => checkOf(json).healthy_threshold],
  ["healthCheck.unhealthyThreshold", 2, 10, (n) => ({ healthCheck: { unhealthyThreshold: n } }), (json) => checkOf(json).unhealthy_threshold],
  // A check on a port nats-server does not serve (NATS-006) is acknowledged: the bound is the load balancer's.
  ["healthCheck.port", 1, 65535, (p) => ({ healthCheck: { port: p }, acknowledge: { "NATS-006": "the load balancer's own bound" } }), (json) => checkOf(json).port],
  ["loadBalancerClientPort", 1, 65535, (p) => ({ loadBalancerClientPort: p }), (json) => rulesOf(json)[0].entry_port],
  ["loadBalancerSizeUnit", 1, 100, (n) => ({ loadBalancerSizeUnit: n }), (json) => lbOf(json).size_unit],
  ["readinessTimeoutSeconds", 10, 3600, (s) => ({ readinessTimeoutSeconds: s }), (json) => Number(/--timeout (\d+)/.exec(JSON.stringify(onlyResource(json, "null_resource")))?.[1])],
];

describe.each(RANGES)("%s from %d to %d", (setting, min, max, props, reached) => {
  test.each([min, max])("accepts %d and it reaches the plan", (value) => {
    expect(reached(synth(props(value)))).toBe(value);
  });

  test.each([min - 1, max + 1])("rejects %d", (value) => {
    expect(() => synth(props(value))).toThrow(`${setting} must be an integer from ${min} to ${max}`);
  });
});

const MD5 = "3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa";
const UUID = "c3b0ee3d-5f1e-4a48-a7a1-4d0b3e0a5b6c";

type Patterned = [rule: keyof typeof PATTERNS, accepted: string[], rejected: string[]];

const PATTERNED: Patterned[] = [
  ["region", ["nyc3", "fra1", "blr1"], ["nyc3x", "nyc0", "nyc31", "ny3", "NYC3", "nyc3 ", ""]],
  ["image", ["ubuntu-24-04-x64", "debian-12.5-x64", "12345"], ["0", "0123", "ubuntu-", "Ubuntu-24-04-x64", "24-04"]],
  ["tag", ["n", "nats:prod_1-a", "t".repeat(255)], ["", "t".repeat(256), "nats prod", "nats/prod"]],
  ["hostname", ["n", "nats-1", "n".repeat(52)], ["n".repeat(53), "-nats", "nats-", "Nats", "nats_1"]],
  ["clusterName", ["c", "nats_prod-1", "c".repeat(64)], ["", "c".repeat(65), "nats prod", "nats.prod"]],
  ["loadBalancerName", ["l", "nats-lb", "nats.prod-lb", "l".repeat(64)], ["", "l".repeat(65), "-lb", "lb-", "lb.", "Nats-lb", "nats_lb", "nats:lb"]],
  ["firewallName", ["f", "Nats.prod-fw", "f".repeat(255)], ["", "f".repeat(256), "-fw", ".fw", "nats_fw", "nats:fw", "nats fw"]],
];

describe.each(PATTERNED)("pattern %s", (rule, accepted, rejected) => {
  test.each(accepted)("accepts %j", (value) => {
    expect(pattern(rule, value, rule)).toBeUndefined();
  });

  test.each(rejected)("rejects the near miss %j", (value) => {
    expect(pattern(rule, value, rule)).toBe(`${rule} ${JSON.stringify(value)} is not valid: expected ${PATTERNS[rule].allowed}`);
  });
});

describe("dropletSize", () => {
  test.each(["s-1vcpu-512mb-10gb", "s-1vcpu-1gb", "s-2vcpu-4gb-120gb-intel", "s-1vcpu-1gb-amd", "so1_5-2vcpu-16gb", "m-48vcpu-384gb-intel", "c2-60vcpu-120gb-intel", "c-2", "c-60-intel"])(
    "accepts %j, a size digitalocean lists",
    (value) => {
      expect(dropletSize("size", value)).toBeUndefined();
    },
  );

  test.each(["m3_large", "s-1vcpu-1gb-", "-s-1vcpu", "s--1vcpu", "S-1VCPU-1GB", "s 1vcpu", "s-01vcpu-1gb", "s-0vcpu-1gb", "x-1vcpu-1gb", "s-1vcpu-1tb", "c-4-amd", "gpu-h100x1-80gb", "512mb"])(
    "rejects the near miss %j",
    (value) => {
      expect(dropletSize("size", value)).toBe(`size ${JSON.stringify(value)} is not valid: expected ${DROPLET_SIZES.allowed}`);
    },
  );

  test.each([
    ["s-61vcpu-128gb", "has 61 vcpus"],
    ["c-61", "has 61 vcpus"],
    ["s-1vcpu-511mb", "names 511mb of memory"],
    ["m-48vcpu-385gb", "names 385gb of memory"],
    ["s-1vcpu-99999999999999999999gb", "names 99999999999999999999gb of memory"],
  ])("rejects %j, outside digitalocean's range: it %s", (value, why) => {
    expect(dropletSize("size", value)).toMatch(new RegExp(`^size "${value}" ${why}: digitalocean's sizes as of \\d{4}-\\d{2}-\\d{2} have `));
  });
});

describe("natsVersion", () => {
  test.each(["2.11.17", "2.15.0"])("accepts %j, the oldest and the newest listed release", (value) => {
    expect(natsVersion("natsVersion", value)).toBeUndefined();
  });

  test.each(["2.11.16", "2.11.18", "2.15.1", "2.99.100"])("rejects %j, in the supported lines but not listed", (value) => {
    expect(natsVersion("natsVersion", value)).toBe(
      `natsVersion "${value}" is not a release this project pins the checksums of: expected one of 2.11.17, 2.12.15, 2.14.5, 2.15.0 (facts/nats-releases.ts)`,
    );
  });

  test.each(["2.11.0x", "2.11", "v2.11.0", "2.11.0-rc1", " 2.11.0", "2.011.0", "2.11.00"])("rejects the near miss %j", (value) => {
    expect(natsVersion("natsVersion", value)).toMatch(/is not valid: expected a nats-server release number X\.Y\.Z from 2\.11\.0 up to \(not including\) 3\.0\.0, one of 2\.11\.17, /);
  });

  test.each(["2.10.99", "3.0.0", "12.11.0", "1.99.0"])("rejects %j, outside the supported lines", (value) => {
    expect(natsVersion("natsVersion", value)).toMatch(/is not supported: expected a nats-server release from 2\.11\.0 up to \(not including\) 3\.0\.0, one of 2\.11\.17, /);
  });
});

describe("cidr", () => {
  test.each(["203.0.113.7", "203.0.113.0/24", "203.0.113.7/32", "2001:db8::1", "2001:db8::/32", "2001:db8::1/128"])("accepts %j", (value) => {
    expect(cidr("adminCidrs[0]", value)).toBeUndefined();
  });

  test.each(["203.0.113.0/33", "2001:db8::/129", "203.0.113.0/", "203.0.113.0/24/8", "203.0.113.0/-1", "203.0.113.0/2a", "203.0.113", "2001:db8::/0032"])("rejects the near miss %j", (value) => {
    expect(cidr("adminCidrs[0]", value)).toMatch(/is not valid: expected an IPv4 or IPv6 address or CIDR block/);
  });
});

describe.each<[string, (value: string) => NatsStackProps, string[], string[]]>([
  ["sshKeys", (key) => ({ sshKeys: [key] }), ["12345", MD5], ["0x12", MD5.slice(3), `${MD5}:00`, MD5.toUpperCase(), MD5.replace(/:/g, "")]],
  ["vpcUuid", (uuid) => ({ vpcUuid: uuid }), [UUID], [`${UUID}0`, UUID.slice(1), UUID.toUpperCase(), UUID.replace(/-/g, "")]],
  ["loadBalancerName", (name) => ({ loadBalancerName: name }), ["l", "nats.lb-1", "l".repeat(64)], ["l".repeat(65), "-lb", "lb.", "LB", "nats_lb"]],
])("%s", (setting, props, accepted, rejected) => {
  test.each(accepted)("accepts %j", (value) => {
    expect(() => testStack({ ...DEFAULT_STACK, ...props(value) })).not.toThrow();
  });

  test.each(rejected)("rejects the near miss %j", (value) => {
    expect(() => testStack({ ...DEFAULT_STACK, ...props(value) })).toThrow(`${setting}${setting === "sshKeys" ? "[0]" : ""} ${JSON.stringify(value)} is not valid`);
  });
});
