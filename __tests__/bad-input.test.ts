import { TerraformStack, TerraformVariable, Testing } from "cdktf";
import { NatsAdvertise, NatsInstallMethod } from "../constructs/cloud-init";
import { VolumeFilesystem } from "../constructs/jetstream";
import { ClientAuth } from "../constructs/nats-auth";
import { NatsCluster } from "../constructs/nats-cluster";
import { HealthCheckProtocol, LoadBalancerProtocol, NatsLoadBalancer, NatsLoadBalancerProps } from "../constructs/nats-load-balancer";
import { NatsStack, NatsStackProps } from "../constructs/nats-stack";
import { readStackSettings } from "../constructs/stack-config";
import { DEFAULT_STACK, TUTORIAL_STACK } from "../constructs/stacks";

/** A NatsStack built from props, as a user's own app would. */
function stackWith(props: NatsStackProps): NatsStack {
  return new NatsStack(Testing.app(), "test", props);
}

/** What main.ts does for one stack: defaults, then cdktf.json context, then the environment. */
function mainStack(name: "nats" | "nats-tutorial", env: NodeJS.ProcessEnv, context?: Record<string, unknown>): NatsStack {
  const app = Testing.app({ context: context === undefined ? undefined : { [name]: context } });
  const defaults = name === "nats" ? DEFAULT_STACK : TUTORIAL_STACK;
  return new NatsStack(app, name, { ...defaults, ...readStackSettings(name, app.node.tryGetContext(name), env) });
}

/** A NatsLoadBalancer on its own, for the rules NatsCluster never builds. */
function loadBalancerWith(props: Partial<NatsLoadBalancerProps>): NatsLoadBalancer {
  const stack = new TerraformStack(Testing.app(), "test");
  return new NatsLoadBalancer(stack, "lb", {
    region: "nyc3",
    dropletTag: "nats",
    forwardingRules: [{ entryProtocol: "tcp", entryPort: 4222 }],
    healthCheck: { port: 8222 },
    ...props,
  });
}

type Case = [description: string, build: () => unknown, message: RegExp];

const PROPS: Case[] = [
  ["nodeCount 0", () => stackWith({ nodeCount: 0 }), /nodeCount must be an integer from 1 to 25 .*, got 0/],
  ["nodeCount 26", () => stackWith({ nodeCount: 26 }), /nodeCount must be an integer from 1 to 25 .*, got 26/],
  ["nodeCount 2.5", () => stackWith({ nodeCount: 2.5 }), /nodeCount must be an integer from 1 to 25 .*, got 2\.5/],
  ["region name instead of slug", () => stackWith({ region: "Bangalore" }), /region "Bangalore" is not valid: expected a region slug such as nyc3, fra1 or blr1/],
  ["region without number", () => stackWith({ region: "nyc" }), /region "nyc" is not valid: expected a region slug/],
  ["size with spaces", () => stackWith({ size: "s 1vcpu 1gb" }), /size "s 1vcpu 1gb" is not valid: expected a droplet size slug such as s-1vcpu-1gb/],
  ["size with trailing dash", () => stackWith({ size: "s-1vcpu-" }), /size "s-1vcpu-" is not valid: expected a droplet size slug/],
  ["image display name", () => stackWith({ image: "Ubuntu 24.04 (LTS) x64" }), /image "Ubuntu 24\.04 \(LTS\) x64" is not valid: expected an image slug such as ubuntu-24-04-x64 or a numeric image id/],
  ["image id 0", () => stackWith({ image: "0" }), /image "0" is not valid: expected an image slug/],
  ["clientPort 0", () => stackWith({ clientPort: 0 }), /clientPort must be an integer from 1 to 65535, got 0/],
  ["monitorPort 70000", () => stackWith({ monitorPort: 70000 }), /monitorPort must be an integer from 1 to 65535, got 70000/],
  ["clusterPort 4222.5", () => stackWith({ clusterPort: 4222.5 }), /clusterPort must be an integer from 1 to 65535, got 4222\.5/],
  ["client port equals monitor port", () => stackWith({ clientPort: 8222 }), /monitorPort 8222 collides with clientPort: every port must be different/],
  ["cluster port is ssh", () => stackWith({ clusterPort: 22 }), /ssh \(22\) 22 collides with clusterPort: every port must be different/],
  ["health check interval 2", () => stackWith({ healthCheck: { checkIntervalSeconds: 2 } }), /healthCheck\.checkIntervalSeconds must be an integer from 3 to 300, got 2/],
  ["health check interval 301", () => stackWith({ healthCheck: { checkIntervalSeconds: 301 } }), /healthCheck\.checkIntervalSeconds must be an integer from 3 to 300, got 301/],
  ["health check timeout 2", () => stackWith({ healthCheck: { responseTimeoutSeconds: 2 } }), /healthCheck\.responseTimeoutSeconds must be an integer from 3 to 300, got 2/],
  ["healthy threshold 1", () => stackWith({ healthCheck: { healthyThreshold: 1 } }), /healthCheck\.healthyThreshold must be an integer from 2 to 10, got 1/],
  ["unhealthy threshold 11", () => stackWith({ healthCheck: { unhealthyThreshold: 11 } }), /healthCheck\.unhealthyThreshold must be an integer from 2 to 10, got 11/],
  ["health check port 0", () => stackWith({ healthCheck: { port: 0 } }), /healthCheck\.port must be an integer from 1 to 65535, got 0/],
  ["health check protocol udp", () => stackWith({ healthCheck: { protocol: "udp" as HealthCheckProtocol } }), /healthCheck\.protocol "udp" is not allowed: expected one of http, https, tcp/],
  ["http check with empty path", () => stackWith({ healthCheck: { path: "" } }), /healthCheck\.path is empty: an http health check needs a path such as \/healthz/],
  ["http check path without /", () => stackWith({ healthCheck: { path: "healthz" } }), /healthCheck\.path "healthz" is not valid: expected a path starting with \/ and without spaces/],
  ["tcp check with a path", () => stackWith({ healthCheck: { protocol: "tcp", port: 4222, path: "/healthz" } }), /healthCheck\.path "\/healthz" is not allowed for a tcp health check: remove it or use http/],
  ["tag with spaces", () => stackWith({ tag: "nats cluster" }), /tag "nats cluster" is not valid: expected 1 to 255 letters, digits, colons, dashes or underscores/],
  ["empty tag", () => stackWith({ tag: "" }), /tag "" is not valid: expected 1 to 255 letters/],
  ["namePrefix with capitals", () => stackWith({ namePrefix: "Nats_Node" }), /namePrefix "Nats_Node" is not valid: expected lowercase letters, digits and inner dashes, at most 52 characters/],
  ["clusterName with a space", () => stackWith({ clusterName: "my cluster" }), /clusterName "my cluster" is not valid: expected 1 to 64 letters, digits, dashes or underscores/],
  ["publishMonitor without monitoring", () => stackWith({ monitoring: false, publishMonitor: true }), /publishMonitor is true but monitoring is false: enable monitoring or do not publish the monitor port/],
  ["http check without monitoring", () => stackWith({ monitoring: false, healthCheck: { protocol: "http", port: 4222 } }), /healthCheck\.protocol "http" needs the monitor port, but monitoring is false: use a tcp health check/],
  ["admin cidr prefix /33", () => stackWith({ adminCidrs: ["203.0.113.0/33"] }), /adminCidrs\[0\] "203\.0\.113\.0\/33" is not valid: expected an IPv4 or IPv6 address or CIDR block such as 203\.0\.113\.0\/24/],
  ["admin address out of range", () => stackWith({ adminCidrs: ["999.1.1.1/8"] }), /adminCidrs\[0\] "999\.1\.1\.1\/8" is not valid/],
  ["admin ipv6 of colons only", () => stackWith({ adminCidrs: [":::::"] }), /adminCidrs\[0\] ":::::" is not valid/],
  ["ssh key that is a name", () => stackWith({ sshKeys: ["my laptop"] }), /sshKeys\[0\] "my laptop" is not valid: expected a numeric key id or an md5 fingerprint/],
  ["vpc that is not a uuid", () => stackWith({ vpcUuid: "default" }), /vpcUuid "default" is not valid: expected a VPC uuid/],
  ["load balancer name with spaces", () => stackWith({ loadBalancerName: "bad name!" }), /loadBalancerName "bad name!" is not valid: expected lowercase letters, digits, dots and inner dashes/],
  ["client cidr that is a word", () => stackWith({ clientCidrs: ["10.0.0.0/8", "everyone"] }), /clientCidrs\[1\] "everyone" is not valid: expected an IPv4 or IPv6 address or CIDR block/],
  ["advertise mode", () => stackWith({ advertise: "all" as NatsAdvertise }), /advertise "all" is not allowed: expected one of none, private, public/],
  ["install method", () => stackWith({ installMethod: "snap" as NatsInstallMethod }), /installMethod "snap" is not allowed; only "release" is supported/],
  ["install method apt", () => stackWith({ installMethod: "apt" as NatsInstallMethod }), /installMethod "apt" is not allowed: ubuntu 24\.04's package is nats-server 2\.10\.7, outside the supported 2\.11\.0 up to \(not including\) 3\.0\.0; only "release" is supported/],
  ["client auth mode", () => stackWith({ auth: { client: "password" as ClientAuth } }), /auth\.client "password" is not allowed: expected one of none, token, user-password/],
  ["client user with a space", () => stackWith({ auth: { client: "user-password", clientUser: "nats user" } }), /auth\.clientUser "nats user" is not valid: expected 1 to 64 letters, digits, dashes or underscores/],
  ["nats version with v", () => stackWith({ natsVersion: "v2.11.0" }), /natsVersion "v2\.11\.0" is not valid: expected a nats-server release number X\.Y\.Z from 2\.11\.0 up to \(not including\) 3\.0\.0, such as 2\.15\.1/],
  ["nats version with a leading zero", () => stackWith({ natsVersion: "2.10.024" }), /natsVersion "2\.10\.024" is not valid: expected a nats-server release number X\.Y\.Z/],
  ["nats version without a patch", () => stackWith({ natsVersion: "2.11" }), /natsVersion "2\.11" is not valid: expected a nats-server release number X\.Y\.Z/],
  ["nats pre-release", () => stackWith({ natsVersion: "2.11.0-rc.1" }), /natsVersion "2\.11\.0-rc\.1" is not valid: expected a nats-server release number X\.Y\.Z/],
  ["nats version 2.10 (end of life)", () => stackWith({ natsVersion: "2.10.24" }), /natsVersion "2\.10\.24" is not supported: expected a nats-server release from 2\.11\.0 up to \(not including\) 3\.0\.0/],
  ["nats version 3", () => stackWith({ natsVersion: "3.0.0" }), /natsVersion "3\.0\.0" is not supported: expected a nats-server release from 2\.11\.0 up to \(not including\) 3\.0\.0/],
  ["load balancer size unit 0", () => stackWith({ loadBalancerSizeUnit: 0 }), /loadBalancerSizeUnit must be an integer from 1 to 100, got 0/],
  ["readiness timeout 5", () => stackWith({ readinessTimeoutSeconds: 5 }), /readinessTimeoutSeconds must be an integer from 10 to 3600, got 5/],
  ["acknowledging an unknown rule", () => stackWith({ acknowledge: { "NATS-100": "typo" } }), /"NATS-100" is not a policy rule: expected one of NATS-001/],
  ["acknowledging without a reason", () => stackWith({ acknowledge: { "NATS-004": "" } }), /NATS-004 has an empty reason: say why the stack breaks the rule/],
  ["volume size 0", () => stackWith({ volumeSizeGib: 0 }), /volumeSizeGib must be an integer from 1 to 16384 \(digitalocean's volume sizes\), got 0/],
  ["volume size above 16384", () => stackWith({ volumeSizeGib: 16385 }), /volumeSizeGib must be an integer from 1 to 16384 .*, got 16385/],
  ["volume size 10.5", () => stackWith({ volumeSizeGib: 10.5 }), /volumeSizeGib must be an integer from 1 to 16384 .*, got 10\.5/],
  ["volume filesystem btrfs", () => stackWith({ volumeFilesystem: "btrfs" as VolumeFilesystem }), /volumeFilesystem "btrfs" is not allowed: expected one of ext4, xfs/],
  ["volume smaller than the file store", () => stackWith({ volumeSizeGib: 10, maxFileStoreGib: 10 }), /volumeSizeGib 10 is smaller than maxFileStoreGib 10 needs: jetstream may fill 80% of the volume.*use volumeSizeGib 13 or more/],
  ["memory store above 75% of the droplet", () => stackWith({ size: "s-1vcpu-1gb", maxMemoryStoreMib: 1024 }), /maxMemoryStoreMib must be an integer from 1 to 768 \(75% of the 1024 MiB of s-1vcpu-1gb\), got 1024/],
  ["droplet size without its memory in the slug", () => stackWith({ size: "c-2" }), /size "c-2" does not name its memory \(like s-1vcpu-1gb does\): set maxMemoryStoreMib/],
  ["volume name from a prefix starting with a digit", () => stackWith({ namePrefix: "1nats" }), /namePrefix "1nats" cannot name volumes: a digitalocean volume name must begin with a letter/],
  ["jetstream without the seed load balancer", () => stackWith({ seedLoadBalancer: false }), /jetstream needs the seed load balancer: every jetstream node needs a configured route/],
  ["duplicate forwarding entry ports", () => loadBalancerWith({ forwardingRules: [{ entryProtocol: "tcp", entryPort: 4222 }, { entryProtocol: "http", entryPort: 4222, targetPort: 8222 }] }), /forwardingRules\[1\]\.entryPort 4222 is used by another rule: entry ports must be unique/],
  ["no forwarding rules", () => loadBalancerWith({ forwardingRules: [] }), /forwardingRules must contain at least one rule/],
  ["forwarding protocol ftp", () => loadBalancerWith({ forwardingRules: [{ entryProtocol: "ftp" as LoadBalancerProtocol, entryPort: 21 }] }), /forwardingRules\[0\]\.entryProtocol "ftp" is not allowed: expected one of http, https, http2, http3, tcp, udp/],
  ["forwarding target port 0", () => loadBalancerWith({ forwardingRules: [{ entryProtocol: "tcp", entryPort: 4222, targetPort: 0 }] }), /forwardingRules\[0\]\.targetPort must be an integer from 1 to 65535, got 0/],
];

const ENVIRONMENT: Case[] = [
  ["NATS_NODE_COUNT=0", () => mainStack("nats", { NATS_NODE_COUNT: "0" }), /nodeCount must be an integer from 1 to 25 .*, got 0/],
  ["NATS_NODE_COUNT=2.5", () => mainStack("nats", { NATS_NODE_COUNT: "2.5" }), /NATS_NODE_COUNT "2\.5" is not an integer/],
  ["NATS_TUTORIAL_REGION=Bangalore", () => mainStack("nats-tutorial", { NATS_TUTORIAL_REGION: "Bangalore" }), /region "Bangalore" is not valid: expected a region slug such as nyc3, fra1 or blr1/],
  ["NATS_CLIENT_PORT=abc", () => mainStack("nats", { NATS_CLIENT_PORT: "abc" }), /NATS_CLIENT_PORT "abc" is not an integer/],
  ["NATS_MONITOR_PORT=4222 collides", () => mainStack("nats", { NATS_MONITOR_PORT: "4222" }), /monitorPort 4222 collides with clientPort/],
  ["NATS_SIZE=huge droplet", () => mainStack("nats", { NATS_SIZE: "huge droplet" }), /size "huge droplet" is not valid/],
  ["NATS_READINESS_GATE=yes", () => mainStack("nats", { NATS_READINESS_GATE: "yes" }), /NATS_READINESS_GATE "yes" is not a boolean: expected true or false/],
  ["NATS_ADMIN_CIDRS with a bad entry", () => mainStack("nats", { NATS_ADMIN_CIDRS: "203.0.113.0/24, bogus" }), /adminCidrs\[1\] "bogus" is not valid: expected an IPv4 or IPv6 address or CIDR block/],
  ["NATS_VERSION=latest", () => mainStack("nats", { NATS_VERSION: "latest" }), /natsVersion "latest" is not valid: expected a nats-server release number X\.Y\.Z from 2\.11\.0/],
  ["unknown context key", () => mainStack("nats", {}, { nodeCout: 3 }), /context nats\.nodeCout is not a setting: expected one of nodeCount, region, size/],
  ["context nodeCount as a string", () => mainStack("nats", {}, { nodeCount: "3" }), /context nats\.nodeCount "3" is not a number/],
  ["context readinessGate as a string", () => mainStack("nats", {}, { readinessGate: "true" }), /context nats\.readinessGate "true" is not true or false/],
  ["context sshKeys as a string", () => mainStack("nats", {}, { sshKeys: "my-key" }), /context nats\.sshKeys "my-key" is not a list of strings/],
  ["context region slug invalid", () => mainStack("nats-tutorial", {}, { region: "BLR1" }), /region "BLR1" is not valid/],
];

describe("bad input is rejected with a message naming the value and what is allowed", () => {
  test.each(PROPS)("props: %s", (_description, build, message) => {
    expect(build).toThrow(message);
  });

  test.each(ENVIRONMENT)("environment and context: %s", (_description, build, message) => {
    expect(build).toThrow(message);
  });

  test("every problem in one configuration is reported in one error", () => {
    expect(() => stackWith({ nodeCount: 0, region: "Bangalore", clientPort: 70000, healthCheck: { healthyThreshold: 1 } })).toThrow(
      new RegExp(
        [
          "test/cluster: 4 problems:",
          "- nodeCount must be an integer from 1 to 25 .*, got 0",
          '- region "Bangalore" is not valid: .*',
          "- clientPort must be an integer from 1 to 65535, got 70000",
          "- healthCheck\\.healthyThreshold must be an integer from 2 to 10, got 1",
        ].join("\n"),
      ),
    );
  });

  test("every problem in the environment and context is reported in one error", () => {
    expect(() => mainStack("nats", { NATS_CLIENT_PORT: "abc", NATS_READINESS_GATE: "yes" }, { colour: "blue" })).toThrow(
      /nats settings: 3 problems:\n- context nats\.colour is not a setting: .*\n- NATS_CLIENT_PORT "abc" is not an integer\n- NATS_READINESS_GATE "yes" is not a boolean: expected true or false/,
    );
  });

  test("unresolved tokens are not validated", () => {
    const stack = new TerraformStack(Testing.app(), "test");
    const region = new TerraformVariable(stack, "region", { type: "string" });
    const size = new TerraformVariable(stack, "size", { type: "string" });
    const interval = new TerraformVariable(stack, "interval", { type: "number" });
    const cluster = new NatsCluster(stack, "cluster", {
      region: region.stringValue,
      size: size.stringValue,
      healthCheck: { checkIntervalSeconds: interval.numberValue },
    });
    const json = JSON.parse(Testing.synth(stack)) as { resource: Record<string, Record<string, Record<string, unknown>>> };
    const lb = json.resource.digitalocean_loadbalancer[stack.getLogicalId(cluster.loadBalancer)];
    expect(lb.region).toBe("${var.region}");
    expect(lb.healthcheck).toMatchObject({ check_interval_seconds: "${var.interval}" });
    expect(Object.values(json.resource.digitalocean_droplet).map((d) => d.size)).toEqual(["${var.size}", "${var.size}", "${var.size}"]);
  });
});
