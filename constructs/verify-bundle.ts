import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync } from "node:fs";
import { dirname, join, relative } from "node:path";

/** The project root: scripts/verify.ts and verify/ live here. */
const ROOT = join(__dirname, "..");
/**
 * esbuild's own command line: synchronous and gone when done (its JS buildSync keeps a service
 * process alive in a worker thread, a child a construct must not leave behind).
 */
const ESBUILD = join(dirname(require.resolve("esbuild/package.json")), "bin", "esbuild");
/** Where bundles are kept, one directory per hash of their sources. */
const CACHE_DIR = join(ROOT, "node_modules", ".cache", "nats-verify");

/** Every file the bundle is made from: the CLI, verify/ and the locked dependency versions. */
function sources(): string[] {
  const tree = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? tree(join(dir, entry.name)) : [join(dir, entry.name)]));
  return [join(ROOT, "scripts", "verify.ts"), ...tree(join(ROOT, "verify")), join(ROOT, "package-lock.json")].sort();
}

let bundled: string | undefined;

/**
 * Path of `scripts/verify.ts` bundled with its dependencies into one CommonJS file that runs
 * with plain `node` (20 or newer), without this checkout or its node_modules: the readiness
 * gate ships it inside the stack's directory as an asset. Built by esbuild once per content of
 * its sources and kept in node_modules/.cache.
 */
export function verifyBundle(): string {
  if (bundled !== undefined) return bundled;
  const hash = createHash("sha256");
  for (const file of sources()) hash.update(relative(ROOT, file)).update("\0").update(readFileSync(file)).update("\0");
  const dir = join(CACHE_DIR, hash.digest("hex").slice(0, 16));
  const file = join(dir, "verify.js");
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    const partial = `${file}.${process.pid}.tmp`;
    const run = spawnSync(
      ESBUILD,
      ["scripts/verify.ts", "--bundle", "--platform=node", "--target=node20", "--format=cjs", `--outfile=${partial}`, "--log-level=error"],
      { cwd: ROOT, encoding: "utf8" },
    );
    if (run.status !== 0) throw new Error(`bundling verify with esbuild failed (exit ${run.status}): ${run.stderr || run.error?.message}`);
    renameSync(partial, file);
  }
  bundled = file;
  return file;
}
