import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_STACK, TUTORIAL_STACK } from "../constructs/stacks";
import { resourcesOf, synthJson, testStack, unitOf } from "./helpers";

// Runs systemd-analyze and cloud-init on the rendered user data: an integration test.
jest.setTimeout(60_000);

describe.each([
  ["nats", DEFAULT_STACK],
  ["nats-tutorial", TUTORIAL_STACK],
])("%s user_data", (name, props) => {
  const droplets = resourcesOf(synthJson(testStack(props, name)), "digitalocean_droplet");

  test("its systemd unit passes systemd-analyze verify without a warning", () => {
    const dir = mkdtempSync(join(tmpdir(), "unit-"));
    try {
      for (const d of droplets) {
        const file = join(dir, "nats-server.service");
        writeFileSync(file, unitOf(String(d.user_data)));
        const result = spawnSync("systemd-analyze", ["verify", file], { encoding: "utf8" });
        expect({ status: result.status, output: `${result.stdout}${result.stderr}` }).toEqual({ status: 0, output: "" });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("passes cloud-init schema validation", () => {
    const dir = mkdtempSync(join(tmpdir(), "cloud-init-"));
    try {
      for (const d of droplets) {
        const file = join(dir, `${String(d.name)}.yaml`);
        writeFileSync(file, String(d.user_data));
        const out = execFileSync("cloud-init", ["schema", "--config-file", file], { encoding: "utf8" });
        expect(out).toContain("Valid cloud-config");
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
