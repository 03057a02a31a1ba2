import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stackFile, synthesize } from "../../plan/synth";
import { readPlan } from "../../twin/plan";
import { guestExec } from "../../vm/guest-agent";
import { VmTwin } from "../../vm/vm-twin";

// VM test (npm run test:vm): a client port below 1024 must never give a droplet whose unit dies
// and restarts forever. Either synthesis refuses the port, or the droplet is booted (one VM of the
// tutorial stack, real cloud-init and systemd; Debian trixie, not Ubuntu 24.04) and what systemd
// does with the unit is the outcome: running, or failed for good with its reason in the journal
// (User=nats with NoNewPrivileges cannot bind port 443) after the start limit.
jest.setTimeout(1_200_000);

const work = mkdtempSync(join(tmpdir(), "vm-port-"));
let twin: VmTwin | undefined;

afterAll(async () => {
  await twin?.stop(false);
  rmSync(work, { recursive: true, force: true });
});

test("client port 443: refused at synthesis, or the unit runs, or it settles as failed with the reason in its journal", async () => {
  let outdir: string;
  try {
    ({ outdir } = synthesize({ outdir: join(work, "plan"), env: { NATS_TUTORIAL_NODE_COUNT: "1", NATS_TUTORIAL_CLIENT_PORT: "443" } }));
  } catch (error) {
    expect((error as Error).message).toMatch(/NATS_TUTORIAL_CLIENT_PORT.*443/);
    return;
  }
  twin = new VmTwin(readPlan(stackFile(outdir, "nats-tutorial")), { untilHealthy: false });
  await twin.boot();
  const node = twin.nodes[0];
  // Starts 2 s apart: the limit (5 in 60 s) is reached within about 15 s of the first failure.
  await new Promise((resolve) => setTimeout(resolve, 30_000));
  const report = await twin.reportOf(node);
  expect(report.cloudInit).toBe("done");
  if (report.unit.state === "active/running") return;
  // Failed for good: systemd keeps the last start's result (exit-code) and refuses further starts.
  expect(report.unit.state).toBe("failed/failed");
  expect(report.unit.restarts).toBeLessThanOrEqual(5);
  const journal = await guestExec(node.vm!.agentSocket, "journalctl -u nats-server -b --no-pager");
  expect(journal.stdout).toMatch(/permission denied/);
  expect(journal.stdout).toMatch(/Start request repeated too quickly/);
  await new Promise((resolve) => setTimeout(resolve, 10_000));
  expect((await twin.reportOf(node)).unit).toEqual(report.unit);
});
