import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { readNodeConfig, substituteReferences } from "../twin/cloud-config";
import { Varz, fetchJson, peerCount } from "../twin/monitor";
import { freshStackFile } from "../plan/synth";
import { readPlan } from "../twin/plan";
import { childPids, collect, connectNats, awaitInterest } from "../twin/probe";
import { isAlive, pathWith, poll, pollWhileRunning, startProcess, stopProcess } from "../twin/process";
import { Twin, bootTwin } from "../twin/twin";

// Integration test: boots twins (nats-server and HAProxy processes).
jest.setTimeout(120_000);

// Loopback block of this file: the load balancer on .10, nodes on .11 and up.
const BASE = "127.0.1.10";
const INTRUDER = "127.0.1.20";

/** PIDs of every node the twin runs. */
function nodePids(twin: Twin): number[] {
  return twin.nodes.map((node) => node.pid).filter((pid): pid is number => pid !== undefined);
}

describe("twin of the tutorial stack", () => {
  let twin: Twin | undefined;
  const started: number[] = [];

  beforeAll(async () => {
    twin = await bootTwin({ stack: "nats-tutorial", addressBase: BASE, timeScale: 0.2 });
    started.push(...nodePids(twin), ...childPids());
  });

  afterAll(async () => {
    await twin?.stop();
    expect(started.filter(isAlive)).toEqual([]);
    expect(childPids()).toEqual([]);
  });

  test("publishes the monitor port and round-robins /varz over every node", async () => {
    const lb = twin as Twin;
    expect(lb.publishedMonitorPort).toBe(8222);
    const ids: string[] = [];
    for (let i = 0; i < 2 * lb.nodes.length; i++) {
      ids.push((await fetchJson<Varz>(`http://${lb.lbAddress}:${lb.publishedMonitorPort}/varz`)).server_id);
    }
    ids.slice(1).forEach((id, i) => expect(id).not.toBe(ids[i]));
    expect(new Set(ids).size).toBe(lb.nodes.length);
  });

  test("every node runs the nats-server line the plan installs, 2.11 or newer", async () => {
    const lb = twin as Twin;
    const plan = readPlan(freshStackFile("nats-tutorial"));
    expect(plan.droplets.map((droplet) => droplet.natsVersion)).toEqual(["2.15.0", "2.15.0"]);
    for (const node of lb.nodes) {
      const { version } = await fetchJson<Varz>(`http://${node.address}:${node.monitorPort}/varz`);
      expect(version).toMatch(/^2\.15\.\d+$/);
      expect(node.server.version).toBe(version);
    }
  });

  test("every node is routed to the N-1 others", async () => {
    const lb = twin as Twin;
    const counts = await Promise.all(lb.nodes.map((node) => peerCount(`http://${node.address}:${node.monitorPort}`)));
    expect(counts).toEqual(lb.nodes.map(() => lb.nodes.length - 1));
  });

  test("scales the tutorial's health check: http /varz on 8222, 5 s → 1 s, rise 5, fall 3", () => {
    expect((twin as Twin).healthCheck).toEqual({ protocol: "http", port: 8222, path: "/varz", intervalMs: 1000, timeoutMs: 1000, rise: 5, fall: 3 });
  });
});

describe("twin of the default stack", () => {
  const plan = readPlan(freshStackFile("nats"));
  const routeSecret = plan.passwords.find((id) => id.includes("route")) as string;
  const secrets = Object.fromEntries(plan.passwords.map((id) => [id, `twin${id.replace(/[^A-Za-z0-9]/g, "")}`]));
  let twin: Twin | undefined;
  const started: number[] = [];
  let intruderDir: string | undefined;

  beforeAll(async () => {
    twin = await bootTwin({ stack: "nats", addressBase: BASE, timeScale: 0.2, secrets });
    started.push(...nodePids(twin), ...childPids());
  });

  afterAll(async () => {
    await Promise.all(started.map((pid) => stopProcess(pid)));
    await twin?.stop();
    if (intruderDir !== undefined) rmSync(intruderDir, { recursive: true, force: true });
    expect(started.filter(isAlive)).toEqual([]);
    expect(childPids()).toEqual([]);
  });

  test("advertises no node addresses to clients", async () => {
    const node = (twin as Twin).nodes[0];
    const varz = await fetchJson<Varz>(`http://${node.address}:${node.monitorPort}/varz`);
    expect(varz.connect_urls ?? []).toEqual([]);
  });

  test("keeps monitoring off the load balancer", () => {
    expect((twin as Twin).publishedMonitorPort).toBeUndefined();
  });

  test("rejects clients without credentials and accepts the twin's", async () => {
    const lb = twin as Twin;
    const server = `${lb.lbAddress}:${lb.clientPort}`;
    await expect(connectNats(server, { tls: lb.credentials.tls })).rejects.toThrow(/authorization/i);
    expect(lb.credentials.token).toBe(secrets[plan.passwords.find((id) => id.includes("client")) as string]);
    const nc = await connectNats(server, lb.credentials);
    try {
      const inbox = await collect(nc, "twin.boot");
      await awaitInterest(nc, "twin.boot", inbox);
      nc.publish("twin.boot", "hello");
      await nc.flush();
      await poll(() => inbox.messages.includes("hello"), 5000, 20, "the message to arrive");
    } finally {
      await nc.close();
    }
  });

  test("a node with the wrong route password does not join the mesh", async () => {
    const lb = twin as Twin;
    intruderDir = mkdtempSync(join(tmpdir(), "twin-intruder-"));
    const droplet = plan.droplets[1];
    const addresses = new Map(plan.droplets.map((d, i) => [d.id, lb.nodes[i].address]));
    const userData = substituteReferences(droplet.userData, { addresses, loadBalancers: lb.loadBalancerAddresses, secrets: new Map(Object.entries({ ...secrets, [routeSecret]: "wrongpassword" })), pems: lb.pems }, "intruder");
    const config = readNodeConfig(userData, "intruder");
    config.workingFiles.forEach((file) => {
      mkdirSync(dirname(join(intruderDir as string, file.path)), { recursive: true });
      writeFileSync(join(intruderDir as string, file.path), file.content);
    });
    const [command, ...args] = config.argv;
    const env = { PATH: pathWith(intruderDir, "nats-server", lb.nodes[1].server.path), PRIVATE_IP: INTRUDER, PUBLIC_IP: INTRUDER };
    const logFile = join(intruderDir, "log");
    const intruder = await startProcess({ command, args, cwd: intruderDir, env, logFile });
    started.push(intruder.pid);
    // Evidence, not a pause: the seed refused the intruder's route with an authorization error.
    await pollWhileRunning(intruder, logFile, () => /authorization violation/i.test(readFileSync(logFile, "utf8")), 20_000, "the seed to refuse the intruder's route");
    expect(await peerCount(`http://${INTRUDER}:8222`)).toBe(0);
    const seed = lb.nodes[0];
    expect(await peerCount(`http://${seed.address}:${seed.monitorPort}`)).toBe(lb.nodes.length - 1);
  });
});
