import { HealthCheckJson, isReference, monitorPorts, natsNodes, StackResources } from "../resources";
import { Finding, PolicyRule } from "../rule";

/** Why `check` cannot pass on a nats node, and what to use instead; undefined when it can. */
function problem(resources: StackResources, check: HealthCheckJson): { why: string; fix: string } | undefined {
  const port = Number(check.port);
  const monitor = monitorPorts(resources);
  const client = new Set(natsNodes(resources).map((n) => n.nats.client));
  const monitorFix = monitor.size > 0 ? `http on the monitor port (${[...monitor].join(", ")})` : "a tcp check on the client port";
  if (check.protocol === "https") {
    return { why: "nats-server's monitor port (-m) speaks plain http", fix: monitorFix };
  }
  if (check.protocol === "tcp") {
    if (client.has(port) || monitor.has(port)) return undefined;
    return { why: "nats-server does not listen on it", fix: `the client port (${[...client].join(", ")}) or ${monitorFix}` };
  }
  if (monitor.has(port)) return undefined;
  return {
    why: monitor.size > 0 ? "it is not a nats monitor port" : "no node serves http monitoring (monitoring: false)",
    fix: monitor.size > 0 ? `${monitorFix} or a tcp check` : monitorFix,
  };
}

/** NATS-006: the health check speaks the right protocol to a port nats-server listens on. */
export const healthCheckPort: PolicyRule = {
  id: "NATS-006",
  level: "error",
  description: "health checks use http on the nats monitor port, or tcp on the client or monitor port",
  check: (resources) => {
    if (natsNodes(resources).length === 0) return [];
    return resources.loadBalancers.flatMap((lb): Finding[] => {
      const check = lb.config.healthcheck;
      if (check === undefined || isReference(check.port)) return [];
      const found = problem(resources, check);
      if (found === undefined) return [];
      return [
        {
          construct: lb.construct,
          message:
            `${lb.address} checks health with ${check.protocol ?? "http"} on port ${check.port}, but ${found.why}, ` +
            `so every node would be marked down: use ${found.fix}`,
        },
      ];
    });
  },
};
