// jest's in-band test runner, made to do for a mutant what jest's own `bail` and file selection
// would if Stryker could use them. Stryker's jest runner turns `bail` off (jest ends the process on
// it) and asks jest for every test file that imports the mutated file, with a name pattern of the
// tests that cover the mutant. jest then loads each of those files, even one in which no test
// matches, and runs every covering test after the first failure. A mutant in constructs/ is imported
// by about 27 test files: some 13 s a mutant, hours for the scope.
//
// For a mutant run this runner
// - runs only the files that hold a test the pattern matches (the dry run records which tests each
//   file holds; a file it did not see is run),
// - runs first the files that killed recent mutants (neighbouring mutants fall to the same tests),
// - stops at the first failing test (with jest-environment.cjs, which skips the rest of a file).
// None of this changes a verdict: a mutant is killed when one covering test fails, and a file
// without a covering test runs no test. The dry run (no active mutant) runs every file, as jest does.
//
// Which tests cover a mutant comes from the dry run, where jest-environment.cjs adds to Stryker's
// per-test coverage what each test file reaches outside its tests (while the file loads: imports,
// `describe` bodies; and in beforeAll/afterAll hooks): every test of that file that ran covers it.
// This models jest itself: each test file gets a fresh module registry, so in a mutant's run the
// file's imports, describe bodies and hooks run again with the mutant active, and every test of the
// file sees their result. Stryker alone counted that coverage as `static` only, and with
// ignoreStatic ran just the tests that reached the mutant inside a test (a mutant in a stack that a
// file synthesized in its describe body "survived" though the file's assertions fail on it), or
// none (ignored). No verdict can change for the worse: each mutant's covering tests are a superset
// of Stryker's, and a mutant is killed when one of them fails, so a mutant killed before is killed
// still; a mutant formerly ignored or surviving is now run against more tests (a formerly ignored
// one now counts in the score, killed or not: a score can fall by what it had hidden). The cost is time: a
// survivor runs every test of those files, and a module-level constant (reached at import, by every
// file importing the module) runs every file that imports it. Its time limit stays as Stryker
// computes it: the dry run's overhead, which already includes every file's load, is added to each
// mutant's limit.
const fs = require("node:fs");
const path = require("node:path");
const TestRunner = require("jest-runner").default;
const run = require("./run-state.cjs");

/** Set by Stryker in its test-runner process while a mutant is active. */
const ACTIVE_MUTANT = "__STRYKER_ACTIVE_MUTANT__";
/** Written by the dry run, in the sandbox (the jest root), for the other test-runner processes. */
const TESTS_BY_FILE = ".stryker-tests-by-file.json";

/** Files that killed a mutant in this process, the latest first. */
const killers = [];
/** The dry run's record: test file (relative to the root) → the full names of its tests. */
let testsByFile;

function readTestsByFile(rootDir) {
  if (testsByFile === undefined) {
    try {
      testsByFile = new Map(Object.entries(JSON.parse(fs.readFileSync(path.join(rootDir, TESTS_BY_FILE), "utf8"))));
    } catch {
      testsByFile = new Map();
    }
  }
  return testsByFile;
}

/**
 * Each test file once. Stryker adds the mutated files' directories to jest's roots, which already
 * hold them (stryker.config.mjs), and jest then lists every related test file twice: a surviving
 * mutant ran each of its files twice, and the dry run every file (1614 tests for 807).
 */
function oncePerFile(tests) {
  const seen = new Set();
  return tests.filter((test) => !seen.has(test.path) && seen.add(test.path));
}

class MutantTestRunner extends TestRunner {
  async runTests(listed, watcher, options) {
    const tests = oncePerFile(listed);
    run.mutant = process.env[ACTIVE_MUTANT] !== undefined;
    run.failed = false;
    const rootDir = this._globalConfig.rootDir;
    if (!run.mutant) return this.#recordingEveryFile(tests, watcher, options, rootDir);

    const stop = this.on("test-file-success", ([test, result]) => {
      if (result.numFailingTests > 0 || result.testExecError) this.#failedIn(test);
    });
    const stopFailure = this.on("test-file-failure", ([test]) => this.#failedIn(test));
    try {
      for (const test of this.#chosen(tests, rootDir)) {
        if (run.failed) break;
        await super.runTests([test], watcher, options);
      }
    } finally {
      stop();
      stopFailure();
    }
  }

  async #recordingEveryFile(tests, watcher, options, rootDir) {
    const names = {};
    const stop = this.on("test-file-success", ([test, result]) => {
      names[path.relative(rootDir, test.path)] = result.testResults.map((assertion) => assertion.fullName);
    });
    try {
      await super.runTests(tests, watcher, options);
    } finally {
      stop();
    }
    fs.writeFileSync(path.join(rootDir, TESTS_BY_FILE), JSON.stringify(names));
  }

  #failedIn(test) {
    run.failed = true;
    const at = killers.indexOf(test.path);
    if (at >= 0) killers.splice(at, 1);
    killers.unshift(test.path);
  }

  /** The files that hold a covering test, those that killed recent mutants first. */
  #chosen(tests, rootDir) {
    const pattern = this._globalConfig.testNamePattern;
    const known = readTestsByFile(rootDir);
    // jest-circus matches the pattern case-insensitively against each test's full name.
    const covering = pattern ? new RegExp(pattern, "i") : undefined;
    const holdsCovering = (test) => {
      const names = known.get(path.relative(rootDir, test.path));
      return covering === undefined || names === undefined || names.some((name) => covering.test(name));
    };
    const rank = (test) => {
      const at = killers.indexOf(test.path);
      return at < 0 ? killers.length : at;
    };
    return tests.filter(holdsCovering).sort((a, b) => rank(a) - rank(b));
  }
}

module.exports = MutantTestRunner;
