import { Fn } from "cdktf";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Document, Scalar, isMap, isSeq, parseDocument } from "yaml";
import { JETSTREAM_STORE_DIR, JetStreamSettings, RouteCredentials, VOLUME_MOUNT_POINT, volumeDevice } from "./node-settings";
import { NATS_IO_RELEASES, RELEASE_ARCHITECTURES, natsRelease } from "../facts/nats-releases";

/** Where the cloud-init template and its sibling files live. */
export const TEMPLATE_DIR = join(__dirname, "..", "templates");

/** How a node gets its nats-server binary: the pinned nats-io release (the only method). */
export type NatsInstallMethod = "release";
export const INSTALL_METHODS: readonly NatsInstallMethod[] = ["release"];

/**
 * Which node addresses nats-server tells clients about (INFO connect_urls):
 * - `none`: none (`--no_advertise`); clients only know the load balancer;
 * - `private`: the private addresses it listens on (nats-server's own default, as in the tutorial);
 * - `public`: listens on every interface and advertises the public address.
 */
export type NatsAdvertise = "none" | "private" | "public";
export const ADVERTISE_MODES: readonly NatsAdvertise[] = ["none", "private", "public"];

/** Where the volume's mount script is installed; dropped from the cloud-init without a volume. */
const MOUNT_SCRIPT = "/usr/local/sbin/mount-nats-volume";

/** A node's JetStream store: its volume and the limits. */
export interface NodeJetStream {
  /** The node's volume name (its device is /dev/disk/by-id/scsi-0DO_Volume_<name>). */
  readonly volumeName: string;
  readonly settings: JetStreamSettings;
}

/** One node's TLS material: references to PEM values, and the name routes verify by. */
export interface NodeTls {
  readonly caCertPem: string;
  readonly certPem: string;
  readonly privateKeyPem: string;
  /**
   * The host name routes verify certificates by: listed as a route so that nats-server uses
   * it as TLS server name for routes dialled by IP (see ROUTE_TLS_NAME in nats-tls.ts).
   */
  readonly routeName: string;
}

/** Where cloud-init writes the TLS files, relative to the unit's WorkingDirectory /etc/nats. */
export const TLS_FILES = { caCertPem: "tls/ca.pem", certPem: "tls/server.pem", privateKeyPem: "tls/server-key.pem" } as const;

/** Values rendered into one node's cloud-init. */
export interface CloudInitProps {
  /** Droplet name, used as the NATS server name. */
  readonly serverName: string;
  /** Cluster name shared by every member. */
  readonly clusterName: string;
  readonly clientPort: number;
  /** @default - no monitoring endpoint */
  readonly monitorPort?: number;
  readonly clusterPort: number;
  /**
   * Host of the seed node's route URL, usually a Terraform reference to the seed's
   * private IPv4 address.
   *
   * @default - no `--routes`: this node is the seed
   */
  readonly seedAddress?: string;
  /** @default "none" */
  readonly advertise?: NatsAdvertise;
  /** nats-server release installed by the `release` method, one listed in NATS_RELEASES, e.g. "2.15.0". */
  readonly natsVersion: string;
  /**
   * Where the release tarballs are downloaded from, in nats-io's layout
   * (`<url>/v<version>/nats-server-v<version>-linux-<arch>.tar.gz`); the SHA-256 stays pinned.
   * @default NATS_IO_RELEASES - nats-io's GitHub releases
   */
  readonly natsReleaseUrl?: string;
  /**
   * The clients' authorization block for nats-server.conf (NATS config syntax); may hold
   * Terraform references to secrets, never the secrets themselves.
   *
   * @default - clients need no credentials
   */
  readonly clientAuthorization?: string;
  /**
   * Credentials cluster members present to each other's routes (references to secrets).
   * With them the cluster listener and the route to the seed move from the command line into
   * nats-server.conf: a `--cluster` flag would drop the config's route authorization, and a
   * route URL carrying the password must not be visible in `ps`.
   *
   * @default - routes are not authenticated; cluster and routes are command-line flags
   */
  readonly routeCredentials?: RouteCredentials;
  /** @default 30 */
  readonly lameDuckSeconds?: number;
  /**
   * The node's TLS files. With them clients must use TLS, and routes use mutual TLS
   * (`verify: true`) with the same CA; the cluster listener then lives in nats-server.conf.
   *
   * @default - no TLS
   */
  readonly tls?: NodeTls;

  /**
   * JetStream with its store on the node's block-storage volume, mounted at boot.
   * @default - no JetStream, no volume
   */
  readonly jetstream?: NodeJetStream;
}

/** True when the cluster listener and routes are in nats-server.conf rather than flags. */
function clusterInConfig(props: CloudInitProps): boolean {
  return props.routeCredentials !== undefined || props.tls !== undefined;
}

/** How many times a node re-dials a route it learned by gossip (explicit routes retry forever). */
export const GOSSIPED_ROUTE_RETRIES = 60;

/** The nats-server flags for one node, exactly as they appear in the systemd unit. */
export function natsServerFlags(props: CloudInitProps): string[] {
  const advertise = props.advertise ?? "none";
  const flags = [
    "--config", "nats-server.conf",
    "--server_name", props.serverName,
    "-a", advertise === "public" ? "0.0.0.0" : "$PRIVATE_IP",
    "-p", String(props.clientPort),
    ...(props.monitorPort !== undefined ? ["-m", String(props.monitorPort)] : []),
    "--cluster_name", props.clusterName,
  ];
  if (!clusterInConfig(props)) {
    flags.push("--cluster", `nats://$PRIVATE_IP:${props.clusterPort}`);
  }
  flags.push("--cluster_advertise", `$PRIVATE_IP:${props.clusterPort}`);
  if (!clusterInConfig(props) && props.seedAddress !== undefined) {
    flags.push("--routes", `nats://${props.seedAddress}:${props.clusterPort}`);
  }
  if (advertise === "public") flags.push("--client_advertise", `$PUBLIC_IP:${props.clientPort}`);
  if (advertise === "none") flags.push("--no_advertise");
  return flags;
}

/** Renders one node's `#cloud-config` document from the files in templates/. */
export function renderCloudInit(props: CloudInitProps): string {
  const lameDuckSeconds = props.lameDuckSeconds ?? 30;
  const values: Record<string, string> = {
    serverName: props.serverName,
    clusterName: props.clusterName,
    flags: natsServerFlags(props).join(" "),
    ...releaseValues(props),
    lameDuckSeconds: String(lameDuckSeconds),
    stopTimeoutSeconds: String(lameDuckSeconds + 30),
    authorization: [props.clientAuthorization, clientTlsBlock(props.tls), clusterBlock(props)].filter((block) => block !== undefined).join("\n"),
    ...volumeValues(props.jetstream),
  };
  const doc = parseSkeleton(fillPlaceholders(readTemplate("cloud-init.yaml"), values));
  if (props.jetstream === undefined) dropMountScript(doc);
  const files = doc.get("write_files");
  if (!isSeq(files)) {
    throw new Error("templates/cloud-init.yaml has no write_files list");
  }
  for (const file of files.items) {
    if (!isMap(file)) continue;
    const content = String(file.get("content"));
    const include = /^\{\{file:([\w.-]+)\}\}$/.exec(content);
    if (include) {
      const rendered = new Scalar(`${fillPlaceholders(readTemplate(include[1]), values).trimEnd()}\n`);
      rendered.type = Scalar.BLOCK_LITERAL;
      file.set("content", rendered);
    }
  }
  if (props.tls !== undefined) {
    for (const [key, path] of Object.entries(TLS_FILES)) files.add(doc.createNode(tlsFile(path, props.tls[key as keyof typeof TLS_FILES])));
  }
  return toCloudConfig(doc);
}

/** Placeholder values of the install script: the version, where it comes from and its pinned SHA-256 per architecture. */
function releaseValues(props: CloudInitProps): Record<string, string> {
  const release = natsRelease(props.natsVersion);
  if (release === undefined) throw new Error(`nats-server ${props.natsVersion} is not in NATS_RELEASES: its SHA-256 is not known`);
  const [amd64, arm64] = RELEASE_ARCHITECTURES.map((arch) => release.sha256[arch]);
  return { natsVersion: release.version, releaseUrl: props.natsReleaseUrl ?? NATS_IO_RELEASES, sha256Amd64: amd64, sha256Arm64: arm64 };
}

/** Placeholder values for the volume, the JetStream block and the unit's mount lines. */
function volumeValues(jetstream: NodeJetStream | undefined): Record<string, string> {
  if (jetstream === undefined) {
    return { volumeDevice: "", mountPoint: "", filesystem: "", jetstream: "", mountDependency: "", volumeAccess: "" };
  }
  const { settings } = jetstream;
  return {
    volumeDevice: volumeDevice(jetstream.volumeName),
    mountPoint: VOLUME_MOUNT_POINT,
    filesystem: settings.filesystem,
    jetstream: [
      "# JetStream's store is on this node's block-storage volume (mount-nats-volume mounts it).",
      "jetstream {",
      `  store_dir: "${JETSTREAM_STORE_DIR}"`,
      `  max_file_store: ${settings.maxFileStoreMib}MiB`,
      ...(settings.maxMemoryStoreMib === undefined ? [] : [`  max_memory_store: ${settings.maxMemoryStoreMib}MiB`]),
      "}",
    ].join("\n"),
    mountDependency: `# JetStream's store is on the volume: never start without it.\nRequiresMountsFor=${VOLUME_MOUNT_POINT}`,
    volumeAccess: `ExecStartPre=/usr/bin/mountpoint -q ${VOLUME_MOUNT_POINT}\nReadWritePaths=${VOLUME_MOUNT_POINT}`,
  };
}

/** Removes the volume's mount script and its runcmd step. */
function dropMountScript(doc: Document): void {
  const files = doc.get("write_files");
  const runcmd = doc.get("runcmd");
  if (!isSeq(files) || !isSeq(runcmd)) throw new Error("templates/cloud-init.yaml has no write_files or runcmd list");
  files.items = files.items.filter((file) => !(isMap(file) && file.get("path") === MOUNT_SCRIPT));
  runcmd.items = runcmd.items.filter((step) => !(isSeq(step) && step.items.length === 1 && String(step.get(0)) === MOUNT_SCRIPT));
}

/**
 * A write_files entry for one TLS file: base64 (a PEM's line breaks would break the YAML once
 * Terraform inserts it), 0600 and owned by nats, deferred like nats-server.conf.
 */
function tlsFile(path: string, pem: string): Record<string, unknown> {
  return { path: `/etc/nats/${path}`, owner: "nats:nats", permissions: "0600", defer: true, encoding: "b64", content: Fn.base64encode(pem) };
}

/** The nats-server.conf block that makes clients use TLS (upgraded after INFO; see README). */
function clientTlsBlock(tls: NodeTls | undefined): string | undefined {
  if (tls === undefined) return undefined;
  return ["tls {", ...tlsFileLines("  "), "}"].join("\n");
}

function tlsFileLines(indent: string): string[] {
  return [
    `${indent}cert_file: "${TLS_FILES.certPem}"`,
    `${indent}key_file: "${TLS_FILES.privateKeyPem}"`,
    `${indent}ca_file: "${TLS_FILES.caCertPem}"`,
    // Seconds a handshake may take: nats-server's 2 s default is too tight on a busy 1-vCPU droplet,
    // where routes (4 pooled connections per peer) and clients handshake at once after a restart.
    `${indent}timeout: 5`,
  ];
}

/**
 * The nats-server.conf cluster block used with route authentication or TLS: listener, the
 * authorization every member checks, mutual TLS, and the routes: to the seed (except on the
 * seed) with the credentials in its URL, and to the route TLS name. `$PRIVATE_IP` is resolved
 * by nats-server from its environment.
 */
function clusterBlock(props: CloudInitProps): string | undefined {
  if (!clusterInConfig(props)) return undefined;
  const credentials = props.routeCredentials;
  const lines = [
    "# Listener and routes are here, not flags: a --cluster flag would drop the route credentials.",
    "cluster {",
    "  host: $PRIVATE_IP",
    `  port: ${props.clusterPort}`,
    "  # Routes learned by gossip are retried this often (1 s apart) before they are forgotten,",
    "  # so the mesh between the other nodes rides out a blip while the seed is being replaced.",
    `  connect_retries: ${GOSSIPED_ROUTE_RETRIES}`,
  ];
  if (credentials !== undefined) {
    lines.push("  authorization {", `    user: "${credentials.user}"`, `    password: "${credentials.password}"`, "  }");
  }
  const userInfo = credentials === undefined ? "" : `${credentials.user}:${credentials.password}@`;
  const routes: string[] = [];
  if (props.tls !== undefined) {
    // Mutual TLS: each side presents its certificate and verifies the other's against the CA.
    lines.push("  tls {", ...tlsFileLines("    "), "    verify: true", "  }");
    // Resolves to this node, so nats-server never dials it; see ROUTE_TLS_NAME.
    routes.push(`nats://${userInfo}${props.tls.routeName}:${props.clusterPort}`);
  }
  if (props.seedAddress !== undefined) routes.push(`nats://${userInfo}${props.seedAddress}:${props.clusterPort}`);
  // Node 1's route to itself and the TLS name route are one entry.
  if (routes.length > 0) lines.push(`  routes: [${[...new Set(routes)].map((route) => `"${route}"`).join(", ")}]`);
  lines.push("}");
  return lines.join("\n");
}

function toCloudConfig(doc: Document): string {
  if (doc.errors.length > 0) {
    throw new Error(`rendered cloud-init is not valid yaml: ${doc.errors[0].message}`);
  }
  const body = doc.toString({ lineWidth: 0 });
  return body.startsWith("#cloud-config\n") ? body : `#cloud-config\n${body}`;
}

/**
 * The last skeleton parsed (templates/cloud-init.yaml with its placeholders filled) and its text.
 * The skeleton has no per-node value today, so a synthesis parses it once and each node edits a
 * clone: parsing was half the time of rendering a node. One entry, so it never grows.
 */
let skeleton: { readonly text: string; readonly doc: Document } | undefined;

function parseSkeleton(text: string): Document {
  if (skeleton?.text !== text) skeleton = { text, doc: parseDocument(text) };
  return skeleton.doc.clone();
}

function readTemplate(name: string): string {
  return readFileSync(join(TEMPLATE_DIR, name), "utf8");
}

/**
 * Replaces every `{{name}}` with its value; a placeholder alone on its line that renders empty
 * removes the line. An unknown name is a template bug.
 */
function fillPlaceholders(template: string, values: Record<string, string>): string {
  const withoutEmptyLines = template.replace(/^\{\{(\w+)\}\}\n/gm, (line, name: string) => (values[name] === "" ? "" : line));
  return withoutEmptyLines.replace(/\{\{(\w+)\}\}/g, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) {
      throw new Error(`template placeholder {{${name}}} has no value; known: ${Object.keys(values).join(", ")}`);
    }
    return value;
  });
}
