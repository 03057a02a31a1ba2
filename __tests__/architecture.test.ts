import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

// Integration test: dependency-cruiser (a process) reads the imports of the product code and
// judges them by the rules of .dependency-cruiser.cjs: no cycle anywhere, and each room imports
// only the rooms below it (README, "Architecture").
jest.setTimeout(60_000);

const ROOT = join(__dirname, "..");
const CONFIG = join(ROOT, ".dependency-cruiser.cjs");

interface Rule {
  readonly name: string;
  readonly from: { readonly path?: string };
}

/** The folders tsconfig.json type-checks, apart from the tests: the rooms of the product code. */
function productFolders(): string[] {
  const { include } = JSON.parse(readFileSync(join(ROOT, "tsconfig.json"), "utf8")) as { include: string[] };
  return include.filter((entry) => entry.endsWith("/**/*.ts") && !entry.startsWith("__tests__/")).map((entry) => entry.split("/")[0] as string);
}

interface Violation {
  readonly rule: { readonly name: string };
  readonly from: string;
  readonly to: string;
  readonly cycle?: readonly { readonly name: string }[];
}

/** Runs the cruiser over main.ts and every product folder; its JSON answer. */
function cruise(): { violations: Violation[]; totalCruised: number } {
  const bin = join(ROOT, "node_modules", "dependency-cruiser", "bin", "dependency-cruise.mjs");
  const result = spawnSync(process.execPath, [bin, "--config", CONFIG, "--output-type", "json", "main.ts", ...productFolders()], {
    cwd: ROOT,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error !== undefined || result.stdout === "") throw new Error(`dependency-cruiser did not answer: ${result.error?.message ?? result.stderr}`);
  const { summary } = JSON.parse(result.stdout) as { summary: { violations: Violation[]; totalCruised: number } };
  return summary;
}

function line(violation: Violation): string {
  const path = violation.cycle === undefined ? violation.to : violation.cycle.map((step) => step.name).join(" → ");
  return `${violation.rule.name}: ${violation.from} → ${path}`;
}

describe("architecture", () => {
  test("every product folder is a room with its own rule", () => {
    const { forbidden } = require(CONFIG) as { forbidden: Rule[] };
    const ruled = new Set(forbidden.map((rule) => /^\^\(\?:(\w+)\/\)$/.exec(rule.from.path ?? "")?.[1]).filter((room) => room !== undefined));
    expect(productFolders().filter((folder) => !ruled.has(folder))).toEqual([]);
  });

  test("no cycle and no arrow pointing up", () => {
    const { violations, totalCruised } = cruise();
    // A cruise that found nothing would pass vacuously: the product code is over 100 modules.
    expect(totalCruised).toBeGreaterThan(100);
    expect(violations.map(line)).toEqual([]);
  });
});
