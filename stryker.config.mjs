// `npm run mutation`: Stryker mutates the code the tests are meant to protect and runs, for each
// mutant, only the unit tests that cover it (per-test coverage). Integration tests take no part:
// a mutant is active only inside the jest worker, so tests that synthesize through a child
// process cannot kill one, and each run of a twin test costs a twin boot. Results and the
// equivalent mutants are recorded in bench/RESULTS.md.
import jestConfig from "./jest.config.js";

const unit = jestConfig.projects.find((project) => project.displayName === "unit");

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: "jest",
  jest: { projectType: "custom", config: { ...unit, testTimeout: jestConfig.testTimeout } },
  coverageAnalysis: "perTest",
  checkers: ["typescript"],
  tsconfigFile: "tsconfig.json",
  mutate: [
    "constructs/**/*.ts",
    "policy/**/*.ts",
    "plan/**/*.ts",
    "verify/**/*.ts",
    // The pure parts of the twin: reading the plan and the user data, and the HAProxy config.
    "twin/plan.ts",
    "twin/cloud-config.ts",
    "twin/haproxy.ts",
  ],
  // A static mutant (a module-level constant) would run every unit test; see bench/RESULTS.md.
  ignoreStatic: true,
  ignorePatterns: ["cdktf.out", "reports", "coverage", "mutation"],
  concurrency: 2,
  timeoutMS: 20_000,
  // Mutants whose code and covering tests are unchanged since the last run keep their result
  // (reports/stryker-incremental.json); `npm run mutation -- --force` tests every mutant again.
  incremental: true,
  reporters: ["clear-text", "progress", "html", "json"],
  tempDirName: ".stryker-tmp",
};
