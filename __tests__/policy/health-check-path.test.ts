import { isMonitorPath } from "../../policy";
import { natsStack, ruleAnnotations } from "./annotations";

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
        message: expect.stringMatching(
          new RegExp(`^\\[NATS-005\\] digitalocean_loadbalancer\\.\\S+ health check path "${path}" is not served by nats-server, .*: use /healthz`),
        ),
      },
    ]);
  });

  test("a query may not carry spaces or a fragment", () => {
    expect(isMonitorPath("/healthz?a b")).toBe(false);
    expect(isMonitorPath("/healthz?x#y")).toBe(false);
  });
});
