import { NatsStackProps } from "./nats-stack";

/**
 * `nats`: what a careful operator deploys. Its names come from the stack id (droplets
 * nats-1…3, tag nats-cluster), so a stack built from these props under another id gets
 * its own names.
 */
export const DEFAULT_STACK: NatsStackProps = {
  nodeCount: 3,
  region: "nyc3",
  clusterPort: 6222,
};

/**
 * `nats-tutorial`: the manual tutorial, one to one. Only the image differs: its
 * ubuntu-18-04-x64 is retired. Everything it leaves open stays open (see README), and the
 * policy rules it breaks are acknowledged with that reason.
 */
export const TUTORIAL_STACK: NatsStackProps = {
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
  tls: false,
  // The tutorial predates JetStream.
  jetstream: false,
  // The tutorial routes node 2 to node 1's address: replacing node 1 replaces node 2 too.
  seedLoadBalancer: false,
  acknowledge: {
    "NATS-002": "faithful to the tutorial: it creates no firewall, so every droplet port is reachable",
    "NATS-003": "faithful to the tutorial: its load balancer forwards http 8222 to show /varz and /routez",
    "NATS-004": "faithful to the tutorial: it runs 2 droplets",
    "NATS-008": "faithful to the tutorial: its clients connect without TLS",
  },
};
