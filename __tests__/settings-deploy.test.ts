import { Annotations, TerraformStack, TerraformVariable, Testing } from "cdktf";
import { NatsCluster } from "../constructs/nats-cluster";
import { buildStacks, contextJsonProblem, problemReport, settingsUsed, unknownStackContexts, warningReport } from "../constructs/nats-app";
import { SETTINGS } from "../constructs/stack-config";
import { printable } from "../helpers/terminal";
import { clientLoadBalancer, onlyResource, resourcesOf, synthJson, testStack } from "./helpers";

// Settings that synthesized but could not deploy, or that weakened the stack (issue 21, items
// 8–11 and the smaller ones): each is refused by the app with a message naming the setting.

/** What main.ts reports for this environment and the whole cdktf context ("" when nothing). */
function report(env: NodeJS.ProcessEnv, context?: Record<string, unknown>): string {
  const problems = buildStacks(Testing.app({ context }), env);
  return problems.length === 0 ? "" : problemReport(problems);
}

/** The lines of a report, without its heading. */
function lines(env: NodeJS.ProcessEnv, context?: Record<string, unknown>): string[] {
  return report(env, context).split("\n").slice(1, -1);
}

const SHARED = "which would act on each other's resources in one account";
const UNPRIVILEGED = "(nats-server runs as an unprivileged user, which cannot bind ports below 1024)";
const CLIENT_UNPRIVILEGED =
  "(nats-server runs as an unprivileged user, which cannot bind ports below 1024; clients can still connect to a lower port of the load balancer: loadBalancerClientPort, …_LOAD_BALANCER_CLIENT_PORT)";

describe("privileged ports (item 8)", () => {
  test("NATS_CLIENT_PORT=443 NATS_MONITOR_PORT=80 are refused: the nats user cannot bind them", () => {
    expect(lines({ NATS_CLIENT_PORT: "443", NATS_MONITOR_PORT: "80" })).toEqual([
      `- nats: NATS_CLIENT_PORT must be an integer from 1024 to 65535 ${CLIENT_UNPRIVILEGED}, got 443`,
      `- nats: NATS_MONITOR_PORT must be an integer from 1024 to 65535 ${UNPRIVILEGED}, got 80`,
    ]);
  });

  test("clients get port 443 from the load balancer: it forwards 443 to the client port, and the url and the gate use 443", () => {
    expect(report({ NATS_LOAD_BALANCER_CLIENT_PORT: "443" })).toBe("");
    const json = synthJson(testStack({ loadBalancerClientPort: 443 }));
    expect(clientLoadBalancer(json).forwarding_rule).toEqual([{ entry_port: 443, entry_protocol: "tcp", target_port: 4222, target_protocol: "tcp", tls_passthrough: false }]);
    expect(Object.values(json.output ?? {}).map((output) => output.value)).toContainEqual(expect.stringMatching(/^nats:\/\/\$\{digitalocean_loadbalancer\.\S+\.ip\}:443$/));
    expect(JSON.stringify(onlyResource(json, "null_resource"))).toContain("--client-port 443 ");
  });

  test("the load balancer's client port may not be the monitor port it publishes", () => {
    expect(lines({ NATS_TUTORIAL_LOAD_BALANCER_CLIENT_PORT: "8222" })).toEqual([
      "- nats-tutorial: NATS_TUTORIAL_LOAD_BALANCER_CLIENT_PORT 8222 is the monitor port the load balancer publishes: choose another",
    ]);
  });

  test("the tutorial's cluster port 1023 is refused, 1024 is accepted", () => {
    expect(lines({ NATS_TUTORIAL_CLUSTER_PORT: "1023" })).toEqual([`- nats-tutorial: NATS_TUTORIAL_CLUSTER_PORT must be an integer from 1024 to 65535 ${UNPRIVILEGED}, got 1023`]);
    expect(report({ NATS_TUTORIAL_CLUSTER_PORT: "1024" })).toBe("");
  });
});

describe("tags and the names derived from them (item 9)", () => {
  test("NATS_TUTORIAL_TAG=nats-cluster-seed, the nats stack's seed tag, is refused", () => {
    expect(lines({ NATS_TUTORIAL_TAG: "nats-cluster-seed" })).toEqual([
      `- nats-tutorial: tag "nats-cluster-seed" is used by stacks nats and nats-tutorial, ${SHARED}: it comes from NATS_TUTORIAL_TAG: choose another`,
    ]);
  });

  test("tags are compared ignoring case, as digitalocean compares them", () => {
    expect(lines({ NATS_TUTORIAL_TAG: "NATS-Cluster" })).toEqual([
      `- nats-tutorial: tag "NATS-Cluster" is used by stacks nats and nats-tutorial, ${SHARED}: it comes from NATS_TUTORIAL_TAG: choose another`,
    ]);
  });

  test("a load balancer named like the stack's own seed load balancer is refused", () => {
    expect(lines({ NATS_LOAD_BALANCER_NAME: "nats-cluster-seed" })).toEqual([
      '- nats: load balancer name "nats-cluster-seed" is given to two resources of stack nats: it comes from NATS_LOAD_BALANCER_NAME: choose another',
    ]);
  });

  test("volume names are compared too: the tutorial with jetstream and the nats name prefix", () => {
    const found = lines({ NATS_TUTORIAL_JETSTREAM: "true", NATS_TUTORIAL_NAME_PREFIX: "nats" });
    expect(found).toContain(`- nats-tutorial: volume name "nats-1-data" is used by stacks nats and nats-tutorial, ${SHARED}: it comes from NATS_TUTORIAL_NAME_PREFIX: choose another`);
    expect(found).toContain(`- nats-tutorial: volume name "nats-2-data" is used by stacks nats and nats-tutorial, ${SHARED}: it comes from NATS_TUTORIAL_NAME_PREFIX: choose another`);
  });

  test("NATS_TAG=My_Tag:prod is a tag, but every load balancer and firewall name made from it is refused", () => {
    const lowercase = "expected lowercase letters, digits, dots and inner dashes, at most 64 characters";
    expect(lines({ NATS_TAG: "My_Tag:prod" })).toEqual([
      `- nats: NATS_TAG "My_Tag:prod" makes the load balancer name "My_Tag:prod-lb", which digitalocean refuses (${lowercase}): choose a tag of lowercase letters, digits and inner dashes, or set loadBalancerName`,
      '- nats: NATS_TAG "My_Tag:prod" makes the firewall name "My_Tag:prod-fw", which digitalocean refuses (expected a letter or digit, then letters, digits, dots or dashes, at most 255 characters): choose a shorter tag without colons or underscores',
      `- nats: NATS_TAG "My_Tag:prod" makes the seed load balancer name "My_Tag:prod-seed", which digitalocean refuses (${lowercase}): choose a tag of lowercase letters, digits and inner dashes`,
    ]);
  });

  test("with its own load balancer name, a tag only has to make a valid firewall and seed names", () => {
    expect(report({ NATS_TAG: "Edge", NATS_LOAD_BALANCER_NAME: "edge-lb" }, { nats: { nodeCount: 1, readinessGate: false } })).toBe("");
  });

  test("a tag that is a reference the code made is left to terraform: no name is made from it here", () => {
    const stack = new TerraformStack(Testing.app(), "reference");
    const tag = new TerraformVariable(stack, "tag", { type: "string" }).stringValue;
    expect(() => new NatsCluster(stack, "cluster", { tag })).not.toThrow();
  });

  test("a tag of 60 characters makes a seed load balancer name of 65: refused; one of 255 makes four names too long", () => {
    expect(lines({ NATS_TAG: "t".repeat(60) })).toEqual([expect.stringMatching(/^- nats: NATS_TAG "t{60}" makes the seed load balancer name "t{60}-seed", which digitalocean refuses/)]);
    expect(lines({ NATS_TAG: "t".repeat(255) }).map((line) => /makes the (.+) "/.exec(line)?.[1])).toEqual([
      "load balancer name",
      "firewall name",
      "seed tag",
      "seed load balancer name",
    ]);
  });
});

describe("open to the world by near-coverage (item 10)", () => {
  const nats001 = (source: string, port: number) => new RegExp(`- nats: \\[NATS-001\\] .* lets ${source.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} \\(the whole internet\\) reach tcp ${port} `);

  test("2000::/3, all global unicast IPv6, opens the monitor port and ssh to the world", () => {
    const found = report({ NATS_ADMIN_CIDRS: "2000::/3" });
    expect(found).toMatch(nats001("2000::/3", 8222));
    expect(found).toMatch(nats001("2000::/3", 22));
  });

  test("0.0.0.0/1, 128.0.0.0/2 and 192.0.0.0/3, all unicast IPv4, open them too", () => {
    expect(report({ NATS_ADMIN_CIDRS: "0.0.0.0/1,128.0.0.0/2,192.0.0.0/3" })).toMatch(nats001("0.0.0.0/1 and 128.0.0.0/2 and 192.0.0.0/3", 22));
  });

  test("0.0.0.0 and :: without a prefix length are refused", () => {
    expect(lines({ NATS_ADMIN_CIDRS: "0.0.0.0, ::" })).toEqual([
      '- nats: NATS_ADMIN_CIDRS[0] "0.0.0.0" is the unspecified address without a prefix length, which no host sends from: write 0.0.0.0/0 for every address, or your own addresses',
      '- nats: NATS_ADMIN_CIDRS[1] "::" is the unspecified address without a prefix length, which no host sends from: write ::/0 for every address, or your own addresses',
    ]);
  });

  test("::0.0.0.0/96 is ::/96, not the whole internet: accepted", () => {
    expect(report({ NATS_ADMIN_CIDRS: "::0.0.0.0/96" })).toBe("");
  });
});

describe("droplet sizes (item 11)", () => {
  test("a size with 99999999999999999999gb of memory is refused", () => {
    expect(lines({ NATS_SIZE: "s-1vcpu-99999999999999999999gb" })).toEqual([
      '- nats: NATS_SIZE "s-1vcpu-99999999999999999999gb" names 99999999999999999999gb of memory: digitalocean\'s sizes as of 2026-12-06 have 512 MiB to 384 GiB',
    ]);
  });

  test.each([
    ["s-1vcpu-512mb-10gb", 128],
    ["s-1vcpu-1gb", 256],
    ["m-48vcpu-384gb-intel", 98304],
  ])("size %s renders max_memory_store %d MiB, an integer nats-server parses", (size, mib) => {
    const userData = resourcesOf(synthJson(testStack({ size })), "digitalocean_droplet").map((droplet) => String(droplet.user_data)).join("\n");
    expect(userData.match(/max_memory_store: \S+/g)).toEqual(Array(3).fill(`max_memory_store: ${mib}MiB`));
  });
});

describe("settings a stack ignores are refused (smaller ones)", () => {
  test("NATS_TUTORIAL_ADMIN_CIDRS and NATS_TUTORIAL_CLIENT_CIDRS: the tutorial has no firewall", () => {
    expect(lines({ NATS_TUTORIAL_ADMIN_CIDRS: "203.0.113.0/24", NATS_TUTORIAL_CLIENT_CIDRS: "198.51.100.0/24" })).toEqual([
      "- nats-tutorial: NATS_TUTORIAL_ADMIN_CIDRS has no effect: this cluster has no firewall (firewall: false), so every droplet port is open to everyone; remove it",
      "- nats-tutorial: NATS_TUTORIAL_CLIENT_CIDRS has no effect: this cluster has no firewall (firewall: false), so every droplet port is open to everyone; remove it",
    ]);
  });

  test("NATS_TUTORIAL_VOLUME_SIZE_GIB: the tutorial runs no jetstream; with NATS_TUTORIAL_JETSTREAM=true it is used", () => {
    expect(lines({ NATS_TUTORIAL_VOLUME_SIZE_GIB: "20", NATS_TUTORIAL_PROTECT_VOLUMES: "true" })).toEqual([
      "- nats-tutorial: NATS_TUTORIAL_VOLUME_SIZE_GIB, NATS_TUTORIAL_PROTECT_VOLUMES have no effect with jetstream off: no volumes are created; remove them",
    ]);
    expect(report({ NATS_TUTORIAL_VOLUME_SIZE_GIB: "20", NATS_TUTORIAL_JETSTREAM: "true" })).toBe("");
  });

  test("a monitor port without monitoring is refused", () => {
    expect(() => testStack({ monitoring: false, monitorPort: 9222, healthCheck: { protocol: "tcp", port: 4222 } })).toThrow(
      "monitorPort has no effect: monitoring is false, so nothing listens on it; remove it",
    );
  });
});

describe("context keys of stacks that do not exist (smaller ones)", () => {
  test("a misspelled stack is reported with the closest stack, an unknown one with the stacks there are", () => {
    expect(lines({}, { "nats-tutorail": { nodeCount: 3 }, edge: { region: "fra1" } })).toEqual([
      "- app: context nats-tutorail is not a stack, so its settings would be ignored: did you mean nats-tutorial?",
      "- app: context edge is not a stack, so its settings would be ignored: expected one of nats, nats-tutorial",
    ]);
  });

  test("a key close to a stack name is reported whatever its value", () => {
    expect(unknownStackContexts({ natss: 5, nats_tutorial: [] }, ["nats", "nats-tutorial"]).map((problem) => problem.message)).toEqual([
      "context natss is not a stack, so its settings would be ignored: did you mean nats?",
      "context nats_tutorial is not a stack, so its settings would be ignored: did you mean nats-tutorial?",
    ]);
  });

  test("cdktf's own keys and other flags are left alone", () => {
    const context = {
      cdktfVersion: "0.21.0",
      cdktfRelativeModules: [],
      "@cdktf/disable_stack_trace_in_metadata": true,
      cdktfStaticModuleAssetHash: { x: 1 },
      excludeStackIdFromLogicalIds: "true",
      myFeatureFlag: false,
      someList: ["a"],
    };
    expect(unknownStackContexts(context, ["nats", "nats-tutorial"])).toEqual([]);
    expect(report({}, context)).toBe("");
  });
});

describe("settingsUsed: the record of what each stack is built with", () => {
  test("every setting made by context or the environment, named as the user set it, and every variable of the stack with its value or null", () => {
    const app = Testing.app({ context: { nats: { region: "fra1" } } });
    const used = settingsUsed(app, { NATS_NODE_COUNT: "5", NATS_TUTORIAL_SIZE: "s-1vcpu-2gb", OTHER: "x" });
    expect(Object.keys(used)).toEqual(["nats", "nats-tutorial"]);
    expect(used.nats.settings).toEqual([
      { setting: "nodeCount", source: "NATS_NODE_COUNT", value: 5 },
      { setting: "region", source: "context nats.region", value: "fra1" },
    ]);
    expect(used["nats-tutorial"].settings).toEqual([{ setting: "size", source: "NATS_TUTORIAL_SIZE", value: "s-1vcpu-2gb" }]);
    expect(used.nats.variables).toEqual(Object.fromEntries(Object.values(SETTINGS).map(({ env }) => [`NATS_${env}`, env === "NODE_COUNT" ? "5" : null])));
    expect(used["nats-tutorial"].variables).toEqual(Object.fromEntries(Object.values(SETTINGS).map(({ env }) => [`NATS_TUTORIAL_${env}`, env === "SIZE" ? "s-1vcpu-2gb" : null])));
  });

  test("only the stacks asked about", () => {
    expect(Object.keys(settingsUsed(Testing.app(), {}, { edge: {} }))).toEqual(["edge"]);
    expect(settingsUsed(Testing.app(), {}, { edge: {} }).edge.settings).toEqual([]);
  });
});

describe("CDKTF_CONTEXT_JSON (smaller ones)", () => {
  test("text that is not JSON is a configuration problem naming the variable", () => {
    expect(contextJsonProblem({ CDKTF_CONTEXT_JSON: "{not json" })).toMatch(/^CDKTF_CONTEXT_JSON is not valid JSON \(.+\): fix the context in cdktf\.json or the variable$/);
  });

  test.each(["null", "[1]", "5", '"nats"'])("%s is JSON but no object of context keys", (text) => {
    expect(contextJsonProblem({ CDKTF_CONTEXT_JSON: text })).toBe('CDKTF_CONTEXT_JSON is JSON but not an object of context keys such as { "nats": { "nodeCount": 5 } }');
  });

  test("unset, empty or an object is fine", () => {
    expect(contextJsonProblem({})).toBeUndefined();
    expect(contextJsonProblem({ CDKTF_CONTEXT_JSON: "" })).toBeUndefined();
    expect(contextJsonProblem({ CDKTF_CONTEXT_JSON: '{"nats":{"nodeCount":5}}' })).toBeUndefined();
  });

  /** What JSON.parse of this Node.js says about `text`, as the report prints it. */
  function parserMessage(text: string): string {
    try {
      JSON.parse(text);
    } catch (error) {
      return printable((error as Error).message);
    }
    throw new Error(`${text} is valid JSON`);
  }

  test.each([
    // Each U+2028 is printed as 6 characters, each U+0001 as 4: V8 quotes the first 10 characters of a longer text.
    ["a short message, whole", "{not json", undefined, (message: string) => message],
    ["80 characters, whole", `x${"\u2028".repeat(5)}yyyy${"z".repeat(40)}`, 80, (message: string) => message],
    ["81 characters, cut to 79 and an ellipsis", `x${"\u2028".repeat(4)}\u0001\u0001yyy${"z".repeat(40)}`, 81, (message: string) => `${message.slice(0, 79)}…`],
  ])("the parser's message in the problem: %s", (_case, text, length, shown) => {
    const message = parserMessage(text);
    if (length !== undefined) expect(message).toHaveLength(length);
    expect(contextJsonProblem({ CDKTF_CONTEXT_JSON: text })).toBe(`CDKTF_CONTEXT_JSON is not valid JSON (${shown(message)}): fix the context in cdktf.json or the variable`);
  });

  test("the parser's message is escaped and cut", () => {
    const problem = contextJsonProblem({ CDKTF_CONTEXT_JSON: `{"\u001b]0;owned\u0007${"x".repeat(500)}` }) as string;
    expect(problem).not.toMatch(/[\u0000-\u001f]/);
    expect(problem.length).toBeLessThan(200);
  });
});

describe("warnings (smaller ones)", () => {
  test("NATS-004 and NATS-007 of a 2-node stack are in the app's warning report", () => {
    const app = Testing.app();
    expect(buildStacks(app, { NATS_NODE_COUNT: "2" })).toEqual([]);
    expect(warningReport(app).split("\n")).toEqual([
      "synthesized with 2 warnings:",
      expect.stringMatching(/^- nats: \[NATS-004\] cluster "nats" has 2 nodes /),
      expect.stringMatching(/^- nats: \[NATS-007\] cluster "nats" runs jetstream on 2 nodes: /),
      "",
    ]);
  });

  test("without warnings the report is empty", () => {
    const app = Testing.app();
    expect(buildStacks(app, {})).toEqual([]);
    expect(warningReport(app)).toBe("");
  });

  test("one warning is counted as one; a warning on the app itself is the app's", () => {
    const app = Testing.app();
    Annotations.of(app).addWarning("a warning about the app");
    expect(warningReport(app)).toBe("synthesized with 1 warning:\n- app: a warning about the app\n");
  });
});

describe("the app's other checks (smaller ones)", () => {
  test("a context key that only contains cdktf's prefixes, or holds a plain value far from every stack name, is read like any other", () => {
    expect(unknownStackContexts({ "my-cdktfVersion": { x: 1 }, "x@cdktf/flag": { y: 1 }, farAway: "text", other: 5 }, ["nats", "nats-tutorial"]).map((problem) => problem.message)).toEqual([
      "context my-cdktfVersion is not a stack, so its settings would be ignored: expected one of nats, nats-tutorial",
      "context x@cdktf/flag is not a stack, so its settings would be ignored: expected one of nats, nats-tutorial",
    ]);
  });

  test("the state bucket stack takes the bucket of the first stack that names one", () => {
    const app = Testing.app();
    expect(buildStacks(app, { NATS_TUTORIAL_STATE_BACKEND: "spaces", NATS_TUTORIAL_STATE_BUCKET: "tutorial-state", NATS_TUTORIAL_STATE_REGION: "fra1" })).toEqual([]);
    const bucket = resourcesOf(JSON.parse(Testing.synth(app.node.findChild("nats-state") as TerraformStack)), "digitalocean_spaces_bucket");
    expect(bucket.map((resource) => resource.name)).toEqual(["tutorial-state"]);
  });
});
