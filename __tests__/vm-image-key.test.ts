import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { imageKey } from "../vm/image";

// Integration test: runs tsx. The guest image is cached by its key; the CLI (tsx) and the VM tests
// (ts-jest) compile vm/image.ts differently, and a key taken from compiled code made each rebuild
// the image (minutes) and remove the other's.
jest.setTimeout(30_000);

test("the image key is the same under tsx (npm run twin) and ts-jest (npm run test:vm)", () => {
  const run = spawnSync(process.execPath, ["--import", "tsx", "-e", 'console.log(require("./vm/image").imageKey())'], { cwd: join(__dirname, ".."), encoding: "utf8" });
  expect(run.stderr).toBe("");
  expect(run.stdout.trim()).toBe(imageKey());
});
