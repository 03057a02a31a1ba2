import { ADDRESS, acknowledgeHint, natsStack, ruleAnnotations } from "./annotations";

describe("NATS-008 client port without TLS", () => {
  test("compliant: the default stack's nodes require TLS", () => {
    expect(ruleAnnotations(natsStack(), "NATS-008")).toEqual([]);
  });

  test("non-compliant: tls: false leaves the forwarded client port in plaintext", () => {
    expect(ruleAnnotations(natsStack({ tls: false }), "NATS-008")).toEqual([
      {
        level: "error",
        path: "cluster/load-balancer/lb",
        message:
          `[NATS-008] ${ADDRESS.lb} forwards entry port 4222 to the client port 4222 of nats-1, nats-2, nats-3 without TLS, ` +
          "so credentials and messages cross the network in plaintext: turn TLS on (the tls prop, on by default)" +
          acknowledgeHint("NATS-008"),
      },
    ]);
  });
});
