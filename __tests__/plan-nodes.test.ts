import { Testing } from "cdktf";
import { NatsStack } from "../constructs/nats-stack";
import { TUTORIAL_STACK } from "../constructs/stacks";
import { Plan, parsePlan } from "../helpers/tf-json";
import { ListenerTls, NodeInfo, describeNodes, natsVersionOf, serverConfigOf, serverSettings, withNatsVersion } from "../plan/nodes";
import { TerraformJson, synthJson, testStack } from "./helpers";

// Unit test: the nodes as plan/nodes.ts reads them from stacks synthesized in-process (cdktf
// Testing, without the readiness gate, whose bundle runs esbuild), and from their user_data
// changed the way another template, an older synthesis or an operator's edit would write it.

const NODE_1 = "digitalocean_droplet.cluster_nodes_node-1_9627E290";
const NODE_2 = "digitalocean_droplet.cluster_nodes_node-2_FC5329C6";
const NODE_3 = "digitalocean_droplet.cluster_nodes_node-3_58FAF003";
const SEED_LB = "digitalocean_loadbalancer.cluster_seed-load-balancer_lb_12C0E80C";
/** How the synthesized unit starts nats-server, for the tests that edit its flags. */
const COMMAND = "exec nats-server --config nats-server.conf";

/** The default stack `nats` and the tutorial's `nats-tutorial`, synthesized once. */
const defaultJson: TerraformJson = synthJson(testStack({ readinessGate: false }));
const tutorialJson: TerraformJson = synthJson(new NatsStack(Testing.app(), "nats-tutorial", { ...TUTORIAL_STACK, readinessGate: false }));

function copy(json: TerraformJson): TerraformJson {
  return JSON.parse(JSON.stringify(json)) as TerraformJson;
}

function planOf(json: TerraformJson): Plan {
  return parsePlan(json, "test");
}

/** The user_data of `node` (1, 2, 3) of a synthesized stack. */
function userData(json: TerraformJson, node: number): string {
  const droplet = Object.entries(json.resource.digitalocean_droplet).find(([id]) => id.startsWith(`cluster_nodes_node-${node}_`));
  if (droplet === undefined) throw new Error(`no node ${node}`);
  return droplet[1].user_data as string;
}

/** `text` with `from` replaced by `to`; fails when `from` is not in it (the synthesis changed). */
function edit(text: string, from: string | RegExp, to: string): string {
  const found = typeof from === "string" ? text.includes(from) : from.test(text);
  if (!found) throw new Error(`not in the user_data: ${String(from)}`);
  return text.replace(from, to);
}

/** What describeNodes says of each node: name, where it routes, whether it is the seed. */
function routing(nodes: readonly NodeInfo[]): [string, readonly string[], readonly string[], boolean][] {
  return nodes.map((node) => [node.name, node.routesTo, node.routesThrough, node.isSeed]);
}

describe("the nodes of a synthesized stack", () => {
  test("the default stack: three nodes on the pinned release, nats-2 and nats-3 routing through the seed load balancer to nats-1, the seed", () => {
    expect(describeNodes(planOf(defaultJson))).toEqual(
      [NODE_1, NODE_2, NODE_3].map((address, i) => ({
        address,
        name: `nats-${i + 1}`,
        size: "s-1vcpu-1gb",
        region: "nyc3",
        image: "ubuntu-24-04-x64",
        natsVersion: "2.15.0",
        routesTo: i === 0 ? [] : [NODE_1],
        routesThrough: i === 0 ? [] : [SEED_LB],
        isSeed: i === 0,
        tls: { client: "on", routes: "mutual", monitor: "off" },
      })),
    );
  });

  test("the tutorial: node 2 routes to node 1's own address; routes opened by flags, no TLS anywhere", () => {
    const nodes = describeNodes(planOf(tutorialJson));
    expect(routing(nodes)).toEqual([
      ["nats-droplet-1", [], [], true],
      ["nats-droplet-2", [NODE_1], [], false],
    ]);
    expect(nodes.map((node) => node.tls)).toEqual([
      { client: "off", routes: "off", monitor: "off" },
      { client: "off", routes: "off", monitor: "off" },
    ]);
  });

  test("a single node is no seed: nobody routes to it", () => {
    const nodes = describeNodes(planOf(synthJson(testStack({ readinessGate: false, nodeCount: 1 }))));
    expect(routing(nodes)).toEqual([["nats-1", [], [], false]]);
  });

  test("a chain of routes (node 3 to node 2, node 2 to node 1) has no seed", () => {
    const json = copy(tutorialJson);
    const three = synthJson(new NatsStack(Testing.app(), "nats-tutorial", { ...TUTORIAL_STACK, nodeCount: 3, readinessGate: false }));
    json.resource.digitalocean_droplet = three.resource.digitalocean_droplet;
    const node3 = Object.keys(json.resource.digitalocean_droplet).find((id) => id.startsWith("cluster_nodes_node-3_")) as string;
    json.resource.digitalocean_droplet[node3].user_data = edit(userData(json, 3), "${digitalocean_droplet.cluster_nodes_node-1_9627E290.ipv4_address_private}", "${digitalocean_droplet.cluster_nodes_node-2_FC5329C6.ipv4_address_private}");
    expect(routing(describeNodes(planOf(json)))).toEqual([
      ["nats-droplet-1", [], [], false],
      ["nats-droplet-2", [NODE_1], [], false],
      ["nats-droplet-3", [NODE_2], [], false],
    ]);
  });

  test("the seed load balancer's tag on every node: nats-2 and nats-3 route to each other too, never to themselves", () => {
    const json = copy(defaultJson);
    const seed = Object.values(json.resource.digitalocean_loadbalancer).find((lb) => lb.name === "nats-cluster-seed") as Record<string, unknown>;
    seed.droplet_tag = "${digitalocean_tag.cluster_nodes_tag_96D8DAC5.name}";
    expect(routing(describeNodes(planOf(json)))).toEqual([
      ["nats-1", [], [], true],
      ["nats-2", [NODE_1, NODE_3], [SEED_LB], false],
      ["nats-3", [NODE_1, NODE_2], [SEED_LB], false],
    ]);
  });
});

describe("the nats-server version a node installs", () => {
  const pinned = userData(defaultJson, 1);

  test("the version pinned by the install script", () => {
    expect(natsVersionOf(pinned)).toBe("2.15.0");
  });

  test("a synthesis before 2.15.1 that installed Ubuntu's package (method apt in the install script): apt", () => {
    expect(natsVersionOf(edit(pinned, '      version="2.15.0"\n', '      method="apt"\n      version="2.10.7"\n'))).toBe("apt");
    expect(natsVersionOf(edit(pinned, '      version="2.15.0"\n', '      method="release"\n      version="2.10.7"\n'))).toBe("2.10.7");
  });

  test("a script without a pinned version: the one in its release download URL", () => {
    const byUrl = edit(edit(pinned, '      version="2.15.0"\n', ""), "/releases/download/v$version", "/releases/download/v2.10.24");
    expect(natsVersionOf(byUrl)).toBe("2.10.24");
  });
});

describe("withNatsVersion: the same user_data installing another version", () => {
  const pinned = userData(defaultJson, 1);

  test("only the pinned version line changes", () => {
    const older = withNatsVersion(pinned, "2.14.2");
    expect(older).toBe(pinned.replace('\n      version="2.15.0"\n', '\n      version="2.14.2"\n'));
    expect(natsVersionOf(older)).toBe("2.14.2");
  });

  test("a user_data that pins no version (none at all, or only in a download URL) is refused", () => {
    const byUrl = edit(edit(pinned, '      version="2.15.0"\n', ""), "/releases/download/v$version", "/releases/download/v2.10.24");
    for (const other of ["#cloud-config\n", byUrl]) expect(() => withNatsVersion(other, "2.14.2")).toThrow("user_data pins no nats-server version to replace");
  });
});

describe("serverConfigOf: the nats-server.conf a cloud-init document writes", () => {
  test("the conf of a synthesized node", () => {
    const conf = serverConfigOf(userData(defaultJson, 1));
    expect(conf.split("\n")[0]).toBe("# Settings and secrets that stay off the command line (the flags are in nats-server.service).");
    expect(conf).toMatch(/^cluster \{\n {2}host: \$PRIVATE_IP\n/m);
  });

  test("none in a cloud-config that writes no conf, nor in a shell-script user_data", () => {
    expect(serverConfigOf("#cloud-config\nruncmd:\n  - [ systemctl, restart, nats-server ]\n")).toBe("");
    expect(serverConfigOf("#!/bin/sh\n[ -f /etc/nats/nats-server.conf ] || exit 1\nexec nats-server -c /etc/nats/nats-server.conf\n")).toBe("");
  });
});

describe("TLS per listener, from the conf and the command line", () => {
  const node2 = userData(defaultJson, 2);
  const tutorial2 = userData(tutorialJson, 2);
  /** The top-level tls block of the synthesized conf (the clients'). */
  const CLIENT_TLS = /\n {6}tls \{\n[^}]*\n {6}\}/;
  /** The tls block inside the cluster block (the routes'), with its line break. */
  const ROUTE_TLS = /^ {8}tls \{\n[^}]*\n {8}\}\n/m;

  test.each<[string, string, ListenerTls]>([
    ["as synthesized", node2, { client: "on", routes: "mutual", monitor: "off" }],
    ["routes with TLS, clients without", edit(node2, CLIENT_TLS, ""), { client: "off", routes: "mutual", monitor: "off" }],
    ["route TLS without verify: both sides encrypt, only the server's certificate is checked", edit(node2, "          verify: true\n", ""), { client: "on", routes: "on", monitor: "off" }],
    ["verify: true commented out", edit(node2, "          verify: true\n", "          # verify: true\n"), { client: "on", routes: "on", monitor: "off" }],
    ["written compactly (cluster{, tls{, verify:true)", node2.replaceAll(" {\n", "{\n").replace("verify: true", "verify:true"), { client: "on", routes: "mutual", monitor: "off" }],
    ["verify : true", edit(node2, "verify: true", "verify : true"), { client: "on", routes: "mutual", monitor: "off" }],
    ["no monitor", edit(node2, " -m 8222", ""), { client: "on", routes: "mutual", monitor: "-" }],
    ["the monitor as the first flag", edit(edit(node2, " -m 8222", ""), COMMAND, "exec nats-server -m 8222 --config nats-server.conf"), { client: "on", routes: "mutual", monitor: "off" }],
    ["client TLS by flags, the first ones", edit(edit(node2, CLIENT_TLS, ""), COMMAND, "exec nats-server --tls --tlscert tls/server.pem --tlskey tls/server-key.pem --config nats-server.conf"), { client: "on", routes: "mutual", monitor: "off" }],
    ["client TLS by flags after others", edit(edit(node2, CLIENT_TLS, ""), COMMAND, `${COMMAND} --tls --tlscert tls/server.pem --tlskey tls/server-key.pem`), { client: "on", routes: "mutual", monitor: "off" }],
    ["the tutorial's routes (--cluster, --cluster_advertise)", tutorial2, { client: "off", routes: "off", monitor: "off" }],
    ["routes opened by --cluster alone", edit(tutorial2, " --cluster_advertise $PRIVATE_IP:5222", ""), { client: "off", routes: "off", monitor: "off" }],
    ["no route listener at all", edit(edit(userData(tutorialJson, 1), " --cluster_advertise $PRIVATE_IP:5222", ""), / --cluster nats:\/\/\S+/, ""), { client: "off", routes: "-", monitor: "off" }],
    ["blocks written name: { (nats-server's colon form)", node2.replace(/^( +)(jetstream|authorization|tls|cluster) \{$/gm, "$1$2: {"), { client: "on", routes: "mutual", monitor: "off" }],
    ["blocks written name = { and verify = true", node2.replace(/^( +)(jetstream|authorization|tls|cluster) \{$/gm, "$1$2 = {").replace("verify: true", "verify = true"), { client: "on", routes: "mutual", monitor: "off" }],
    ["verify true, without a separator", edit(node2, "verify: true", "verify true"), { client: "on", routes: "mutual", monitor: "off" }],
    ["route TLS on one line", edit(node2, ROUTE_TLS, `        tls { cert_file: "tls/server.pem", key_file: "tls/server-key.pem", ca_file: "tls/ca.pem", verify: true }\n`), { client: "on", routes: "mutual", monitor: "off" }],
    ["route TLS on one line, without verify", edit(node2, ROUTE_TLS, '        tls { cert_file: "tls/server.pem", key_file: "tls/server-key.pem" }\n'), { client: "on", routes: "on", monitor: "off" }],
    ["the clients' tls block commented out line by line", node2.replace(CLIENT_TLS, (block) => block.replace(/\n {6}/g, "\n      # ")), { client: "off", routes: "mutual", monitor: "off" }],
    ["verify: true after //", edit(node2, "          verify: true\n", "          // verify: true\n"), { client: "on", routes: "on", monitor: "off" }],
    ["a brace in a quoted route password closes nothing", edit(node2, /password: "[^"]*"/, 'password: "p}ss"'), { client: "on", routes: "mutual", monitor: "off" }],
    ["a cluster block on one line, its route an unquoted URL (// is not a comment there)", edit(node2, /^ {6}cluster \{\n[\s\S]*?\n {6}\}\n/m, "      cluster { port: 6222, routes: [nats://localhost:6222], tls { verify: true } }\n"), { client: "on", routes: "mutual", monitor: "off" }],
    ["a shell-script user_data: the command line only", "#!/bin/sh\nexec nats-server --tls --tlscert /etc/nats/server.pem --tlskey /etc/nats/key.pem -m 8222\n", { client: "on", routes: "-", monitor: "off" }],
  ])("%s", (_label, data, tls) => {
    expect(serverSettings(data).tls).toEqual(tls);
  });
});

describe("JetStream on or off, as nats-server reads the conf and the command line", () => {
  const node2 = userData(defaultJson, 2);
  const tutorial2 = userData(tutorialJson, 2);
  /** The top-level jetstream block of the synthesized conf, with its line break. */
  const JETSTREAM = /^ {6}jetstream \{\n[^}]*\n {6}\}\n/m;
  const withLine = (line: string): string => edit(node2, JETSTREAM, `      ${line}\n`);

  test.each<[string, string, boolean]>([
    ["as synthesized: a jetstream block", node2, true],
    ["the tutorial: no jetstream at all", tutorial2, false],
    ["the block written jetstream: {", edit(node2, /^ {6}jetstream \{$/m, "      jetstream: {"), true],
    ["the block with enabled: false", edit(node2, '        store_dir: "/mnt/nats-data"\n', '        enabled: false\n        store_dir: "/mnt/nats-data"\n'), false],
    ["the block commented out", node2.replace(JETSTREAM, (block) => block.replace(/^ {6}/gm, "      # ")), false],
    ["jetstream: enabled", withLine("jetstream: enabled"), true],
    ["jetstream = true", withLine("jetstream = true"), true],
    ['jetstream: "on"', withLine('jetstream: "on"'), true],
    ["jetstream: disabled", withLine("jetstream: disabled"), false],
    ["jetstream: false", withLine("jetstream: false"), false],
    ["-js on the command line", edit(edit(node2, JETSTREAM, ""), COMMAND, `${COMMAND} -js`), true],
    ["--jetstream first on the command line", edit(edit(node2, JETSTREAM, ""), COMMAND, "exec nats-server --jetstream --config nats-server.conf"), true],
    ["a flag that only starts with -js is not it", edit(edit(node2, JETSTREAM, ""), COMMAND, `${COMMAND} -jsx`), false],
  ])("%s", (_label, data, on) => {
    expect(serverSettings(data).jetstream).toBe(on);
  });
});

describe("serverSettings keeps what it read", () => {
  const node2 = userData(defaultJson, 2);
  const other = (n: number): string => edit(node2, "verify: true", `verify: true\n# document ${n}`);

  test("the same user_data read again is the same frozen answer, not a second parse", () => {
    const first = serverSettings(node2);
    expect(serverSettings(`${node2}`)).toBe(first);
    expect(Object.isFrozen(first) && Object.isFrozen(first.tls)).toBe(true);
  });

  test("it keeps the last 64 documents it read: the 65th new one pushes out the oldest", () => {
    const first = serverSettings(other(0));
    for (let n = 1; n < 64; n++) serverSettings(other(n));
    expect(serverSettings(other(0))).toBe(first);
    serverSettings(other(64));
    const again = serverSettings(other(0));
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
  });
});
