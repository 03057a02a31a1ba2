import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { freshStackFile } from "../plan/synth";
import { TwinControl } from "../twin/control";
import { readPlan } from "../twin/plan";
import { bootTwin } from "../twin/twin";
import { unitOf } from "./helpers";
import { DROPLET_MAX_AVAILABLE_BYTES, journalRateLimitOf, keptPerMinute, modulatedBurst } from "./journald";
import { useTwin } from "./twin-support";

// Integration test: boots a twin of the default stack (nats-server and HAProxy processes).
jest.setTimeout(180_000);

// Loopback block of this file: the load balancers on .10 and up, nodes on .11 and up.
const BASE = "127.27.0.10";
// Health checks × 0.1, so the seed load balancer marks a dead seed DOWN within a second. The
// nodes' route retries are nats-server's own timers, which the twin does not scale.
const TIME_SCALE = 0.1;
const WINDOW_MS = 10_000;
const HANDSHAKE_ERROR = "TLS route handshake error: EOF";
const ROUTE_CLOSED = "Router connection closed: TLS Handshake Failure";

// What this measures: while the seed is down, nodes 2 and 3 dial their route URL, the seed load
// balancer, which accepts and closes at once (no backend is up), so each attempt ends in a failed
// TLS handshake that nats-server logs at [ERR]. The dial succeeds, so `connect_backoff` (which
// slows only failed dials) does not apply: nats-server retries an explicit route after 1 s (plus up
// to 100 ms of jitter), for each of its 4 route connections to the peer (a pool of 3 plus the
// system account's). A DigitalOcean load balancer with no healthy droplet is modelled by HAProxy
// doing the same (accept, then close); DigitalOcean documents no refusal that would make the dial
// fail instead, which is where a real one could differ.
// What reaches a droplet's journal: the unit bounds it with LogRateLimitIntervalSec= and
// LogRateLimitBurst=. The twin's nodes log to files, so journald is modelled here (journald.ts,
// its rule read from systemd's source) with the values the plan's unit carries; the VM test
// (vm/droplet.test.ts) runs the same unit under the real journald.
const under = useTwin(() => bootTwin({ planFile: freshStackFile("nats"), addressBase: BASE, timeScale: TIME_SCALE, log: (line) => process.env.TWIN_LOG && console.log(line) }));

/** The nats-server log of node `name` (the twin keeps one per node in its working directory). */
function logOf(name: string): string {
  const dir = readdirSync(under.twin.workDir).find((entry) => entry.startsWith(`${name}-`) && statSync(join(under.twin.workDir, entry)).isDirectory());
  if (dir === undefined) throw new Error(`no working directory of ${name} in ${under.twin.workDir}`);
  return join(under.twin.workDir, dir, "nats-server.log");
}

/** The lines `file` gains during `ms`. */
async function linesDuring(file: string, ms: number): Promise<string[]> {
  const before = readFileSync(file, "utf8").length;
  await new Promise((resolve) => setTimeout(resolve, ms));
  return readFileSync(file, "utf8").slice(before).split("\n").filter((line) => line !== "");
}

test("while the seed is down, each other node logs the failed route handshake about 4 times a second (4 route connections, each retried after 1 s); none once it is back", async () => {
  const [seed, ...nodes] = under.twin.nodes;
  expect(seed.name).toBe("nats-1");
  const control = new TwinControl(under.twin);
  const report: string[] = [];
  await control.run({ command: "kill", node: seed.name }, (line) => report.push(line));
  expect(report.join("\n")).toMatch(/nats-cluster-seed: haproxy marked nats-1 DOWN/);

  const down = await Promise.all(nodes.map((node) => linesDuring(logOf(node.name), WINDOW_MS)));
  const seconds = WINDOW_MS / 1000;
  // Each attempt logs two lines: the [ERR] of the handshake and the [INF] of the closed route.
  const attempts = down.map((lines) => lines.filter((line) => line.includes(HANDSHAKE_ERROR)));
  const closed = down.map((lines) => lines.filter((line) => line.includes(ROUTE_CLOSED)));
  const rest = down.map((lines) => lines.filter((line) => !line.includes(HANDSHAKE_ERROR) && !line.includes(ROUTE_CLOSED)));
  const bytes = down.map((lines) => lines.reduce((sum, line) => sum + Buffer.byteLength(`${line}\n`), 0));
  // journald scales the burst by the journal's free room: ×1 when it is full, at most ×3.75 on a droplet.
  const limit = journalRateLimitOf(unitOf(readPlan(freshStackFile("nats")).droplets[1].userData));
  const bursts = [limit.burst, modulatedBurst(limit.burst, DROPLET_MAX_AVAILABLE_BYTES)];
  const journal = (i: number): string => {
    const [least, most] = bursts.map((burst) => keptPerMinute(down[i].length / seconds, limit, burst));
    const bytesPerLine = bytes[i] / down[i].length;
    return `${least.toFixed(0)} to ${most.toFixed(0)} lines a minute, ${((least * bytesPerLine * 1440) / 1e6).toFixed(1)} to ${((most * bytesPerLine * 1440) / 1e6).toFixed(1)} MB a day`;
  };
  console.log(
    `seed down for ${seconds} s: ${nodes.map((node, i) => `${node.name} ${(attempts[i].length / seconds).toFixed(1)} failed handshakes/s, ${(down[i].length / seconds).toFixed(1)} lines/s, ` +
      `${(bytes[i] / seconds).toFixed(0)} bytes/s (${((bytes[i] / seconds) * 86_400 / 1e6).toFixed(0)} MB a day)`).join("; ")}\n` +
      `journal with LogRateLimitIntervalSec=${limit.intervalSeconds}s and LogRateLimitBurst=${limit.burst} (×1 to ×${bursts[1] / bursts[0]}: ${bursts.join(" to ")} lines a window): ` +
      `${nodes.map((node, i) => `${node.name} ${journal(i)}`).join("; ")}`,
  );
  for (const i of nodes.keys()) {
    // 4 route connections, one attempt each per 1 to 1.1 s plus the dial and the handshake: about 3.7
    // a second, at most 4 × 11 in a 10 s window. At least 2.5: a busy machine (npm test runs four files
    // at once) slows each dial and handshake.
    expect(attempts[i].length / seconds).toBeGreaterThanOrEqual(2.5);
    expect(attempts[i].length / seconds).toBeLessThanOrEqual(4.4);
    expect(Math.abs(closed[i].length - attempts[i].length)).toBeLessThanOrEqual(4);
    // Nothing else fills the log meanwhile (JetStream may elect a new meta leader).
    expect(rest[i].length).toBeLessThan(5);
    // The limit bites: within one window the noise outruns even the largest burst a droplet's journal applies.
    expect((down[i].length / seconds) * limit.intervalSeconds).toBeGreaterThan(bursts[1]);
  }

  await control.run({ command: "start", node: seed.name }, () => undefined);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const up = await Promise.all(nodes.map((node) => linesDuring(logOf(node.name), 3000)));
  for (const lines of up) expect(lines.filter((line) => line.includes(HANDSHAKE_ERROR))).toEqual([]);
});
