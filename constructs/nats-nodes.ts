import { Droplet } from "@cdktf/provider-digitalocean/lib/droplet";
import { Tag } from "@cdktf/provider-digitalocean/lib/tag";
import { Construct } from "constructs";
import { Annotations, Postcondition } from "cdktf";
import { DROPLET_ARGUMENTS, IGNORED_DROPLET_ARGUMENTS } from "../facts/droplet-arguments";
import { jetStreamSettings, unusedVolumePropsWarning, validateJetStreamProps } from "./jetstream";
import { JetStreamSettings, NodeJetStreamProps, RouteCredentials, SELF_ROUTE_HOST, volumeName } from "./node-settings";
import { NatsVolumes } from "./nats-volumes";
import { ADVERTISE_MODES, INSTALL_METHODS, NatsAdvertise, NatsInstallMethod, renderCloudInit } from "./cloud-init";
import type { NodeCertificate } from "./nats-tls";
import { LOW_CLIENT_PORT_HINT, NATS_VERSION_RANGE, ValidationErrors, distinctPorts, dropletSize, duplicates, integerInRange, isKnown, matches, natsVersion, nodePort, oneOf, pattern, releaseUrl } from "../facts/validation";

/** Largest cluster: every node routes to every other, so the mesh grows as n². */
export const MAX_NODES = 25;

/**
 * nats-server release installed on droplets by default: the newest release in NATS_RELEASES
 * (facts/nats-releases.ts, the releases whose checksums the plan pins) of a line the twin
 * can also run (Debian sid packages 2.15.1, of the same line).
 */
export const DEFAULT_NATS_VERSION = "2.15.0";

export interface NatsNodesProps extends NodeJetStreamProps {
  /**
   * How many droplets. Node 1 is the seed: every other node routes to it (through
   * `seedAddress` when set).
   * @default 3
   */
  readonly nodeCount?: number;
  /**
   * Droplet names are `<namePrefix>-1` … `<namePrefix>-<nodeCount>`; each is also the node's
   * NATS server name.
   * @default "nats"
   */
  readonly namePrefix?: string;
  /** @default "nyc3" */
  readonly region?: string;
  /** @default "s-1vcpu-1gb" - the smallest size with 1 GiB of memory */
  readonly size?: string;
  /** @default "ubuntu-24-04-x64" */
  readonly image?: string;
  /**
   * Enables public IPv6 on each droplet (it cannot be turned off again without replacing it).
   * @default false
   */
  readonly ipv6?: boolean;
  /**
   * The tag every droplet carries; the load balancer and the firewall find the nodes by it.
   * @default - the name prefix
   */
  readonly tag?: string;
  /**
   * SSH key IDs or fingerprints installed for root.
   * @default - no keys: DigitalOcean e-mails a root password unless the account forbids it
   */
  readonly sshKeys?: string[];
  /**
   * VPC the droplets join; cluster routes use its private addresses.
   * @default - the region's default VPC
   */
  readonly vpcUuid?: string;
  /**
   * Installs DigitalOcean's metrics agent (CPU, memory and disk graphs and alerts).
   * @default true
   */
  readonly monitoringAgent?: boolean;
  /** @default - the name prefix */
  readonly clusterName?: string;
  /** @default 4222 */
  readonly clientPort?: number;
  /**
   * HTTP monitoring port (`-m`): /varz, /routez, /healthz. Bound to the private address.
   * @default 8222
   */
  readonly monitorPort?: number;
  /** @default 6222 */
  readonly clusterPort?: number;
  /**
   * Starts the HTTP monitoring endpoint (`-m`). Without it the health check must be tcp.
   * @default true
   */
  readonly monitoring?: boolean;
  /** @default "none" - clients are told no node addresses and always come through the load balancer */
  readonly advertise?: NatsAdvertise;
  /**
   * The only method is `release`: Ubuntu 24.04's own package ("apt") is nats-server 2.10.7,
   * older than the supported range, and is rejected.
   * @default "release" - the pinned nats-io release, checked against the SHA-256 the plan carries
   */
  readonly installMethod?: NatsInstallMethod;
  /**
   * nats-server release to install: one listed in NATS_RELEASES (facts/nats-releases.ts),
   * whose tarball's SHA-256 the install script checks.
   * @default DEFAULT_NATS_VERSION
   */
  readonly natsVersion?: string;
  /**
   * Where droplets download the nats-server release from: a mirror in nats-io's layout
   * (`<url>/v<version>/nats-server-v<version>-linux-<arch>.tar.gz`), for a proxy or an
   * air-gapped network. The tarball is still checked against the SHA-256 the plan pins.
   * @default NATS_IO_RELEASES - nats-io's GitHub releases
   */
  readonly natsReleaseUrl?: string;
  /**
   * The clients' authorization block for nats-server.conf; Terraform references only.
   * @default - clients need no credentials
   */
  readonly clientAuthorization?: string;
  /**
   * Route credentials (references to secrets); see CloudInitProps.routeCredentials.
   * @default - routes are not authenticated
   */
  readonly routeCredentials?: RouteCredentials;
  /**
   * The CA and one certificate per node (see NatsTls): clients must use TLS, routes use
   * mutual TLS.
   * @default - no TLS
   */
  readonly certificates?: NodesTls;
  /**
   * Host that nodes 2…n route to, a reference to something that is not a droplet (the
   * cluster's internal seed load balancer): replacing node 1 then changes no other droplet.
   * @default - node 1's private address: replacing node 1 changes every other node's user_data
   */
  readonly seedAddress?: string;
  /**
   * A second tag that only node 1 carries (the seed load balancer targets it).
   * @default - none
   */
  readonly seedTag?: string;
}

/** TLS material for the nodes: references to PEM values, certificates in node order. */
export interface NodesTls {
  readonly caCertPem: string;
  readonly nodes: readonly NodeCertificate[];
  /** The host name routes verify each other's certificates by. */
  readonly routeName: string;
}

/** Droplet names, which are also the NATS server names: `<namePrefix>-1` … `<namePrefix>-<nodeCount>`. */
export function nodeNames(props: Pick<NatsNodesProps, "namePrefix" | "nodeCount">): string[] {
  return Array.from({ length: props.nodeCount ?? 3 }, (_unused, i) => `${props.namePrefix ?? "nats"}-${i + 1}`);
}

/**
 * A droplet whose lifecycle cdktf's HCL output (`cdktf synth --hcl`) writes as Terraform reads it:
 * cdktf 0.21 renders lifecycle conditions as an attribute list (`postcondition = [...]`), which
 * Terraform rejects; here they are blocks. The JSON synthesis is cdktf's own.
 */
class NodeDroplet extends Droplet {
  public override toHclTerraform(): Record<string, unknown> {
    const hcl = super.toHclTerraform() as { resource: Record<string, Record<string, Record<string, unknown>>> };
    const attributes = hcl.resource[this.terraformResourceType][this.friendlyUniqueId];
    const { ignore_changes, postcondition } = attributes.lifecycle as { ignore_changes: string[]; postcondition: unknown[] };
    attributes.lifecycle = {
      isBlock: true,
      type: "simple",
      value: {
        ignore_changes: { value: ignore_changes, type: "list", storageClassType: "stringList" },
        postcondition: { value: postcondition, isBlock: true, type: "list", storageClassType: "object" },
      },
    };
    return hcl;
  }
}

/** The droplets of a NATS cluster, each booting nats-server from the cloud-init template. */
export class NatsNodes extends Construct {
  public readonly droplets: Droplet[];
  /** Droplets by name, in node order. */
  public readonly byName = new Map<string, Droplet>();
  public readonly tag: Tag;
  public readonly seed: Droplet;
  public readonly nodeCount: number;
  public readonly clientPort: number;
  public readonly monitorPort: number;
  public readonly clusterPort: number;
  public readonly region: string;
  /** JetStream settings; undefined with JetStream off. */
  public readonly jetstream?: JetStreamSettings;
  /** One volume per node, in node order; undefined with JetStream off. */
  public readonly volumes?: NatsVolumes;

  constructor(scope: Construct, id: string, props: NatsNodesProps = {}) {
    super(scope, id);
    const errors = validateNodesProps(props);
    errors.throwIfAny(this.node.path);
    if (props.certificates !== undefined && props.certificates.nodes.length !== (props.nodeCount ?? 3)) {
      throw new Error(`${this.node.path}: certificates has ${props.certificates.nodes.length} node certificates for ${props.nodeCount ?? 3} nodes`);
    }
    const unused = unusedVolumePropsWarning(props);
    if (unused !== undefined) Annotations.of(this).addWarning(unused);

    const names = nodeNames(props);
    const namePrefix = props.namePrefix ?? "nats";
    this.nodeCount = names.length;
    this.region = props.region ?? "nyc3";
    this.clientPort = props.clientPort ?? 4222;
    this.monitorPort = props.monitorPort ?? 8222;
    this.clusterPort = props.clusterPort ?? 6222;

    this.tag = new Tag(this, "tag", { name: props.tag ?? namePrefix });
    this.jetstream = jetStreamSettings(props);
    if (this.jetstream !== undefined) {
      this.volumes = new NatsVolumes(this, "volumes", { nodeCount: this.nodeCount, namePrefix, region: this.region, settings: this.jetstream, tags: [this.tag.name] });
    }
    this.droplets = [];
    names.forEach((name, index) => {
      const i = index + 1;
      // JetStream refuses to start clustered without a configured route, so with it node 1 lists
      // a route to itself, which nats-server never dials; a route through the seed load balancer
      // would only lead back to node 1, and one node would need that load balancer just for it.
      const seed = i === 1 ? (this.jetstream === undefined ? undefined : SELF_ROUTE_HOST) : (props.seedAddress ?? this.droplets[0].ipv4AddressPrivate);
      const cert = props.certificates?.nodes[index];
      const userData = renderCloudInit({
        serverName: name,
        clusterName: props.clusterName ?? namePrefix,
        clientPort: this.clientPort,
        monitorPort: (props.monitoring ?? true) ? this.monitorPort : undefined,
        clusterPort: this.clusterPort,
        seedAddress: seed,
        advertise: props.advertise,
        natsVersion: props.natsVersion ?? DEFAULT_NATS_VERSION,
        natsReleaseUrl: props.natsReleaseUrl,
        clientAuthorization: props.clientAuthorization,
        routeCredentials: props.routeCredentials,
        tls: props.certificates === undefined || cert === undefined ? undefined : { caCertPem: props.certificates.caCertPem, ...cert, routeName: props.certificates.routeName },
        jetstream: this.jetstream === undefined ? undefined : { volumeName: volumeName(namePrefix, i), settings: this.jetstream },
      });
      // The construct ID is the droplet's identity in Terraform state: never derive it from
      // anything that can change, or the droplet is replaced.
      const droplet = new NodeDroplet(this, `node-${i}`, {
          name,
          region: this.region,
          size: props.size ?? "s-1vcpu-1gb",
          image: props.image ?? "ubuntu-24-04-x64",
          ipv6: props.ipv6 ?? false,
          monitoring: props.monitoringAgent ?? true,
          tags: i === 1 && props.seedTag !== undefined ? [this.tag.name, props.seedTag] : [this.tag.name],
          sshKeys: props.sshKeys,
          vpcUuid: props.vpcUuid,
          userData,
          // Shut down before delete: systemd stops nats-server in lame duck mode (KillSignal=SIGUSR2).
          gracefulShutdown: true,
          // A deploy never stops, resizes or replaces a running droplet: what would is left to
          // npm run roll (facts/droplet-arguments.ts), and what cannot roll fails the plan.
          lifecycle: {
            ignoreChanges: [...IGNORED_DROPLET_ARGUMENTS],
            postcondition: [refusedChange(name, "region", this.region), refusedChange(name, "vpc_uuid", props.vpcUuid)].filter((condition): condition is Postcondition => condition !== undefined),
          },
          // Attached at creation, so the volume is there at first boot. Never combined with a
          // digitalocean_volume_attachment (the provider would see it as drift).
          volumeIds: this.volumes === undefined ? undefined : [this.volumes.volumes[i - 1].id],
        });
      this.droplets.push(droplet);
      this.byName.set(name, droplet);
    });
    this.seed = this.droplets[0];
  }
}

/**
 * The postcondition that fails every plan (deploy's and the roll's) while the droplet still has
 * another value of a refused argument than `value`: the argument is ignored, so the planned value
 * is the droplet's own. None when `value` is unset or not known at synthesis.
 */
function refusedChange(name: string, argument: "region" | "vpc_uuid", value: string | undefined): Postcondition | undefined {
  if (value === undefined || !isKnown(value)) return undefined;
  return {
    condition: `\${self.${argument} == ${JSON.stringify(value)}}`,
    errorMessage: `${name} has ${argument} \${self.${argument}}, the configuration says ${value}: ${DROPLET_ARGUMENTS[argument].why}; or set ${argument} back to \${self.${argument}}`,
  };
}

/** Adds every problem in `props` to `errors` (a new collection by default) and returns it. */
export function validateNodesProps(props: NatsNodesProps, errors = new ValidationErrors()): ValidationErrors {
  errors.add(integerInRange("nodeCount", props.nodeCount, 1, MAX_NODES, " (every node routes to every other, so the mesh grows as n²)"));
  errors.add(pattern("namePrefix", props.namePrefix, "hostname"));
  errors.add(pattern("region", props.region, "region"));
  errors.add(dropletSize("size", props.size));
  errors.add(pattern("image", props.image, "image"));
  errors.add(pattern("tag", props.tag, "tag"));
  errors.add(pattern("clusterName", props.clusterName, "clusterName"));
  errors.add(natsVersion("natsVersion", props.natsVersion));
  errors.add(releaseUrl("natsReleaseUrl", props.natsReleaseUrl));
  errors.add(oneOf("advertise", props.advertise, ADVERTISE_MODES));
  errors.add(installMethod(props.installMethod));
  errors.add(imageProblem("image", props.image));
  (props.sshKeys ?? []).forEach((key, i) => errors.add(sshKeyProblem(`sshKeys[${i}]`, key)));
  duplicates("sshKeys", props.sshKeys).forEach((problem) => errors.add(problem));
  errors.add(matches("vpcUuid", props.vpcUuid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, "a VPC uuid"));
  errors.add(nodePort("clientPort", props.clientPort, LOW_CLIENT_PORT_HINT));
  errors.add(nodePort("monitorPort", props.monitorPort));
  errors.add(nodePort("clusterPort", props.clusterPort));
  for (const problem of distinctPorts({
    clientPort: props.clientPort ?? 4222,
    monitorPort: props.monitorPort ?? 8222,
    clusterPort: props.clusterPort ?? 6222,
  })) {
    errors.add(problem);
  }
  validateJetStreamProps(props, errors);
  return errors;
}

function installMethod(value: string | undefined): string | undefined {
  if (!isKnown(value) || INSTALL_METHODS.includes(value as NatsInstallMethod)) return undefined;
  const why = value === "apt" ? `: ubuntu 24.04's package is nats-server 2.10.7, outside the supported ${NATS_VERSION_RANGE.text}` : "";
  return `installMethod ${JSON.stringify(value)} is not allowed${why}; only "release" is supported (the pinned nats-io release, checked against the SHA-256 the plan carries)`;
}

/**
 * Image slugs of the distributions the install script supports: it runs apt-get and dpkg.
 * A numeric id (a snapshot or custom image) cannot be judged here; it must be Debian-based.
 */
const APT_IMAGE = /^(?:ubuntu|debian)-/;

/** The problem with an image the install script cannot handle, if any. */
function imageProblem(name: string, image: string | undefined): string | undefined {
  if (!isKnown(image) || /^\d+$/.test(image as string) || APT_IMAGE.test(image as string)) return undefined;
  if (pattern(name, image, "image") !== undefined) return undefined; // reported as malformed
  return (
    `${name} ${JSON.stringify(image)} is not an ubuntu or debian image: the install script uses apt and dpkg; ` +
    "expected e.g. ubuntu-24-04-x64 or debian-12-x64, or the numeric id of a debian-based snapshot"
  );
}

/** The problem with one SSH key as DigitalOcean wants it (a key id or an MD5 fingerprint), if any. */
function sshKeyProblem(name: string, key: string | undefined): string | undefined {
  if (!isKnown(key)) return undefined;
  const text = key as string;
  if (/^SHA256:/i.test(text)) {
    return (
      `${name} ${JSON.stringify(text)} is a SHA256 fingerprint, but DigitalOcean wants the MD5 fingerprint or the key id: ` +
      "print it with `ssh-keygen -E md5 -lf key.pub` (without the MD5: prefix)"
    );
  }
  if (/^MD5:/i.test(text)) return `${name} ${JSON.stringify(text)} starts with MD5: as ssh-keygen prints it: remove the prefix`;
  return matches(name, text, /^(?:\d+|[0-9a-f]{2}(?::[0-9a-f]{2}){15})$/, "a numeric key id or an md5 fingerprint such as 3b:16:...:8f");
}
