import { isReference } from "../resources";
import { Finding, PolicyRule } from "../rule";

/** Paths nats-server's monitoring endpoint answers with 200; any other path is a 404. */
export const MONITOR_PATHS: readonly string[] = [
  "/", "/healthz", "/varz", "/connz", "/routez", "/subsz", "/jsz", "/accountz", "/gatewayz", "/leafz",
];

/** True for a monitoring path, optionally with a query such as `/healthz?js-enabled-only=true`. */
export function isMonitorPath(path: string): boolean {
  const [route, ...query] = path.split("?");
  return MONITOR_PATHS.includes(route) && !/[\s#]/.test(query.join("?"));
}

/** NATS-005: an http health check asks for a path nats-server serves. */
export const healthCheckPath: PolicyRule = {
  id: "NATS-005",
  level: "error",
  description: `http and https health checks request a nats monitoring path (${MONITOR_PATHS.join(", ")})`,
  check: (resources) =>
    resources.loadBalancers.flatMap((lb): Finding[] => {
      const check = lb.config.healthcheck;
      if (check === undefined || check.protocol === "tcp" || isReference(check.path)) return [];
      if (check.path !== undefined && isMonitorPath(check.path)) return [];
      return [
        {
          construct: lb.construct,
          message:
            `${lb.address} health check path ${JSON.stringify(check.path ?? "")} is not served by nats-server, ` +
            "so every node would be marked down: use /healthz or another monitoring path such as /varz",
        },
      ];
    }),
};
