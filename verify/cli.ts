import { isIP } from "node:net";
import { parseEnv } from "node:util";
import { printable } from "../helpers/terminal";
import { credentialsFromEnv, type Env } from "./env";
import type { CheckResult, VerifyOptions } from "./types";
import { HELP_OPTION, UsageError, integerArg, parseCli, readOptionFile, usageText } from "./args";
import { DEFAULT_CLIENT_PORT, DEFAULT_TIMEOUT_SECONDS } from "./verify";

/** Nodes expected when neither --expect-nodes nor --nodes says: the default stack's size. */
const DEFAULT_EXPECT_NODES = 3;
/** Port of a --nodes entry without one, when no --monitor-port is given. */
const DEFAULT_NODE_MONITOR_PORT = 8222;
/** Upper bounds of the numeric options. */
const MAX_NODES = 25;
const MAX_TIMEOUT_SECONDS = 3600;
/**
 * Largest --credentials-file read: a token or a user and password are a few hundred bytes, and
 * 64 KiB leaves room for comments and other variables; /dev/zero or a wrong file is refused.
 */
const MAX_CREDENTIALS_FILE_BYTES = 64 * 1024;

/** Usage text printed with every argument error and for --help. */
export const USAGE = usageText(
  `npm run verify -- --lb <host> [--expect-nodes N] [--client-port P] [--monitor-port P]
         [--timeout S] [--nodes host1,host2,...] [--health-path /healthz] [--credentials-file FILE] [--jetstream]`,
  [
    ["--lb", "load balancer host name or IP address (required)"],
    ["--expect-nodes", `NATS servers behind it, 1 to ${MAX_NODES} (default: the number of --nodes, else ${DEFAULT_EXPECT_NODES})`],
    ["--client-port", `client port it forwards (default ${DEFAULT_CLIENT_PORT})`],
    ["--monitor-port", "monitor port it forwards, if any (default: not published)"],
    ["--timeout", `seconds the whole run may take, retries included, 1 to ${MAX_TIMEOUT_SECONDS}\n(default ${DEFAULT_TIMEOUT_SECONDS})`],
    ["--nodes", `node monitors reachable from here: hosts, host:port or http:// URLs\n(default port: --monitor-port, else ${DEFAULT_NODE_MONITOR_PORT})`],
    ["--health-path", "path every node answers 200 on (default /healthz)"],
    ["--credentials-file", "read NATS_TOKEN, or NATS_USER and NATS_PASSWORD, from this file of\nNAME=value lines instead of the environment (the readiness gate does);\nNATS_CA and NATS_TLS_SERVER_NAME still come from the environment"],
    ["--jetstream", "the cluster runs JetStream: check its meta leader and a temporary\nstream of min(N, 3) replicas written and read through the load balancer"],
  ],
  [
    "Credentials come from NATS_TOKEN, or NATS_USER and NATS_PASSWORD; with TLS, NATS_CA is the\ncluster's CA certificate (a file or the PEM) and NATS_TLS_SERVER_NAME the name to verify.",
    "Exit status: 0 every check passed, 1 a check failed, 2 bad arguments.",
  ],
);

const OPTIONS = {
  lb: { type: "string" },
  "expect-nodes": { type: "string" },
  "client-port": { type: "string" },
  "monitor-port": { type: "string" },
  timeout: { type: "string" },
  nodes: { type: "string" },
  "health-path": { type: "string" },
  "credentials-file": { type: "string" },
  jetstream: { type: "boolean" },
  ...HELP_OPTION,
} as const;

/** What the command line asks for: verify's options, or the usage text. */
export type VerifyCommand = { help: true } | { help: false; options: VerifyOptions };

/** Parses verify's command line and credentials from `env`; throws {@link UsageError} on bad input. */
export function parseVerifyArgs(argv: readonly string[], env: Env): VerifyCommand {
  const values = parseCli(argv, OPTIONS);
  if (values.help) return { help: true };
  if (values.lb === undefined) throw new UsageError("--lb is required: the load balancer's host name or IP address");
  const monitorPort = optional(values["monitor-port"], (raw) => integerArg("--monitor-port", raw, 1, 65535));
  const nodeMonitors = optional(values.nodes, (raw) => parseNodes(raw, monitorPort ?? DEFAULT_NODE_MONITOR_PORT));
  const expectNodes = optional(values["expect-nodes"], (raw) => integerArg("--expect-nodes", raw, 1, MAX_NODES))
    ?? nodeMonitors?.length ?? DEFAULT_EXPECT_NODES;
  if (nodeMonitors !== undefined && nodeMonitors.length !== expectNodes) {
    throw new UsageError(`--nodes lists ${nodeMonitors.length} nodes but --expect-nodes is ${expectNodes}: list every node or none`);
  }
  return {
    help: false,
    options: {
      lb: parseHost(values.lb),
      expectNodes,
      clientPort: optional(values["client-port"], (raw) => integerArg("--client-port", raw, 1, 65535)),
      monitorPort,
      nodeMonitors,
      healthPath: optional(values["health-path"], parseHealthPath),
      jetstream: values.jetstream,
      timeoutSeconds: optional(values.timeout, (raw) => integerArg("--timeout", raw, 1, MAX_TIMEOUT_SECONDS)),
      // The file replaces only the credential variables: the CA and server name are not secret.
      credentials: credentialsFromEnv(values["credentials-file"] === undefined ? env : { ...env, ...readCredentialsFile(values["credentials-file"]) }),
    },
  };
}

/**
 * One output line per check: `ok   name: detail` or `FAIL name: detail`, with control
 * characters in the detail (server names and errors come from the network) escaped.
 */
export function formatCheck(check: CheckResult): string {
  return `${check.skipped === true ? "skip" : check.ok ? "ok  " : "FAIL"} ${check.name}: ${printable(check.detail)}`;
}

function optional<T>(raw: string | undefined, parse: (raw: string) => T): T | undefined {
  return raw === undefined ? undefined : parse(raw);
}

const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

function parseHost(raw: string): string {
  if (isIP(raw) !== 0 || HOST_NAME.test(raw)) return raw;
  throw new UsageError(`--lb ${JSON.stringify(raw)} is not a host name or IP address`);
}

/** Splits --nodes into monitor base URLs; a bare host gets `defaultPort`. */
function parseNodes(raw: string, defaultPort: number): string[] {
  return raw.split(",").map((entry) => entry.trim()).map((entry) => {
    if (/^https?:\/\/[^\s/]+\/?$/.test(entry)) return entry.replace(/\/$/, "");
    const [host, port, ...rest] = entry.split(":");
    if (rest.length === 0 && (isIP(host) === 4 || HOST_NAME.test(host))) {
      return `http://${host}:${port === undefined ? defaultPort : integerArg(`--nodes port of ${host}`, port, 1, 65535)}`;
    }
    throw new UsageError(`--nodes entry ${JSON.stringify(entry)} is not a host, host:port or http:// URL`);
  });
}

/** NAME=value lines (the dotenv format) from `file`; only the credential variables count. */
function readCredentialsFile(file: string): Env {
  const { NATS_TOKEN, NATS_USER, NATS_PASSWORD } = parseEnv(readOptionFile("--credentials-file", file, MAX_CREDENTIALS_FILE_BYTES));
  return { NATS_TOKEN, NATS_USER, NATS_PASSWORD };
}

function parseHealthPath(raw: string): string {
  if (/^\/[^\s]*$/.test(raw)) return raw;
  throw new UsageError(`--health-path ${JSON.stringify(raw)} is not a path starting with "/"`);
}
