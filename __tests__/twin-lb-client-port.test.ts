import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stackFile, synthesize } from "../plan/synth";
import { bootTwin } from "../twin/twin";
import { useTwin, verifyTwin } from "./twin-support";

// Integration test: synthesizes with the app and boots the nats stack's twin (nats-server and HAProxy).
jest.setTimeout(180_000);

// Loopback block of this file: the load balancer on .10, nodes on .11 and up, the seed load balancer after them.
const BASE = "127.22.1.10";

// Nodes cannot bind 443 as the nats user, but the load balancer can take clients there: HAProxy
// stands in for DigitalOcean's load balancer (the forwarding rule 443 → 4222 as synthesized).
const outdir = mkdtempSync(join(tmpdir(), "twin-lb-client-port-"));
const under = useTwin(
  () => {
    synthesize({ outdir, env: { NATS_LOAD_BALANCER_CLIENT_PORT: "443" } });
    return bootTwin({ planFile: stackFile(outdir, "nats"), addressBase: BASE, timeScale: 0.2 });
  },
  { cleanup: () => rmSync(outdir, { recursive: true, force: true }) },
);

test("NATS_LOAD_BALANCER_CLIENT_PORT=443: clients reach the nodes' 4222 through the load balancer's 443", async () => {
  const { twin } = under;
  expect(twin.clientPort).toBe(443);
  expect(twin.nodes.map((node) => node.clientPort)).toEqual([4222, 4222, 4222]);
  expect((await verifyTwin(twin)).verdicts).toEqual([["round robin", true], ["mesh", true], ["pub/sub", true], ["health", true], ["jetstream", true]]);
});
