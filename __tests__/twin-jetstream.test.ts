import type { NatsConnection } from "@nats-io/nats-core";
import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { freshStackFile } from "../plan/synth";
import { PLACEMENT_TIMEOUT_MS, createStream, leaderMetaView, peerOf, publishAcked, readAll, untilReplicasCurrent } from "../twin/jetstream-probe";
import { whenPlaceable } from "../verify/checks/jetstream";
import { connectNats } from "../twin/probe";
import { poll } from "../twin/process";
import { bootTwin } from "../twin/twin";
import { useTwin } from "./twin-support";

// Integration test: boots twins (nats-server and HAProxy processes).
jest.setTimeout(120_000);

// Loopback block of this file: the load balancer on .10, nodes on .11 and up.
const BASE = "127.0.21.10";
// Health check timers a tenth of the default stack's.
const TIME_SCALE = 0.1;
// The stack's volumes are mounted here on a droplet; the twin plays each with a directory.
const MOUNT_POINT = "/mnt/nats-data";
// Generous waits for evidence on 2 loaded cores: a Raft election takes seconds.
const SETTLE_MS = 60_000;

const under = useTwin(() => bootTwin({ stack: "nats", addressBase: BASE, timeScale: TIME_SCALE, log: (line) => process.env.TWIN_LOG && console.log(line) }));

/** Node name → its monitor URL. */
function monitors(): Map<string, string> {
  return new Map(under.twin.nodes.map((node) => [node.name, `http://${node.address}:${node.monitorPort}`]));
}

/** A client of the load balancer that rides out a dead node: reconnects forever, fast. */
async function client(): Promise<NatsConnection> {
  const nc = await connectNats(`${under.twin.lbAddress}:${under.twin.clientPort}`, under.twin.credentials, { maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  return under.track(nc);
}

describe("jetstream in the twin", () => {
  test("every node keeps its store in its own volume directory, the mount point's only substitute", () => {
    expect(under.twin.jetstream).toBe(true);
    const directories = under.twin.nodes.map((node) => node.volumes.get(MOUNT_POINT));
    expect(directories.every((dir) => dir !== undefined && existsSync(join(dir, "jetstream")))).toBe(true);
    expect(new Set(directories).size).toBe(3);
  });

  test("a replicas-3 key-value bucket through the load balancer: written on one server, read on another", async () => {
    const writer = await client();
    let reader = await client();
    // Round robin: the second connection lands on another server, unless the balancer says otherwise.
    while (reader.info?.server_id === writer.info?.server_id) reader = await client();
    const bucket = await whenPlaceable(() => new Kvm(writer).create("twin_kv", { replicas: 3 }), PLACEMENT_TIMEOUT_MS);
    // A put finds no responders until the bucket's stream exists on the writer's server.
    await untilReplicasCurrent(await jetstreamManager(writer), "KV_twin_kv", 3, SETTLE_MS);
    await bucket.put("greeting", "hello from the twin");
    const status = await bucket.status();
    expect(status.replicas).toBe(3);
    const entry = await (await new Kvm(reader).open("twin_kv")).get("greeting");
    expect(entry?.string()).toBe("hello from the twin");
    await bucket.destroy();
  });

  test("node loss: 10,000 acknowledged publishes while the stream leader is SIGKILLed and restarted lose nothing", async () => {
    const nc = await client();
    const { jsm, js, info: created } = await createStream(nc, "LOSS", "loss.>", 3);
    const leaderName = created.cluster?.leader;
    const victim = under.twin.nodes.findIndex((node) => node.name === leaderName);
    expect(victim).toBeGreaterThanOrEqual(0);

    // A third before the kill, a third while the node is dead, a third while it restarts.
    const options = { attempts: 100, timeoutMs: 2000, retryDelayMs: 100 };
    const result = await publishAcked(js, "loss.m", 0, 3334, "loss", options);
    await Promise.all([under.twin.kill(victim, "SIGKILL"), publishAcked(js, "loss.m", 3334, 6667, "loss", options, result)]);
    expect(under.twin.nodes[victim].pid).toBeUndefined();
    await Promise.all([under.twin.restart(victim), publishAcked(js, "loss.m", 6667, 10_000, "loss", options, result)]);

    expect(result.failed).toEqual([]);
    expect(result.acked.size).toBe(10_000);
    const info = await untilReplicasCurrent(jsm, "LOSS", 3, SETTLE_MS);
    expect(info.state.messages).toBe(10_000);
    const payloads = await readAll(js, "LOSS", 10_000, SETTLE_MS);
    const read = new Set(payloads.map(Number));
    const lost = [...result.acked.keys()].filter((index) => !read.has(index));
    expect({ read: payloads.length, lost }).toEqual({ read: 10_000, lost: [] });
    await jsm.streams.delete("LOSS");
  });

  test("replacement from the same volume: the node rejoins as the same raft peer with its store, no ghost peer", async () => {
    const index = 1;
    const node = under.twin.nodes[index];
    const nc = await client();
    const { jsm, js } = await createStream(nc, "KEEP", "keep.>", 3);
    const written = await publishAcked(js, "keep.m", 0, 1000, "keep", { attempts: 3 });
    expect(written.failed).toEqual([]);
    await untilReplicasCurrent(jsm, "KEEP", 3, SETTLE_MS);
    const peerBefore = peerOf(await leaderMetaView(monitors()), node.name);
    expect(peerBefore).toMatch(/^\w{8}$/);
    const volume = node.volumes.get(MOUNT_POINT) as string;
    const storeFiles = readdirSync(join(volume, "jetstream"));

    await under.twin.replaceNode(index, freshStackFile("nats"));
    const replaced = under.twin.nodes[index];
    expect(replaced.volumes.get(MOUNT_POINT)).toBe(volume);
    expect(readdirSync(join(volume, "jetstream"))).toEqual(expect.arrayContaining(storeFiles));

    // The same peer id (a hash of the unchanged server name). The meta leader lists the group's
    // other members: exactly the other two nodes, all current, no offline (ghost) peer.
    const settled = await poll(async () => {
      const view = await leaderMetaView(monitors());
      return view.replicas.length === 2 && view.replicas.every((member) => member.current && !member.offline) ? view : undefined;
    }, SETTLE_MS, 100, `${replaced.name} to rejoin the meta group`);
    expect(peerOf(settled, replaced.name)).toBe(peerBefore);
    expect({ size: settled.clusterSize, members: settled.replicas.map((member) => member.name).sort(), offline: settled.replicas.filter((member) => member.offline) }).toEqual({
      size: 3,
      members: under.twin.nodes.filter((other) => other.name !== settled.leader).map((other) => other.name).sort(),
      offline: [],
    });
    const info = await untilReplicasCurrent(jsm, "KEEP", 3, SETTLE_MS);
    expect(info.state.messages).toBe(1000);
    expect(new Set((await readAll(js, "KEEP", 1000, SETTLE_MS)).map(Number)).size).toBe(1000);
    await jsm.streams.delete("KEEP");
  });
});
