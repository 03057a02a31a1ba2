import { NatsClusterProps } from "./nats-cluster";

/** `nats`: what a careful operator deploys. */
export const DEFAULT_STACK: NatsClusterProps = {
  nodeCount: 3,
  namePrefix: "nats",
  region: "nyc3",
  clusterPort: 6222,
};

/**
 * `nats-tutorial`: the manual tutorial, one to one. Only the image differs: its
 * ubuntu-18-04-x64 is retired. Everything it leaves open stays open (see README).
 */
export const TUTORIAL_STACK: NatsClusterProps = {
  nodeCount: 2,
  namePrefix: "nats-droplet",
  tag: "nats",
  clusterName: "nats",
  region: "blr1",
  size: "s-1vcpu-1gb",
  image: "ubuntu-24-04-x64",
  ipv6: true,
  monitoringAgent: false,
  clientPort: 4222,
  monitorPort: 8222,
  clusterPort: 5222,
  advertise: "private",
  publishMonitor: true,
  loadBalancerName: "nats-lb",
  healthCheck: {
    protocol: "http",
    port: 8222,
    path: "/varz",
    checkIntervalSeconds: 5,
    responseTimeoutSeconds: 5,
    healthyThreshold: 5,
    unhealthyThreshold: 3,
  },
  firewall: false,
  auth: false,
};
