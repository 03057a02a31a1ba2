import { Plan, blocks, num, resourcesOfType, text } from "../helpers/tf-json";

/**
 * Seconds from `terraform apply -replace` creating a droplet until nats-server runs on it:
 * DigitalOcean's create plus cloud-init installing the release. An estimate, not a measurement.
 */
export const DROPLET_BOOT_SECONDS = 90;

/** nats-server's own lame_duck_duration when the config sets none. */
const NATS_DEFAULT_LAME_DUCK_SECONDS = 120;

/** How long `npm run roll` takes per node, by step, in seconds. */
export interface RollEstimate {
  /** The old droplet's lame duck at most: nats-server.conf's lame_duck_duration. */
  readonly lameDuckSeconds: number;
  readonly bootSeconds: number;
  /** Until the load balancer sends clients: healthy threshold × check interval. */
  readonly healthySeconds: number;
  readonly perNodeSeconds: number;
}

/** The per-node roll time of a plan, from its nats-server.conf and its public load balancer's health check. */
export function rollEstimate(plan: Plan): RollEstimate {
  const userData = text(resourcesOfType(plan, "digitalocean_droplet")[0]?.body, "user_data") ?? "";
  const lameDuck = /^\s*lame_duck_duration:\s*"?(\d+)s"?/m.exec(userData)?.[1];
  const lameDuckSeconds = lameDuck === undefined ? NATS_DEFAULT_LAME_DUCK_SECONDS : Number(lameDuck);
  const publicLb = resourcesOfType(plan, "digitalocean_loadbalancer").find((lb) => lb.body.network !== "INTERNAL");
  const check = blocks(publicLb?.body, "healthcheck")[0];
  const healthySeconds = (num(check, "healthy_threshold") ?? 5) * (num(check, "check_interval_seconds") ?? 10);
  return { lameDuckSeconds, bootSeconds: DROPLET_BOOT_SECONDS, healthySeconds, perNodeSeconds: lameDuckSeconds + DROPLET_BOOT_SECONDS + healthySeconds };
}
