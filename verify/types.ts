/**
 * What every NATS connection presents and trusts: a token, or a user and password, and the
 * CA the servers' certificates must chain to.
 */
export interface Credentials {
  readonly token?: string;
  readonly user?: string;
  readonly password?: string;
  /** @default - no CA: TLS, when the server requires it, verifies against the system's CAs */
  readonly tls?: ClientTls;
}

/** How a client verifies the servers' certificates. */
export interface ClientTls {
  /** CA certificate(s), PEM. */
  readonly ca: string;
  /**
   * Name the certificate must carry, sent as TLS server name (SNI) instead of the URL's host:
   * how clients verify nodes they reach through the load balancer's IP address.
   * @default - the host of the server URL
   */
  readonly serverName?: string;
}

/** What `verify` checks and where. */
export interface VerifyOptions {
  /** Address (host name or IP) of the load balancer. */
  lb: string;
  /** How many NATS servers must answer behind the load balancer. */
  expectNodes: number;
  /** Client port the load balancer forwards. @default 4222 */
  clientPort?: number;
  /** Monitor port published through the load balancer, if any. @default - not published */
  monitorPort?: number;
  /**
   * Per-node monitor base URLs (e.g. "http://127.0.0.11:8222"), when the nodes are reachable directly.
   * @default - none: the mesh is checked through the load balancer or with messages
   */
  nodeMonitors?: string[];
  /** Health path every node answers 200 on. @default "/healthz" */
  healthPath?: string;
  /** The cluster runs JetStream and the jetstream check runs. @default false */
  jetstream?: boolean;
  /** Bound on the whole run in seconds, retries included: verify returns by then. @default 60 */
  timeoutSeconds?: number;
  /** Credentials for every NATS connection. @default - none */
  credentials?: Credentials;
  /** Receives progress lines (failed attempts while retrying). @default - discarded */
  log?: (line: string) => void;
}

/** The outcome of one check. */
export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
  /** Nothing could be checked from where verify runs: printed as "skip", and it fails nothing. @default false */
  skipped?: boolean;
}

/** What one check found, before `verify` names it. */
export type Verdict = Omit<CheckResult, "name">;
