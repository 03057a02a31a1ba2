import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runApp } from "../../plan/synth";

// Integration test: runs the cdktf app in child processes. The aspect itself is unit-tested in
// acknowledgements.test.ts.
jest.setTimeout(60_000);

/** Runs main.ts like `cdktf synth` does, into a temporary outdir. */
function runMain(env: Record<string, string>): { status: number | null; stderr: string } {
  const outdir = mkdtempSync(join(tmpdir(), "policy-main-"));
  try {
    return runApp({ outdir, env });
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

describe("main.ts and the policy", () => {
  test("main.ts synthesizes both stacks with exit 0", () => {
    const { status, stderr } = runMain({});
    expect(stderr).toBe("");
    expect(status).toBe(0);
  });

  test("main.ts exits non-zero on an unacknowledged error-level finding", () => {
    const { status, stderr } = runMain({ NATS_ADMIN_CIDRS: "0.0.0.0/0" });
    expect(status).toBe(1);
    expect(stderr).toMatch(/^- nats: \[NATS-001\] digitalocean_firewall\.\S+ lets 0\.0\.0\.0\/0 \(the whole internet\) reach tcp 22 \(the ssh port\)/m);
  });
});
