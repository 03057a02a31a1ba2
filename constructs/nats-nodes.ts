import { Droplet } from "@cdktf/provider-digitalocean/lib/droplet";
import { Tag } from "@cdktf/provider-digitalocean/lib/tag";
import { Construct } from "constructs";
import { ADVERTISE_MODES, INSTALL_METHODS, NatsAdvertise, NatsInstallMethod, RouteCredentials, renderCloudInit } from "./cloud-init";
import { NATS_VERSION_RANGE, ValidationErrors, distinctPorts, duplicates, integerInRange, isKnown, matches, natsVersion, oneOf, pattern, port } from "./validation";

/** Largest cluster: every node routes to every other, so the mesh grows as n². */
export const MAX_NODES = 25;

/**
 * nats-server release installed on droplets by default: the newest release of a line nats-io
 * supports that the twin can also run (Debian sid packages it).
 */
export const DEFAULT_NATS_VERSION = "2.15.1";

export interface NatsNodesProps {
  /**
   * How many droplets. Node 1 is the seed: every other node routes to it.
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
   * @default "release" - the pinned nats-io release, checked against its SHA256SUMS
   */
  readonly installMethod?: NatsInstallMethod;
  /**
   * nats-server release to install, from 2.11.0 up to (not including) 3.0.0.
   * @default DEFAULT_NATS_VERSION
   */
  readonly natsVersion?: string;
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

  constructor(scope: Construct, id: string, props: NatsNodesProps = {}) {
    super(scope, id);
    validateNodesProps(props).throwIfAny(this.node.path);

    const nodeCount = props.nodeCount ?? 3;
    const namePrefix = props.namePrefix ?? "nats";
    this.nodeCount = nodeCount;
    this.region = props.region ?? "nyc3";
    this.clientPort = props.clientPort ?? 4222;
    this.monitorPort = props.monitorPort ?? 8222;
    this.clusterPort = props.clusterPort ?? 6222;

    this.tag = new Tag(this, "tag", { name: props.tag ?? namePrefix });
    this.droplets = [];
    for (let i = 1; i <= nodeCount; i++) {
      const name = `${namePrefix}-${i}`;
      const seed = this.droplets[0];
      const userData = renderCloudInit({
        serverName: name,
        clusterName: props.clusterName ?? namePrefix,
        clientPort: this.clientPort,
        monitorPort: (props.monitoring ?? true) ? this.monitorPort : undefined,
        clusterPort: this.clusterPort,
        seedAddress: seed?.ipv4AddressPrivate,
        advertise: props.advertise,
        natsVersion: props.natsVersion ?? DEFAULT_NATS_VERSION,
        clientAuthorization: props.clientAuthorization,
        routeCredentials: props.routeCredentials,
      });
      // The construct ID is the droplet's identity in Terraform state: never derive it from
      // anything that can change, or the droplet is replaced.
      const droplet = new Droplet(this, `node-${i}`, {
          name,
          region: this.region,
          size: props.size ?? "s-1vcpu-1gb",
          image: props.image ?? "ubuntu-24-04-x64",
          ipv6: props.ipv6 ?? false,
          monitoring: props.monitoringAgent ?? true,
          tags: [this.tag.name],
          sshKeys: props.sshKeys,
          vpcUuid: props.vpcUuid,
          userData,
        });
      this.droplets.push(droplet);
      this.byName.set(name, droplet);
    }
    this.seed = this.droplets[0];
  }
}

/** Adds every problem in `props` to `errors` (a new collection by default) and returns it. */
export function validateNodesProps(props: NatsNodesProps, errors = new ValidationErrors()): ValidationErrors {
  errors.add(integerInRange("nodeCount", props.nodeCount, 1, MAX_NODES, " (every node routes to every other, so the mesh grows as n²)"));
  errors.add(pattern("namePrefix", props.namePrefix, "hostname"));
  errors.add(pattern("region", props.region, "region"));
  errors.add(pattern("size", props.size, "size"));
  errors.add(pattern("image", props.image, "image"));
  errors.add(pattern("tag", props.tag, "tag"));
  errors.add(pattern("clusterName", props.clusterName, "clusterName"));
  errors.add(natsVersion("natsVersion", props.natsVersion));
  errors.add(oneOf("advertise", props.advertise, ADVERTISE_MODES));
  errors.add(installMethod(props.installMethod));
  errors.add(imageProblem("image", props.image));
  (props.sshKeys ?? []).forEach((key, i) => errors.add(sshKeyProblem(`sshKeys[${i}]`, key)));
  duplicates("sshKeys", props.sshKeys).forEach((problem) => errors.add(problem));
  errors.add(matches("vpcUuid", props.vpcUuid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, "a VPC uuid"));
  errors.add(port("clientPort", props.clientPort));
  errors.add(port("monitorPort", props.monitorPort));
  errors.add(port("clusterPort", props.clusterPort));
  for (const problem of distinctPorts({
    clientPort: props.clientPort ?? 4222,
    monitorPort: props.monitorPort ?? 8222,
    clusterPort: props.clusterPort ?? 6222,
    "ssh (22)": 22,
  })) {
    errors.add(problem);
  }
  return errors;
}

function installMethod(value: string | undefined): string | undefined {
  if (!isKnown(value) || INSTALL_METHODS.includes(value as NatsInstallMethod)) return undefined;
  const why = value === "apt" ? `: ubuntu 24.04's package is nats-server 2.10.7, outside the supported ${NATS_VERSION_RANGE.text}` : "";
  return `installMethod ${JSON.stringify(value)} is not allowed${why}; only "release" is supported (the pinned nats-io release, checked against its SHA256SUMS)`;
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
