import { Droplet } from "@cdktf/provider-digitalocean/lib/droplet";
import { Loadbalancer } from "@cdktf/provider-digitalocean/lib/loadbalancer";
import { Tag } from "@cdktf/provider-digitalocean/lib/tag";
import { Construct } from "constructs";
import { NatsAuth, NatsAuthProps, validateAuthProps } from "./nats-auth";
import { NatsFirewall, validateFirewallProps } from "./nats-firewall";
import { ForwardingRuleProps, HealthCheckProps, NatsLoadBalancer, validateHealthCheck } from "./nats-load-balancer";
import { JETSTREAM_HEALTH_PATH, unusedVolumePropsWarning } from "./jetstream";
import { volumeName } from "./node-settings";
import { NatsNodes, NatsNodesProps, nodeNames, validateNodesProps } from "./nats-nodes";
import { NatsTls, NatsTlsProps, ROUTE_TLS_NAME, validateTlsProps } from "./nats-tls";
import { NatsOutputs } from "./nats-outputs";
import { ReadinessGate, readinessTimeoutProblem } from "./readiness-gate";
import { PATTERNS, ValidationErrors, integerInRange, isKnown, pattern, port } from "../facts/validation";

export interface NatsClusterProps extends NatsNodesProps {
  /**
   * Forwards the monitor port through the load balancer. The endpoint is unauthenticated
   * and lists every client's address: only for demos.
   * @default false
   */
  readonly publishMonitor?: boolean;
  /**
   * The load balancer's health check; `port` defaults to the monitor port.
   * @default - http GET /healthz on the monitor port every 3 s, timeout 3 s, healthy 5, unhealthy 2;
   * with JetStream `/healthz?js-enabled-only=true`, which does not depend on the meta leader
   */
  readonly healthCheck?: Partial<HealthCheckProps>;
  /**
   * The port clients connect to on the load balancer, which forwards it to the nodes' client
   * port. It may be below 1024 (443, say), which nats-server itself cannot bind as the
   * unprivileged user it runs as.
   * @default - the client port
   */
  readonly loadBalancerClientPort?: number;
  /** @default 1 */
  readonly loadBalancerSizeUnit?: number;
  /** @default - "<tag>-lb" */
  readonly loadBalancerName?: string;
  /**
   * Puts a cloud firewall in front of the nodes (see NatsFirewall).
   * @default true
   */
  readonly firewall?: boolean;
  /** @default - none: no SSH, monitor port only for the load balancer */
  readonly adminCidrs?: string[];
  /**
   * Addresses allowed to reach the client port on the nodes directly.
   * @default - everyone (0.0.0.0/0, ::/0) with `advertise: "public"`, since clients are then told
   * the nodes' public addresses; otherwise none: clients only through the load balancer
   */
  readonly clientCidrs?: string[];
  /**
   * Route and client authentication with generated secrets; `false` turns all auth off.
   * @default - routes authenticated, clients use a generated token
   */
  readonly auth?: NatsAuthProps | false;
  /**
   * TLS with a private CA that Terraform generates: clients must use TLS (through the load
   * balancer, which passes TCP through), routes use mutual TLS; `false` turns TLS off.
   * @default - on: ECDSA P-256, CA valid 10 years, node certificates 825 days, server name nats.internal
   */
  readonly tls?: NatsTlsProps | false;
  /**
   * Runs `npm run verify` against the load balancer at the end of `cdktf deploy`.
   * @default true
   */
  readonly readinessGate?: boolean;
  /** @default 900 */
  readonly readinessTimeoutSeconds?: number;
  /**
   * Routes nodes 2…n to node 1 through an internal load balancer on the cluster port whose
   * only target is node 1 (by a tag only node 1 carries), instead of node 1's own address.
   * Replacing node 1 then changes no other droplet, so any node can be replaced alone
   * (`npm run roll`). Costs one more load balancer unit.
   * @default true with 2 or more nodes
   */
  readonly seedLoadBalancer?: boolean;
}

/** The names a cluster gives its DigitalOcean resources: two clusters in one account must not share any. */
export interface ClusterNames {
  /** The tag every node carries, then the seed tag when there is a seed load balancer. */
  readonly tags: readonly string[];
  readonly droplets: readonly string[];
  /** The public load balancer, then the seed load balancer when there is one. */
  readonly loadBalancers: readonly string[];
  /** @default - no firewall */
  readonly firewall?: string;
  /** One per node with JetStream; none without. */
  readonly volumes: readonly string[];
}

/**
 * A load-balanced NATS cluster on DigitalOcean: droplets booting nats-server with cluster
 * routes to the seed, a load balancer that finds them by tag, and (by default) a firewall,
 * authentication, outputs and a readiness gate.
 */
export class NatsCluster extends Construct {
  public readonly nodes: NatsNodes;
  public readonly droplets: Droplet[];
  public readonly loadBalancer: Loadbalancer;
  /** The internal load balancer nodes 2…n route to; see NatsClusterProps.seedLoadBalancer. */
  public readonly seedLoadBalancer?: Loadbalancer;
  public readonly firewall?: NatsFirewall;
  public readonly auth?: NatsAuth;
  public readonly tls?: NatsTls;
  public readonly outputs: NatsOutputs;
  public readonly readinessGate?: ReadinessGate;
  public readonly names: ClusterNames;

  constructor(scope: Construct, id: string, props: NatsClusterProps = {}) {
    super(scope, id);
    const monitoring = props.monitoring ?? true;
    const publishMonitor = props.publishMonitor ?? false;
    const clientPort = props.clientPort ?? 4222;
    const entryClientPort = props.loadBalancerClientPort ?? clientPort;
    const monitorPort = props.monitorPort ?? 8222;
    const region = props.region ?? "nyc3";
    const tag = props.tag ?? props.namePrefix ?? "nats";
    const forwardingRules: ForwardingRuleProps[] = [{ entryProtocol: "tcp", entryPort: entryClientPort, targetPort: clientPort }];
    if (publishMonitor) forwardingRules.push({ entryProtocol: "http", entryPort: monitorPort });
    const jetstreamPath = (props.jetstream ?? true) && (props.healthCheck?.protocol ?? "http") !== "tcp" ? JETSTREAM_HEALTH_PATH : undefined;
    const healthCheck: HealthCheckProps = monitoring
      ? { port: monitorPort, path: jetstreamPath, ...props.healthCheck }
      : { protocol: "tcp", port: clientPort, ...props.healthCheck };
    const lbProps = { region, dropletTag: tag, forwardingRules, healthCheck, sizeUnit: props.loadBalancerSizeUnit, name: props.loadBalancerName };

    // Validate everything first, so that one synth reports every problem at once.
    const errors = new ValidationErrors();
    validateNodesProps(props, errors);
    // Forwarding rules are built from the ports checked above; only the rest needs a look.
    validateHealthCheck(healthCheck, errors);
    errors.add(integerInRange("loadBalancerSizeUnit", props.loadBalancerSizeUnit, 1, 100));
    errors.add(port("loadBalancerClientPort", props.loadBalancerClientPort));
    errors.check(
      publishMonitor && props.loadBalancerClientPort === monitorPort,
      `loadBalancerClientPort ${props.loadBalancerClientPort} is the monitor port the load balancer publishes: choose another`,
    );
    errors.add(pattern("loadBalancerName", props.loadBalancerName, "loadBalancerName"));
    derivedNameProblems(props, tag, hasSeedLoadBalancer(props)).forEach((problem) => errors.add(problem));
    ignoredProps(props).forEach((problem) => errors.add(problem));
    errors.add(readinessTimeoutProblem("readinessTimeoutSeconds", props.readinessTimeoutSeconds));
    validateFirewallProps(props, errors);
    if (props.auth) validateAuthProps(props.auth, errors);
    if (props.tls) validateTlsProps(props.tls, errors);
    errors.check(publishMonitor && !monitoring, "publishMonitor is true but monitoring is false: enable monitoring or do not publish the monitor port");
    // Measured with nats-server 2.15.1 and `npm run verify`: /healthz answers 503 "JetStream is still
    // recovering meta layer" for good, so the gate's health and jetstream checks fail every deploy.
    errors.check(
      (props.nodeCount ?? 3) === 1 && (props.jetstream ?? true) && (props.readinessGate ?? true),
      "nodeCount 1 with jetstream and the readiness gate never deploys: a lone clustered nats-server elects no jetstream meta leader, " +
        "so its /healthz answers 503 and the gate fails; use nodeCount 3 or 5, jetstream: false, or readinessGate: false",
    );
    errors.check(
      !monitoring && healthCheck.protocol !== "tcp",
      `healthCheck.protocol ${JSON.stringify(healthCheck.protocol ?? "http")} needs the monitor port, but monitoring is false: use a tcp health check`,
    );
    errors.throwIfAny(this.node.path);

    this.auth = props.auth === false ? undefined : new NatsAuth(this, "auth", props.auth);
    this.tls = props.tls === false
      ? undefined
      : new NatsTls(this, "tls", { ...props.tls, serverNames: nodeNames(props), caName: `${props.clusterName ?? props.namePrefix ?? "nats"} NATS CA` });
    const seed = hasSeedLoadBalancer(props) ? this.seedLoadBalancerFor(props, tag) : undefined;
    this.seedLoadBalancer = seed?.loadBalancer;
    this.nodes = new NatsNodes(this, "nodes", {
      ...props,
      seedAddress: seed?.loadBalancer.ip,
      seedTag: seed?.tag.name,
      clientAuthorization: this.auth?.clientAuthorization,
      routeCredentials: this.auth?.routeCredentials,
      certificates: this.tls === undefined ? undefined : { caCertPem: this.tls.caCertPem, nodes: this.tls.nodes, routeName: ROUTE_TLS_NAME },
    });
    this.droplets = this.nodes.droplets;
    const loadBalancerName = props.loadBalancerName ?? `${tag}-lb`;
    const firewallName = (props.firewall ?? true) ? `${tag}-fw` : undefined;
    this.names = {
      tags: [tag, ...(seed === undefined ? [] : [seedName(tag)])],
      droplets: [...this.nodes.byName.keys()],
      loadBalancers: [loadBalancerName, ...(seed === undefined ? [] : [seedName(tag)])],
      firewall: firewallName,
      volumes: this.nodes.volumes === undefined ? [] : this.nodes.droplets.map((_droplet, i) => volumeName(props.namePrefix ?? "nats", i + 1)),
    };
    this.loadBalancer = new NatsLoadBalancer(this, "load-balancer", {
      ...lbProps,
      name: loadBalancerName,
      // The tag resource, not its name: the load balancer waits for the tag, never for droplets.
      dropletTag: this.nodes.tag.name,
      vpcUuid: props.vpcUuid,
    }).loadBalancer;

    if (firewallName !== undefined) {
      this.firewall = new NatsFirewall(this, "firewall", {
        name: firewallName,
        dropletTag: this.nodes.tag.name,
        loadBalancerId: this.loadBalancer.id,
        seedLoadBalancerId: this.seedLoadBalancer?.id,
        clientPort,
        monitorPort,
        clusterPort: this.nodes.clusterPort,
        adminCidrs: props.adminCidrs,
        clientCidrs: props.clientCidrs ?? (props.advertise === "public" ? ["0.0.0.0/0", "::/0"] : undefined),
      });
    }

    this.outputs = new NatsOutputs(this, "outputs", {
      loadBalancer: this.loadBalancer,
      nodes: this.nodes.byName,
      clientPort: entryClientPort,
      publishedMonitorPort: publishMonitor ? monitorPort : undefined,
      clientSecret: this.auth?.clientSecret,
      tls: this.tls,
    });

    if (props.readinessGate ?? true) {
      this.readinessGate = new ReadinessGate(this, "readiness-gate", {
        loadBalancerIp: this.loadBalancer.ip,
        loadBalancerId: this.loadBalancer.id,
        dropletIds: this.droplets.map((d) => d.id),
        expectNodes: this.nodes.nodeCount,
        clientPort: entryClientPort,
        monitorPort: publishMonitor ? monitorPort : undefined,
        timeoutSeconds: props.readinessTimeoutSeconds,
        jetstream: this.nodes.jetstream !== undefined,
        credentials: clientCredentials(this.auth),
        environment: clientTls(this.tls),
      });
    }
  }

  /**
   * The seed tag (node 1 only) and the internal load balancer on the cluster port that
   * targets it. Its health check is node 1's readiness at DigitalOcean's minimum timers, so
   * the other nodes reach a new node 1 well before the public load balancer (healthy
   * threshold 5 by default) sends it clients.
   */
  private seedLoadBalancerFor(props: NatsClusterProps, tag: string): { tag: Tag; loadBalancer: Loadbalancer } {
    const clusterPort = props.clusterPort ?? 6222;
    const seedTag = new Tag(this, "seed-tag", { name: seedName(tag) });
    // With JetStream a plain /healthz waits for a meta leader, which needs the routes this load
    // balancer carries: at cold start node 1 would never pass, and the cluster never form.
    const path = (props.jetstream ?? true) ? JETSTREAM_HEALTH_PATH : "/healthz";
    const check: HealthCheckProps = (props.monitoring ?? true)
      ? { protocol: "http", port: props.monitorPort ?? 8222, path }
      : { protocol: "tcp", port: props.clientPort ?? 4222 };
    const loadBalancer = new NatsLoadBalancer(this, "seed-load-balancer", {
      name: seedName(tag),
      region: props.region ?? "nyc3",
      network: "INTERNAL",
      vpcUuid: props.vpcUuid,
      dropletTag: seedTag.name,
      forwardingRules: [{ entryProtocol: "tcp", entryPort: clusterPort }],
      healthCheck: { ...check, checkIntervalSeconds: 3, responseTimeoutSeconds: 3, healthyThreshold: 2, unhealthyThreshold: 2 },
    }).loadBalancer;
    return { tag: seedTag, loadBalancer };
  }
}

/** True when nodes 2…n route through a seed load balancer (see NatsClusterProps.seedLoadBalancer). */
function hasSeedLoadBalancer(props: NatsClusterProps): boolean {
  return (props.seedLoadBalancer ?? true) && (props.nodeCount ?? 3) > 1;
}

/** The seed tag and the seed load balancer's name. */
function seedName(tag: string): string {
  return `${tag}-seed`;
}

/**
 * A problem for every name made from the tag that DigitalOcean would refuse (see PATTERNS), named
 * by the tag: `My_Tag:prod` is a valid tag, but `My_Tag:prod-lb` is no load balancer name and
 * apply would fail halfway. Names set on their own (loadBalancerName) are checked as they are.
 */
function derivedNameProblems(props: NatsClusterProps, tag: string, seed: boolean): string[] {
  if (!isKnown(tag) || pattern("tag", tag, "tag") !== undefined) return [];
  const derived: { what: string; name: string; rule: keyof typeof PATTERNS; fix: string }[] = [];
  const lowercase = "a tag of lowercase letters, digits and inner dashes";
  if (props.loadBalancerName === undefined) derived.push({ what: "load balancer name", name: `${tag}-lb`, rule: "loadBalancerName", fix: `${lowercase}, or set loadBalancerName` });
  if (props.firewall ?? true) derived.push({ what: "firewall name", name: `${tag}-fw`, rule: "firewallName", fix: "a shorter tag without colons or underscores" });
  if (seed) {
    derived.push({ what: "seed tag", name: seedName(tag), rule: "tag", fix: "a shorter tag" });
    derived.push({ what: "seed load balancer name", name: seedName(tag), rule: "loadBalancerName", fix: lowercase });
  }
  return derived.flatMap(({ what, name, rule, fix }) =>
    PATTERNS[rule].pattern.test(name)
      ? []
      : [`tag ${JSON.stringify(tag)} makes the ${what} ${JSON.stringify(name)}, which digitalocean refuses (expected ${PATTERNS[rule].allowed}): choose ${fix}`],
  );
}

/** A problem for every prop set that this cluster ignores: a setting must change what is deployed. */
function ignoredProps(props: NatsClusterProps): string[] {
  const problems: string[] = [];
  if (!(props.firewall ?? true)) {
    for (const name of ["adminCidrs", "clientCidrs"] as const) {
      if (props[name] !== undefined) problems.push(`${name} has no effect: this cluster has no firewall (firewall: false), so every droplet port is open to everyone; remove it`);
    }
  }
  if (!(props.monitoring ?? true) && props.monitorPort !== undefined) {
    problems.push("monitorPort has no effect: monitoring is false, so nothing listens on it; remove it");
  }
  const volumes = unusedVolumePropsWarning(props);
  if (volumes !== undefined) problems.push(`${volumes}; remove ${/ have /.test(volumes) ? "them" : "it"}`);
  return problems;
}

/** The environment variables verify reads the CA and the TLS server name from. */
function clientTls(tls: NatsTls | undefined): Record<string, string> | undefined {
  return tls === undefined ? undefined : { NATS_CA: tls.caCertPem, NATS_TLS_SERVER_NAME: tls.serverName };
}

/** The environment variables verify reads client credentials from. */
function clientCredentials(auth: NatsAuth | undefined): Record<string, string> | undefined {
  if (auth?.clientSecret === undefined) return undefined;
  if (auth.client === "token") return { NATS_TOKEN: auth.clientSecret };
  return { NATS_USER: auth.clientUser ?? "nats", NATS_PASSWORD: auth.clientSecret };
}
