import { FIRST_UNPRIVILEGED_PORT } from "../facts/validation";
import type { NodeConfig } from "./cloud-config";

/**
 * The problem with the ports a node's unit has nats-server bind, if any: the twin runs every
 * node as root on loopback, where any port binds, so it must refuse what the droplet's unit
 * could not do. It models Linux as Ubuntu 24.04 ships it: a process whose unit sets a `User=`
 * other than root binds a port below 1024 only with CAP_NET_BIND_SERVICE in
 * `AmbientCapabilities=` (`net.ipv4.ip_unprivileged_port_start` is 1024). It could differ from a
 * droplet whose image lowers that sysctl, or whose unit drops the capability for root
 * (`CapabilityBoundingSet=`); neither is in this project's unit.
 */
export function privilegedPortProblem(
  droplet: string,
  unit: Pick<NodeConfig, "user" | "ambientCapabilities">,
  ports: Readonly<Record<string, number | undefined>>,
): string | undefined {
  const user = unit.user ?? "root";
  if (user === "root" || user === "0") return undefined;
  const capabilities = (unit.ambientCapabilities ?? "").split(/\s+/);
  if (capabilities.includes("CAP_NET_BIND_SERVICE")) return undefined;
  const low = Object.entries(ports).filter((entry): entry is [string, number] => entry[1] !== undefined && entry[1] < FIRST_UNPRIVILEGED_PORT);
  if (low.length === 0) return undefined;
  return (
    `the unit of ${droplet} runs nats-server as ${user} without CAP_NET_BIND_SERVICE, so on the droplet it cannot bind ` +
    `${low.map(([name, port]) => `the ${name} port ${port}`).join(" or ")} (ports below ${FIRST_UNPRIVILEGED_PORT} need it): ` +
    "the droplet would fail with \"bind: permission denied\", so the twin refuses to boot it"
  );
}
