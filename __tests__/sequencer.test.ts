import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import HasteMap from "jest-haste-map";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const IntegrationFirst = require("./sequencer.cjs") as new () => { sort(tests: FakeTest[]): FakeTest[] };

interface FakeTest {
  readonly path: string;
  readonly context: { readonly config: { readonly id: string; readonly cache: boolean; readonly haste: object; readonly cacheDirectory: string; readonly displayName: { readonly name: string } }; readonly hasteFS: { getSize(path: string): number } };
  duration?: number;
}

const cacheDirectory = mkdtempSync(join(tmpdir(), "sequencer-"));
afterAll(() => rmSync(cacheDirectory, { recursive: true, force: true }));

/** A test file of `project`, `size` bytes long, as jest hands it to a sequencer. */
function file(project: "unit" | "integration", name: string, size: number): FakeTest {
  const config = { id: project, cache: true, haste: {}, cacheDirectory, displayName: { name: project } };
  return { path: `/repo/__tests__/${name}.test.ts`, context: { config, hasteFS: { getSize: () => size } } };
}

/** Where jest keeps what it recorded of a project's last run. */
const perfCache = (project: string): string => HasteMap.getCacheFilePath(cacheDirectory, `perf-cache-${project}`);

/** Writes what jest recorded of a project's last run: [0 failed | 1 passed, milliseconds] per file. */
function recorded(project: string, entries: Record<string, [number, number]>): void {
  writeFileSync(perfCache(project), JSON.stringify(Object.fromEntries(Object.entries(entries).map(([name, entry]) => [`/repo/__tests__/${name}.test.ts`, entry]))));
}

const names = (tests: FakeTest[]): string[] => tests.map((test) => test.path.replace(/^.*\/(.*)\.test\.ts$/, "$1"));

test("without recorded durations, every integration file starts before the unit files, each project largest first", () => {
  const tests = [file("unit", "big-unit", 90_000), file("integration", "roll", 4_000), file("unit", "small-unit", 1_000), file("integration", "twin", 9_000)];
  expect(names(new IntegrationFirst().sort(tests))).toEqual(["twin", "roll", "big-unit", "small-unit"]);
});

test("with recorded durations, jest's order stands: failed first, then new files, then the longest", () => {
  recorded("unit", { "slow-unit": [1, 9_000], "failed-unit": [0, 100] });
  recorded("integration", { roll: [1, 90_000], twin: [1, 20_000] });
  const tests = [file("unit", "slow-unit", 1), file("integration", "twin", 1), file("unit", "failed-unit", 1), file("unit", "new-unit", 5), file("integration", "new-twin", 1), file("integration", "roll", 1)];
  expect(names(new IntegrationFirst().sort(tests))).toEqual(["failed-unit", "new-twin", "new-unit", "roll", "twin", "slow-unit"]);
});
