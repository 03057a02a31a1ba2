import { chmodSync, existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { LocalBackend, PgBackend, S3Backend, TerraformBackend, TerraformStack } from "cdktf";
import { ValidationErrors, matches, oneOf } from "../facts/validation";

/** Where Terraform keeps a stack's state. */
export type StateBackendKind = "local" | "spaces" | "pg";

export const STATE_BACKENDS: readonly StateBackendKind[] = ["local", "spaces", "pg"];

/** The directory, in the working directory, that holds every local state: only its owner can enter it. */
export const STATE_DIRECTORY = "terraform-state";

/**
 * Where a stack keeps its Terraform state. Secrets never come from here: the Spaces keys are
 * read by Terraform from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, the PostgreSQL
 * connection string from PG_CONN_STR, when it runs.
 */
export interface StateBackendProps {
  /**
   * `local`: a file in a 0700 directory of the machine that deploys; `spaces`: one key per
   * stack in a DigitalOcean Spaces bucket, locked with a lock file; `pg`: one schema per stack
   * in PostgreSQL, locked with advisory locks.
   * @default "local"
   */
  readonly stateBackend?: StateBackendKind;
  /**
   * The Spaces bucket (3–63 lowercase letters, digits and dashes). Required by `spaces`; the
   * `nats-state` stack creates it.
   * @default - none
   */
  readonly stateBucket?: string;
  /**
   * The Spaces region of the bucket, e.g. `fra1`. Required by `spaces`.
   * @default - none
   */
  readonly stateRegion?: string;
  /**
   * The folder of the state keys in the bucket: the key is `<prefix>/<stack id>.tfstate`. Only with `spaces`.
   * @default "terraform"
   */
  readonly stateKeyPrefix?: string;
  /**
   * The PostgreSQL schema that holds the state. Only with `pg`.
   * @default - `terraform_` and the stack id in snake case: `terraform_nats`
   */
  readonly stateSchema?: string;
  /**
   * The directory of the local state file (`terraform.<stack id>.tfstate`); the app creates it
   * with mode 0700. Only with `local`.
   * @default - `terraform-state` in the working directory
   */
  readonly stateDirectory?: string;
}

/** The key prefix of the state in a bucket when none is set. */
export const DEFAULT_KEY_PREFIX = "terraform";

const BUCKET = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const SPACES_REGION = /^[a-z]{3}[0-9]$/;
const KEY_PREFIX = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;
const SCHEMA = /^[a-z_][a-z0-9_]{0,62}$/;

/** The default schema of a stack: `nats-tutorial` → `terraform_nats_tutorial`. */
export function defaultSchema(stackId: string): string {
  return `terraform_${stackId.toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "")}`.slice(0, 63);
}

/** The state file of a stack that cdktf's default local backend used: `terraform.<id>.tfstate` in the working directory. */
export function legacyStateFile(stackId: string, directory: string): string {
  return join(dirname(directory), `terraform.${stackId}.tfstate`);
}

/** The directory of a stack's local state. */
export function stateDirectory(props: StateBackendProps): string {
  return props.stateDirectory ?? join(process.cwd(), STATE_DIRECTORY);
}

/**
 * Every problem with a stack's backend settings: values, settings the backend does not use,
 * and, for `local`, a state file still at cdktf's old path (a synth that ignored it would
 * start from empty state and deploy a second cluster).
 */
export function validateStateBackendProps(stackId: string, props: StateBackendProps, errors: ValidationErrors): void {
  const kind = props.stateBackend ?? "local";
  errors.add(oneOf("stateBackend", kind, STATE_BACKENDS));
  errors.add(matches("stateBucket", props.stateBucket, BUCKET, "a Spaces bucket name: 3 to 63 lowercase letters, digits and dashes, starting and ending with a letter or digit"));
  errors.add(matches("stateRegion", props.stateRegion, SPACES_REGION, "a Spaces region slug such as fra1 or nyc3"));
  errors.add(matches("stateKeyPrefix", props.stateKeyPrefix, KEY_PREFIX, "folders of letters, digits, dots, dashes and underscores separated by single slashes, such as team/nats"));
  errors.check(props.stateKeyPrefix !== undefined && props.stateKeyPrefix.split("/").some((part) => /^\.+$/.test(part)), `stateKeyPrefix ${JSON.stringify(props.stateKeyPrefix)} is not valid: a folder cannot be . or ..`);
  errors.add(matches("stateSchema", props.stateSchema, SCHEMA, "a PostgreSQL schema name: up to 63 lowercase letters, digits and underscores, not starting with a digit"));
  if (kind === "spaces") {
    errors.check(props.stateBucket === undefined, "stateBucket is required with stateBackend spaces: the Spaces bucket that holds the state (the nats-state stack creates it)");
    errors.check(props.stateRegion === undefined, "stateRegion is required with stateBackend spaces: the region of the bucket, such as fra1");
  }
  errors.check(kind !== "spaces" && props.stateKeyPrefix !== undefined, `stateKeyPrefix is set but stateBackend is ${kind}: it is only used with spaces`);
  errors.check(kind !== "pg" && props.stateSchema !== undefined, `stateSchema is set but stateBackend is ${kind}: it is only used with pg`);
  if (kind === "local") errors.add(legacyStateProblem(stackId, stateDirectory(props)));
}

function legacyStateProblem(stackId: string, directory: string): string | undefined {
  const legacy = legacyStateFile(stackId, directory);
  if (!existsSync(legacy)) return undefined;
  const moved = join(directory, `terraform.${stackId}.tfstate`);
  if (existsSync(moved)) {
    return `state of stack ${stackId} is in two places, ${legacy} (the old path) and ${moved}: keep the one that holds your cluster (terraform show -state=FILE), move the other away, then synthesize again`;
  }
  return (
    `state of stack ${stackId} is at the old path ${legacy}, readable by every user: move it into the private directory before anything else, ` +
    `or Terraform starts from empty state and creates a second cluster: mkdir -m 700 -p ${directory} && mv ${legacy}* ${directory}/, ` +
    `synthesize, then run terraform init -migrate-state in the stack's directory (cdktf.out/stacks/${stackId})`
  );
}

/**
 * Adds the backend `props` describe to `stack` (validate them first): a local file in the
 * stack's private state directory, the S3 backend on Spaces with `use_lockfile`, or the pg
 * backend with its own schema.
 */
export function addStateBackend(stack: TerraformStack, props: StateBackendProps): TerraformBackend {
  const id = stack.node.id;
  switch (props.stateBackend ?? "local") {
    case "local":
      return new LocalBackend(stack, { path: join(stateDirectory(props), `terraform.${id}.tfstate`) });
    case "spaces":
      return spacesBackend(stack, props);
    case "pg": {
      const backend = new PgBackend(stack, { connStr: "", schemaName: props.stateSchema ?? defaultSchema(id) });
      // No conn_str: Terraform reads PG_CONN_STR when it runs, so the password is never in the plan.
      backend.addOverride("conn_str", undefined);
      return backend;
    }
  }
}

/** DigitalOcean's settings for Spaces as the S3 backend, and Terraform's lock file (S3Backend of cdktf 0.21 has no use_lockfile). */
function spacesBackend(stack: TerraformStack, props: StateBackendProps): S3Backend {
  const backend = new S3Backend(stack, {
    bucket: props.stateBucket as string,
    key: `${props.stateKeyPrefix ?? DEFAULT_KEY_PREFIX}/${stack.node.id}.tfstate`,
    // The S3 backend wants an AWS region; Spaces' own is in the endpoint.
    region: "us-east-1",
    endpoints: { s3: `https://${props.stateRegion as string}.digitaloceanspaces.com` },
    skipCredentialsValidation: true,
    skipRequestingAccountId: true,
    skipMetadataApiCheck: true,
    skipRegionValidation: true,
    skipS3Checksum: true,
  });
  // <key>.tflock, written with a conditional PUT (If-None-Match: *): a second writer gets 412.
  backend.addOverride("use_lockfile", true);
  return backend;
}

/**
 * Creates the directory of every local state in `stacks` with mode 0700, and takes group and
 * other permissions off one that exists: Terraform writes the state (TLS private keys,
 * passwords) with mode 0644. Call before Terraform runs, after a synthesis without problems.
 */
export function createStateDirectories(stacks: readonly TerraformStack[]): string[] {
  const directories = stacks.flatMap((stack) => {
    const local = stack.node.children.find((child): child is LocalBackend => child instanceof LocalBackend);
    const path = local?.toTerraform().terraform?.backend?.local?.path as string | undefined;
    return path === undefined ? [] : [dirname(path)];
  });
  for (const directory of new Set(directories)) {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    if ((statSync(directory).mode & 0o077) !== 0) chmodSync(directory, 0o700);
  }
  return [...new Set(directories)];
}
