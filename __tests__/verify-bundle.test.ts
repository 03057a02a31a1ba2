import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { builtinModules } from "node:module";
import { join, relative } from "node:path";
import { verifyBundle } from "../constructs/verify-bundle";

// Unit test: the bundle the readiness gate ships. It is built once per content of its sources and
// then read from the cache (the first call on a fresh checkout runs esbuild, as a synthesis does).

const ROOT = join(__dirname, "..");

/** Every file of `dir`, recursively. */
function tree(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? tree(join(dir, entry.name)) : [join(dir, entry.name)]));
}

describe("verifyBundle", () => {
  test("is kept under node_modules/.cache/nats-verify, in a directory named by the content of scripts/verify.ts, verify/ and package-lock.json", () => {
    const file = verifyBundle();
    expect(verifyBundle()).toBe(file);
    expect(relative(ROOT, file)).toMatch(/^node_modules\/\.cache\/nats-verify\/[0-9a-f]{16}\/verify\.js$/);
    // The key: sha256 over each source's path (relative, sorted) and content, NUL after each; a bundle
    // built from other sources (another verify/ file, an older lock file) is never reused.
    const sources = [join(ROOT, "scripts", "verify.ts"), ...tree(join(ROOT, "verify")), join(ROOT, "package-lock.json")].sort();
    expect(sources.filter((source) => source.includes("/verify/checks/")).length).toBeGreaterThan(2);
    const hash = createHash("sha256");
    for (const source of sources) hash.update(`${relative(ROOT, source)}\0`).update(readFileSync(source)).update("\0");
    expect(relative(ROOT, file).split("/")[3]).toBe(hash.digest("hex").slice(0, 16));
  });

  test("is one CommonJS file that needs nothing but node's own modules", () => {
    const bundle = readFileSync(verifyBundle(), "utf8");
    expect(bundle.startsWith('"use strict";\n')).toBe(true);
    expect(bundle).not.toMatch(/^\s*(import|export)\s/m);
    const required = [...bundle.matchAll(/\brequire\("([^"]+)"\)/g)].map((match) => match[1]);
    expect(required).toContain("node:net");
    expect(required.filter((name) => !builtinModules.includes(name.replace(/^node:/, "")))).toEqual([]);
  });
});
