import { isMonitorPath } from "../../policy";
import { ADDRESS, acknowledgeHint, natsStack, ruleAnnotations } from "./annotations";

describe("NATS-005 health check path", () => {
  test.each(["/healthz", "/varz", "/", "/healthz?js-enabled-only=true", "/jsz?accounts=true"])("compliant: %s", (path) => {
    expect(ruleAnnotations(natsStack({ healthCheck: { path } }), "NATS-005")).toEqual([]);
  });

  test("compliant: a tcp check has no path", () => {
    expect(ruleAnnotations(natsStack({ healthCheck: { protocol: "tcp", port: 4222 } }), "NATS-005")).toEqual([]);
  });

  test.each(["/health", "/metrics", "/varz/", "/HEALTHZ"])("non-compliant: %s is a 404 on every node", (path) => {
    expect(ruleAnnotations(natsStack({ healthCheck: { path } }), "NATS-005")).toEqual([
      {
        level: "error",
        path: "cluster/load-balancer/lb",
        message:
          `[NATS-005] ${ADDRESS.lb} health check path "${path}" is not served by nats-server, so every node would be marked down: ` +
          "use /healthz or another monitoring path such as /varz" +
          acknowledgeHint("NATS-005"),
      },
    ]);
  });

  test("a query may not carry spaces or a fragment", () => {
    expect(isMonitorPath("/healthz?a b")).toBe(false);
    expect(isMonitorPath("/healthz?x#y")).toBe(false);
  });
});
