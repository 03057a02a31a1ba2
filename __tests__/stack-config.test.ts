import { envPrefix, readStackSettings } from "../constructs/stack-config";

describe("readStackSettings", () => {
  test("environment variables are prefixed by the stack name", () => {
    expect(envPrefix("nats")).toBe("NATS_");
    expect(envPrefix("nats-tutorial")).toBe("NATS_TUTORIAL_");
  });

  test("reads every setting from the environment", () => {
    const env = {
      NATS_NODE_COUNT: "5",
      NATS_REGION: "fra1",
      NATS_SIZE: "s-2vcpu-2gb",
      NATS_IMAGE: "debian-12-x64",
      NATS_SSH_KEYS: "12345, ab:cd",
      NATS_CLIENT_PORT: "4223",
      NATS_MONITOR_PORT: "8223",
      NATS_CLUSTER_PORT: "6223",
      NATS_VERSION: "2.10.22",
      NATS_ADMIN_CIDRS: "203.0.113.0/24",
      NATS_CLIENT_CIDRS: "",
      NATS_READINESS_GATE: "false",
    };
    expect(readStackSettings("nats", undefined, env)).toEqual({
      nodeCount: 5,
      region: "fra1",
      size: "s-2vcpu-2gb",
      image: "debian-12-x64",
      sshKeys: ["12345", "ab:cd"],
      clientPort: 4223,
      monitorPort: 8223,
      clusterPort: 6223,
      natsVersion: "2.10.22",
      adminCidrs: ["203.0.113.0/24"],
      readinessGate: false,
    });
  });

  test("context is read, and the environment wins over it", () => {
    expect(readStackSettings("nats-tutorial", { nodeCount: 3, region: "ams3" }, { NATS_TUTORIAL_REGION: "sgp1" })).toEqual({
      nodeCount: 3,
      region: "sgp1",
    });
  });

  test("the other stack's variables are ignored", () => {
    expect(readStackSettings("nats-tutorial", undefined, { NATS_NODE_COUNT: "5" })).toEqual({});
  });

  test("reports every bad value at once, naming its source", () => {
    const run = () => readStackSettings("nats", { nodes: 3, region: 7 }, { NATS_NODE_COUNT: "three", NATS_READINESS_GATE: "yes" });
    expect(run).toThrow(/nats settings: 4 problems/);
    expect(run).toThrow(/context nats\.nodes is not a setting: expected one of nodeCount, region/);
    expect(run).toThrow(/context nats\.region 7 is not a string/);
    expect(run).toThrow(/NATS_NODE_COUNT "three" is not an integer/);
    expect(run).toThrow(/NATS_READINESS_GATE "yes" is not a boolean: expected true or false/);
  });
});
