import { fetchJson } from "../twin/monitor";
import { bootTwin } from "../twin/twin";
import { startTraffic, type Traffic } from "../roll/traffic";
import { sleep } from "../helpers/retry";
import { useTwin } from "./twin-support";

// Integration test: boots a twin (nats-server and HAProxy processes) and runs the roll's traffic on it.
jest.setTimeout(120_000);

// Loopback block of this file: the load balancer on .10, nodes on .11–.13, the seed load balancer on .14.
const BASE = "127.24.3.10";

const under = useTwin(() => bootTwin({ stack: "nats", addressBase: BASE, timeScale: 0.2, log: (line) => process.env.TWIN_LOG && console.log(line) }));

interface Connz {
  readonly connections: ReadonlyArray<{ readonly name?: string; readonly subscriptions_list?: readonly string[] }>;
}

/** The roll's client connections on every node: name → the node it is on and its subscriptions. */
async function rollClients(): Promise<Map<string, { node: number; subjects: string[] }>> {
  const clients = new Map<string, { node: number; subjects: string[] }>();
  for (const [index, node] of under.twin.nodes.entries()) {
    const connz = await fetchJson<Connz>(`http://${node.address}:${node.monitorPort}/connz?subs=1`);
    for (const connection of connz.connections) {
      if (connection.name?.startsWith("roll-")) clients.set(connection.name, { node: index, subjects: [...(connection.subscriptions_list ?? [])].filter((s) => s.startsWith("roll.")) });
    }
  }
  return clients;
}

describe("the roll's traffic", () => {
  let traffic: Traffic | undefined;
  afterEach(async () => {
    await traffic?.stop();
    traffic = undefined;
  });

  test("is plain clients, each on its own connection: one responder, one requester, a publisher and a subscriber", async () => {
    const twin = under.twin;
    traffic = await startTraffic({ server: `nats://${twin.lbAddress}:${twin.clientPort}`, credentials: twin.credentials });
    const clients = await rollClients();
    expect([...clients.keys()].sort()).toEqual(["roll-publisher", "roll-requester", "roll-responder", "roll-subscriber"]);
    expect(clients.get("roll-responder")?.subjects).toEqual(["roll.echo"]);
    expect(clients.get("roll-subscriber")?.subjects).toEqual(["roll.stream"]);
    await sleep(1000);
    const window = traffic.window();
    expect(window.requests).toBeGreaterThan(10);
    expect(window.failed).toBe(0);
    const last = await traffic.stop();
    traffic = undefined;
    expect(last.subscribed).toBe(true);
    expect(last.received).toBe(last.published);
    expect(last.lostMs).toBe(0);
  });

  test("counts what a user sees when the responder's node dies: failed requests and the gap", async () => {
    const twin = under.twin;
    traffic = await startTraffic({ server: `nats://${twin.lbAddress}:${twin.clientPort}`, credentials: twin.credentials });
    const responder = (await rollClients()).get("roll-responder");
    if (responder === undefined) throw new Error("no responder connection");
    traffic.window();
    await twin.kill(responder.node);
    try {
      // The responder reconnects through the load balancer; the requester's requests find no
      // responder (or time out) until it is back.
      await sleep(6000);
      const window = traffic.window();
      expect(window.failed).toBeGreaterThan(0);
      expect(window.longestGapMs).toBeGreaterThan(200);
      expect(window.errors.join("\n")).toMatch(/request \d+: (no responders|timeout)/);
      expect(window.requests).toBeGreaterThan(window.failed);
    } finally {
      await twin.restart(responder.node);
      under.remember();
    }
  });
});
