import { Password } from "@cdktf/provider-random/lib/password";
import { Construct } from "constructs";
import { RouteCredentials } from "./node-settings";
import { ValidationErrors, oneOf } from "../facts/validation";

export type ClientAuth = "none" | "token" | "user-password";
export const CLIENT_AUTH_MODES: readonly ClientAuth[] = ["none", "token", "user-password"];

export interface NatsAuthProps {
  /**
   * Cluster members authenticate each other's routes with a generated password.
   * @default true
   */
  readonly routes?: boolean;
  /**
   * How clients authenticate: a generated token, or user `clientUser` with a generated
   * password.
   * @default "token"
   */
  readonly client?: ClientAuth;
  /** @default "nats" */
  readonly clientUser?: string;
}

/**
 * Generated credentials for a NATS cluster. Secrets exist only in Terraform state (as
 * random_password results); the synthesized plan holds references to them, never values,
 * and nats-server reads them from a 0600 config file, not from its command line.
 */
export class NatsAuth extends Construct {
  /** The clients' nats-server.conf authorization block; undefined without client auth. */
  public readonly clientAuthorization?: string;
  /** Reference to the client token or password, when client auth is on. */
  public readonly clientSecret?: string;
  public readonly clientUser?: string;
  public readonly client: ClientAuth;
  /** Route user and a reference to its generated password, when routes are authenticated. */
  public readonly routeCredentials?: RouteCredentials;

  constructor(scope: Construct, id: string, props: NatsAuthProps = {}) {
    super(scope, id);
    validateAuthProps(props).throwIfAny(this.node.path);
    this.client = props.client ?? "token";
    if (this.client !== "none") {
      this.clientSecret = secret(this, "client-secret");
      if (this.client === "token") {
        this.clientAuthorization = `authorization {\n  token: "${this.clientSecret}"\n}`;
      } else {
        this.clientUser = props.clientUser ?? "nats";
        this.clientAuthorization = `authorization {\n  user: "${this.clientUser}"\n  password: "${this.clientSecret}"\n}`;
      }
    }
    if (props.routes ?? true) {
      this.routeCredentials = { user: "route", password: secret(this, "route-password") };
    }
  }
}

/** A 32-character alphanumeric secret: safe inside a quoted NATS config string. */
function secret(scope: Construct, id: string): string {
  return new Password(scope, id, { length: 32, special: false }).result;
}

/** Adds every problem in `props` to `errors` (a new collection by default) and returns it. */
export function validateAuthProps(props: NatsAuthProps, errors = new ValidationErrors()): ValidationErrors {
  errors.add(oneOf("auth.client", props.client, CLIENT_AUTH_MODES));
  if (props.clientUser !== undefined) {
    errors.check(!/^[A-Za-z0-9_-]{1,64}$/.test(props.clientUser), `auth.clientUser ${JSON.stringify(props.clientUser)} is not valid: expected 1 to 64 letters, digits, dashes or underscores`);
  }
  return errors;
}
