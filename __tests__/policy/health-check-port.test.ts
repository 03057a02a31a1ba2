import { ADDRESS, acknowledgeHint, natsStack, ruleAnnotations } from "./annotations";

const MARKED_DOWN = "so every node would be marked down";

describe("NATS-006 health check port and protocol", () => {
  test("compliant: the default http check targets the monitor port", () => {
    expect(ruleAnnotations(natsStack(), "NATS-006")).toEqual([]);
  });

  test("compliant: without monitoring, a tcp check on the client port", () => {
    expect(ruleAnnotations(natsStack({ monitoring: false }), "NATS-006")).toEqual([]);
  });

  test("compliant: a tcp check on the monitor port", () => {
    expect(ruleAnnotations(natsStack({ healthCheck: { protocol: "tcp", port: 8222 } }), "NATS-006")).toEqual([]);
  });

  test("non-compliant: an http check on the client port", () => {
    expect(ruleAnnotations(natsStack({ healthCheck: { protocol: "http", port: 4222 } }), "NATS-006")).toEqual([
      {
        level: "error",
        path: "cluster/load-balancer/lb",
        message:
          `[NATS-006] ${ADDRESS.lb} checks health with http on port 4222, but it is not a nats monitor port, ${MARKED_DOWN}: ` +
          "use http on the monitor port (8222) or a tcp check" +
          acknowledgeHint("NATS-006"),
      },
    ]);
  });

  test("non-compliant: an https check (the monitor port speaks plain http)", () => {
    expect(ruleAnnotations(natsStack({ healthCheck: { protocol: "https" } }), "NATS-006").map((a) => a.message)).toEqual([
      `[NATS-006] ${ADDRESS.lb} checks health with https on port 8222, but nats-server's monitor port (-m) speaks plain http, ` +
        `${MARKED_DOWN}: use http on the monitor port (8222)${acknowledgeHint("NATS-006")}`,
    ]);
  });

  test("non-compliant: a tcp check on a port nothing listens on", () => {
    expect(ruleAnnotations(natsStack({ healthCheck: { protocol: "tcp", port: 9999 } }), "NATS-006").map((a) => a.message)).toEqual([
      `[NATS-006] ${ADDRESS.lb} checks health with tcp on port 9999, but nats-server does not listen on it, ${MARKED_DOWN}: ` +
        `use the client port (4222) or http on the monitor port (8222)${acknowledgeHint("NATS-006")}`,
    ]);
  });

  test("non-compliant: an http check when no node serves monitoring", () => {
    const stack = natsStack({ monitoring: false });
    stack.cluster.loadBalancer.addOverride("healthcheck.protocol", "http");
    stack.cluster.loadBalancer.addOverride("healthcheck.path", "/healthz");
    expect(ruleAnnotations(stack, "NATS-006").map((a) => a.message)).toEqual([
      `[NATS-006] ${ADDRESS.lb} checks health with http on port 4222, but no node serves http monitoring (monitoring: false), ` +
        `${MARKED_DOWN}: use a tcp check on the client port${acknowledgeHint("NATS-006")}`,
    ]);
  });
});
