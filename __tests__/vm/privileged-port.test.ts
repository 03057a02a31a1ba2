import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stackFile, synthesize } from "../../plan/synth";
import { readPlan } from "../../twin/plan";
import { guestExec } from "../../vm/guest-agent";
import { VmTwin } from "../../vm/vm-twin";

// VM test (npm run test:vm): why synthesis refuses node ports below 1024, shown on a real droplet.
// A client port below 1024 is refused at synthesis; a hand-edited plan that binds 443 anyway is
// booted (one VM of the tutorial stack, real cloud-init and systemd; Debian trixie, not Ubuntu
// 24.04): nats-server as User=nats with NoNewPrivileges cannot bind it, and the unit must settle
// as failed after its start limit, with the reason in its journal, instead of restarting forever.
jest.setTimeout(1_200_000);

interface PlanJson {
  resource: { digitalocean_droplet: Record<string, { name: string; user_data: string }> };
}

const work = mkdtempSync(join(tmpdir(), "vm-port-"));
let twin: VmTwin | undefined;

afterAll(async () => {
  await twin?.stop(false);
  rmSync(work, { recursive: true, force: true });
});

test("client port 443 is refused at synthesis; a plan edited to bind it settles failed, never restarting forever", async () => {
  expect(() => synthesize({ outdir: join(work, "refused"), env: { NATS_TUTORIAL_NODE_COUNT: "1", NATS_TUTORIAL_CLIENT_PORT: "443" } })).toThrow(
    /NATS_TUTORIAL_CLIENT_PORT.*443/,
  );
  const { outdir } = synthesize({ outdir: join(work, "plan"), env: { NATS_TUTORIAL_NODE_COUNT: "1" } });
  const file = stackFile(outdir, "nats-tutorial");
  const plan = JSON.parse(readFileSync(file, "utf8")) as PlanJson;
  const [droplet] = Object.values(plan.resource.digitalocean_droplet);
  expect(droplet.user_data).toContain(" -p 4222 ");
  droplet.user_data = droplet.user_data.replace(" -p 4222 ", " -p 443 ");
  writeFileSync(file, JSON.stringify(plan));

  twin = new VmTwin(readPlan(file), { untilHealthy: false });
  await twin.boot();
  const node = twin.nodes[0];
  // Starts 2 s apart: the limit (5 in 60 s) is reached within about 15 s of the first failure.
  await new Promise((resolve) => setTimeout(resolve, 30_000));
  const report = await twin.reportOf(node);
  expect(report.cloudInit).toBe("done");
  // Failed for good: systemd keeps the last start's result (exit-code) and refuses further starts.
  expect(report.unit.state).toBe("failed/failed");
  expect(report.unit.restarts).toBeLessThanOrEqual(5);
  const journal = await guestExec(node.vm!.agentSocket, "journalctl -u nats-server -b --no-pager");
  expect(journal.stdout).toMatch(/permission denied/);
  expect(journal.stdout).toMatch(/Start request repeated too quickly/);
  await new Promise((resolve) => setTimeout(resolve, 10_000));
  expect((await twin.reportOf(node)).unit).toEqual(report.unit);
});
