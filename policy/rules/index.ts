import { PolicyRule } from "../rule";
import { clientTls } from "./client-tls";
import { dropletWithoutFirewall } from "./droplet-without-firewall";
import { healthCheckPath } from "./health-check-path";
import { healthCheckPort } from "./health-check-port";
import { jetstreamReplicas } from "./jetstream-replicas";
import { nodeCount } from "./node-count";
import { publishedMonitor } from "./published-monitor";
import { worldOpenPorts } from "./world-open-ports";

export { clientTls, dropletWithoutFirewall, healthCheckPath, healthCheckPort, jetstreamReplicas, nodeCount, publishedMonitor, worldOpenPorts };

/** Every rule the NatsPolicyChecks aspect runs, in id order. */
export const NATS_RULES: readonly PolicyRule[] = [
  worldOpenPorts,
  dropletWithoutFirewall,
  publishedMonitor,
  nodeCount,
  healthCheckPath,
  healthCheckPort,
  jetstreamReplicas,
  clientTls,
];
