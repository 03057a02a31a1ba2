import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deployFacts } from "../plan/graph";
import { stackFile, synthesize } from "../plan/synth";
import { loadPlan } from "../helpers/tf-json";

// Integration test: synthesizes the app in a child process. The graph itself is unit-tested in
// plan-graph.test.ts.
jest.setTimeout(60_000);

describe("the synthesized default stack", () => {
  const work = mkdtempSync(join(tmpdir(), "plan-graph-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test("has the same depth at 3, 11 and 25 nodes, droplets in one wave (they route through the seed load balancer), load balancer and firewall independent of droplets", () => {
    const facts = [3, 11, 25].map((nodes) => {
      const outdir = synthesize({ outdir: join(work, String(nodes)), env: { NATS_NODE_COUNT: String(nodes) } }).outdir;
      return deployFacts(loadPlan(stackFile(outdir, "nats")));
    });
    expect(new Set(facts.map((f) => f.depth)).size).toBe(1);
    // Every node, node 1 included (JetStream's route to itself), waits only for the seed load
    // balancer and its own volume: all droplets are created at once.
    for (const f of facts) {
      expect(f).toMatchObject({ dropletWaves: 1, waitingForDroplets: [] });
      // With TLS the droplets wait for their certificates, which wait for nothing the cloud creates.
      // (The CA's chain and a node key's chain through its request are equally long.)
      expect(f.criticalPath.map((address) => address.split(".")[0]).join(" → ")).toMatch(
        /^tls_private_key → tls_(self_signed_cert|cert_request) → tls_locally_signed_cert → digitalocean_droplet → null_resource$/,
      );
    }
  });
});
