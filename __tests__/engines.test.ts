import { readFileSync } from "node:fs";
import { join } from "node:path";
import { minVersion, satisfies } from "semver";

const ROOT = join(__dirname, "..");

interface LockFile {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
}

/** Every locked package whose `engines.node` rejects `version`: what `npm ci` warns about (EBADENGINE). */
function rejecting(version: string): string[] {
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as LockFile;
  return Object.entries(lock.packages)
    .filter(([path]) => path !== "")
    .flatMap(([path, entry]) => {
      const range = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
      return range !== undefined && !satisfies(version, range) ? [`${path}@${entry.version}: node ${range}`] : [];
    });
}

describe("npm ci prints no EBADENGINE warning", () => {
  const declared = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { engines: { node: string } }).engines.node;

  test("on the oldest Node the project declares", () => {
    expect(rejecting(minVersion(declared)!.version)).toEqual([]);
  });

  test("on the Node running the tests", () => {
    expect(satisfies(process.version, declared)).toBe(true);
    expect(rejecting(process.version)).toEqual([]);
  });
});
