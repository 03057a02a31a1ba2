import "cdktf/lib/testing/adapters/jest";
import { Testing } from "cdktf";
import { parse } from "yaml";
import { NatsClusterProps } from "../constructs/nats-cluster";
import { ValidationError } from "../facts/validation";
import { NatsStack } from "../constructs/nats-stack";

// cdktf's matchers (toHaveResourceWithProperties, ...) for the files that synthesize; a test file
// that does not import cdktf does not pay for loading it.
Testing.setupJest();

/** Terraform JSON of one synthesized stack. */
export interface TerraformJson {
  resource: Record<string, Record<string, Record<string, unknown>>>;
  output?: Record<string, { value: unknown; sensitive?: boolean; description?: string }>;
  provider?: Record<string, unknown[]>;
}

/** A NatsStack in a fresh test app. */
export function testStack(props: NatsClusterProps = {}, id = "nats"): NatsStack {
  return new NatsStack(Testing.app(), id, props);
}

/** Synthesizes `stack` (running validations) and parses the JSON. */
export function synthJson(stack: NatsStack): TerraformJson {
  return JSON.parse(Testing.synth(stack, true)) as TerraformJson;
}

/** The problems of the ValidationError `build` throws, none when it returns; any other error is thrown on. */
export function validationProblems(build: () => unknown): readonly string[] {
  try {
    build();
  } catch (error) {
    if (error instanceof ValidationError) return error.problems;
    throw error;
  }
  return [];
}

/** The resources of one type, in logical-ID order. */
export function resourcesOf(json: TerraformJson, type: string): Record<string, unknown>[] {
  return Object.values(json.resource[type] ?? {});
}

/** The only resource of `type`; fails when there is not exactly one. */
export function onlyResource(json: TerraformJson, type: string): Record<string, unknown> {
  const found = resourcesOf(json, type);
  if (found.length !== 1) throw new Error(`expected exactly one ${type}, found ${found.length}`);
  return found[0];
}

/** The load balancer's default health check, as synthesized: GET /healthz on 8222, 3 s, 3 s, 5 up, 2 down. */
export const DEFAULT_HEALTH_CHECK_JSON = {
  protocol: "http",
  port: 8222,
  path: "/healthz",
  check_interval_seconds: 3,
  response_timeout_seconds: 3,
  healthy_threshold: 5,
  unhealthy_threshold: 2,
};

/** The systemd unit that a droplet's cloud-init writes. */
export function unitOf(userData: string): string {
  const config = parse(userData) as { write_files: { path: string; content: string }[] };
  return config.write_files.find((f) => f.path === "/etc/systemd/system/nats-server.service")!.content;
}

/** The public load balancer clients use; fails unless there is exactly one. */
export function clientLoadBalancer(json: TerraformJson): Record<string, unknown> {
  const found = resourcesOf(json, "digitalocean_loadbalancer").filter((lb) => lb.network !== "INTERNAL");
  if (found.length !== 1) throw new Error(`expected exactly one public digitalocean_loadbalancer, found ${found.length}`);
  return found[0];
}
