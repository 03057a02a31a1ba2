// `npm run mutation`: Stryker mutates the code the tests are meant to protect and runs, for each
// mutant, only the unit tests that cover it (per-test coverage). Integration tests take no part:
// a mutant is active only inside the jest worker, so tests that synthesize through a child
// process cannot kill one, and each run of a twin test costs a twin boot. Results and the
// equivalent mutants are recorded in bench/RESULTS.md.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import jestConfig from "./jest.config.js";

const unit = jestConfig.projects.find((project) => project.displayName === "unit");
const snapshots = process.env.MUTATION_SNAPSHOTS ?? "on";
if (snapshots !== "on" && snapshots !== "off") {
  throw new Error(`MUTATION_SNAPSHOTS must be on or off, got ${JSON.stringify(snapshots)}`);
}
/**
 * The tests and every directory of code they import: the directories tsconfig.json type-checks
 * (helpers/, facts/ and vm/ were missing from a hand-written list). main.ts, the one file at the top,
 * is the cdktf app, which tests run as a process only.
 */
const SOURCE_ROOTS = [
  ...new Set(
    JSON.parse(readFileSync(new URL("./tsconfig.json", import.meta.url), "utf8"))
      .include.filter((pattern) => pattern.includes("/"))
      .map((pattern) => pattern.slice(0, pattern.indexOf("/"))),
  ),
];

const MUTATE = [
  "helpers/**/*.ts",
  "facts/**/*.ts",
  "constructs/**/*.ts",
  "policy/**/*.ts",
  "plan/**/*.ts",
  "verify/**/*.ts",
  // The pure parts of the twin: reading the plan and the user data, and the HAProxy config.
  "twin/plan.ts",
  "twin/cloud-config.ts",
  "twin/haproxy.ts",
];
// A mutated file outside the roots would have no related test: each of its mutants would "survive".
const outsideRoots = MUTATE.filter((pattern) => !SOURCE_ROOTS.includes(pattern.slice(0, pattern.indexOf("/"))));
if (outsideRoots.length > 0) throw new Error(`mutate patterns outside jest's roots (${SOURCE_ROOTS.join(", ")}): ${outsideRoots.join(", ")}`);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: "jest",
  jest: {
    projectType: "custom",
    // jest's --findRelatedTests follows imports only through files inside `roots`. With the tests'
    // root alone, a test that reaches policy/rules/*.ts through constructs/ was not related to it,
    // ran for no mutant there, and each such mutant "survived" without a test.
    config: {
      ...unit,
      roots: SOURCE_ROOTS.map((dir) => `<rootDir>/${dir}`),
      testTimeout: jestConfig.testTimeout,
      // A mutant runs only the files that hold a covering test and stops at the first failure
      // (mutation/jest-runner.cjs says why and why no verdict changes).
      runner: fileURLToPath(new URL("./mutation/jest-runner.cjs", import.meta.url)),
      testEnvironment: fileURLToPath(new URL("./mutation/jest-environment.cjs", import.meta.url)),
      // MUTATION_SNAPSHOTS=off: snapshot assertions pass, to find the mutants only a snapshot kills.
      setupFilesAfterEnv: [
        ...unit.setupFilesAfterEnv,
        ...(snapshots === "off" ? [fileURLToPath(new URL("./mutation/without-snapshots.cjs", import.meta.url))] : []),
      ],
    },
  },
  coverageAnalysis: "perTest",
  checkers: ["typescript"],
  tsconfigFile: "tsconfig.json",
  mutate: MUTATE,
  // A mutant reached only outside any test (a module's constant, a stack synthesized in a `describe`
  // body or a `beforeAll`) would run every unit test. mutation/jest-environment.cjs gives such
  // coverage to the tests of the file that reached it, which then run for it; only a mutant reached
  // in a file none of whose tests ran stays ignored. See bench/RESULTS.md.
  ignoreStatic: true,
  ignorePatterns: ["cdktf.out", "reports", "coverage", "mutation"],
  concurrency: 2,
  // A mutant's time limit is timeoutFactor × its covering tests' time in the dry run + timeoutMS + the
  // dry run's overhead. A survivor that many tests cover (332 in 27 files for one in nats-firewall.ts)
  // runs them all, which in a mutant run takes up to about twice their dry-run time (fresh process,
  // the checker on the other core): at 1.5 such a survivor was reported as a timeout.
  timeoutFactor: 3,
  timeoutMS: 20_000,
  // Mutants whose code and covering tests are unchanged since the last run keep their result
  // (reports/stryker-incremental.json); `npm run mutation -- --force` tests every mutant again.
  incremental: true,
  reporters: ["clear-text", "progress", "html", "json"],
  tempDirName: ".stryker-tmp",
};
