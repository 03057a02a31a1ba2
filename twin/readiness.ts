import { Jsz, fetchJson, metaLeader, peerCount } from "./monitor";
import type { TwinNode } from "./node";
import { poll } from "./process";
import { plural } from "../verify/stats";

/**
 * How long a boot step (a node healthy, the mesh, the meta group, HAProxy's servers UP) may take.
 * A step takes 1 to 3 s on an idle machine; a 2.10 meta group once took over 20 s with the suite's
 * files running side by side on 2 CPUs (load 14). Only a boot that is failing waits this long.
 */
export const BOOT_TIMEOUT_MS = 60_000;

/** The nodes ran, but their JetStream meta group did not form: no common leader, or a follower never current. */
export class JetStreamMetaGroupError extends Error {
  public override readonly name = "JetStreamMetaGroupError";
}

/** True when every node reports every other node as a route peer. */
export async function meshWhole(nodes: readonly TwinNode[]): Promise<boolean> {
  const expected = nodes.length - 1;
  const monitored = nodes.filter((node) => node.monitorPort !== undefined);
  const counts = await Promise.all(monitored.map((node) => peerCount(`http://${node.address}:${node.monitorPort}`)));
  return counts.every((count) => count === expected);
}

/** Waits until every node routes to every other node. */
export async function waitForMesh(nodes: readonly TwinNode[], log: (line: string) => void): Promise<void> {
  const expected = nodes.length - 1;
  await poll(() => meshWhole(nodes), BOOT_TIMEOUT_MS, 50, `every node to report routes to ${plural(expected, "other server")}`);
  const unmonitored = nodes.some((node) => node.monitorPort === undefined);
  log(`mesh complete: every node routes to ${plural(expected, "other server")}${unmonitored ? " (nodes without monitoring not checked)" : ""}`);
}

/**
 * With JetStream on, waits until every node knows the same meta leader and it sees every other
 * node current. True when the nodes run JetStream.
 */
export async function waitForJetStream(nodes: readonly TwinNode[], log: (line: string) => void): Promise<boolean> {
  const monitors = nodes.filter((node) => node.monitorPort !== undefined).map((node) => `http://${node.address}:${node.monitorPort}`);
  const first = await Promise.all(monitors.map((url) => fetchJson<Jsz>(`${url}/jsz`)));
  if (first.every((jsz) => jsz.disabled === true)) return false;
  try {
    await waitForMetaGroup(nodes, monitors, log);
  } catch (error) {
    throw new JetStreamMetaGroupError((error as Error).message, { cause: error });
  }
  return true;
}

async function waitForMetaGroup(nodes: readonly TwinNode[], monitors: readonly string[], log: (line: string) => void): Promise<void> {
  const leader = await poll(
    async () => {
      const leaders = await Promise.all(monitors.map(metaLeader));
      return leaders[0] !== undefined && leaders.every((name) => name === leaders[0]) ? leaders[0] : undefined;
    },
    BOOT_TIMEOUT_MS,
    50,
    "every node to know the same jetstream meta leader",
  );
  // Streams of 3 replicas are placed only on peers the leader sees as current: wait for those too.
  const leaderNode = nodes.find((node) => node.name === leader && node.monitorPort !== undefined);
  if (leaderNode !== undefined) {
    const others = nodes.length - 1;
    await poll(
      async () => {
        const replicas = (await fetchJson<Jsz>(`http://${leaderNode.address}:${leaderNode.monitorPort}/jsz`)).meta_cluster?.replicas ?? [];
        return replicas.length === others && replicas.every((replica) => replica.current && replica.offline !== true);
      },
      BOOT_TIMEOUT_MS,
      50,
      `the jetstream meta leader ${leader} to see ${plural(others, "other node")} current`,
    );
  }
  log(`jetstream: meta leader ${leader}`);
}
