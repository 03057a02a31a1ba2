// jest's node environment with two additions for `npm run mutation`; outside Stryker it is not used.
//
// 1. In the dry run (per-test coverage), the code a test file runs outside any test counts as
//    covered by every test of that file (file-load coverage, below).
// 2. In a mutant's run, once a test has failed, the tests after it are skipped (jest-runner.cjs
//    explains why).
//
// Stryker wraps this class in its own environment (mixin-jest-environment.cjs of
// @stryker-mutator/jest-runner), which sets `__stryker__.currentTestId` to a test's full name on
// test_start and clears it on test_done. Instrumented code records each mutant it reaches under
// that id, or under `static` when there is none. "Static" then means "reached outside a test", which
// here is mostly not a module's constant: a test file that synthesizes a stack in a `describe` body
// or a `beforeAll` reaches every mutant of the synthesis outside its tests. With `ignoreStatic`,
// Stryker runs for such a mutant only the tests that reached it again while running, so the
// assertions of that file on that stack never saw the mutant and it "survived" (or was ignored).
//
// jest loads every test file in a module registry of its own and evaluates the file, the modules it
// imports, its describe bodies and its beforeAll hooks again on each run, so in a mutant's run the
// mutant is active in all of them and every test of the file sees what it changed. That is what the
// file-load coverage records: what the file runs outside a test goes to every test of the file that
// ran (and still to `static`, so the report marks the mutant static as before and Stryker plans it
// as a "hybrid": run its covering tests). A module-level constant is covered the same way, by every
// test of every file that imports the module: that is true under jest (the constant is evaluated
// again for each file), and it is the price in time, since such a mutant that survives runs all of
// those files (see jest-runner.cjs and bench/RESULTS.md).
const { TestEnvironment } = require("jest-environment-node");
const run = require("./run-state.cjs");
// The state Stryker's jest plugin shares with its environment (the same module instance: Stryker and
// this file resolve it from mutation/node_modules). Its package exports do not include it.
const { state: stryker } = require("./node_modules/@stryker-mutator/jest-runner/dist/src/jest-plugins/messaging.cjs");

/** A describe block's name as Stryker's environment computes it (the root block has none). */
function describeName(block) {
  return block.parent ? `${describeName(block.parent)} ${block.name}`.trimStart() : "";
}

/** A test's id as Stryker's environment computes it (its fullName). */
function fullName(test) {
  return `${describeName(test.parent)} ${test.name}`.trimStart();
}

/**
 * Records what one test file reaches outside its tests and gives it, when the file is torn down, to
 * each of its tests that ran.
 */
class FileLoadCoverage {
  /** Where the instrumented code records what it reaches outside a test (no test name can equal it). */
  #outside = Symbol("outside any test");
  #context;
  /** The full names of the file's tests that ran (test_done); a skipped test never runs the mutant. */
  #ran = new Set();

  constructor(context) {
    this.#context = context;
    let testId = context.currentTestId;
    const outside = this.#outside;
    // The instrumented code reads currentTestId at every hit; between tests it now reads #outside.
    Object.defineProperty(context, "currentTestId", {
      configurable: true,
      enumerable: true,
      get: () => testId ?? outside,
      set: (value) => {
        testId = value;
      },
    });
  }

  onEvent(event) {
    if (event.name === "test_done") this.#ran.add(fullName(event.test));
    // Stryker's environment names the test on test_start and clears the name on test_done only: a
    // skipped test (test_start, test_skip) or a todo would otherwise keep it until the next test.
    else if (event.name === "test_skip" || event.name === "test_todo") this.#context.currentTestId = undefined;
  }

  /** Gives the coverage recorded outside the tests to each test that ran, and keeps it as static. */
  finish() {
    const context = this.#context;
    delete context.currentTestId;
    context.currentTestId = undefined;
    const coverage = context.mutantCoverage;
    const outside = coverage?.perTest[this.#outside];
    if (outside === undefined) return;
    delete coverage.perTest[this.#outside];
    for (const [mutant, hits] of Object.entries(outside)) {
      coverage.static[mutant] = (coverage.static[mutant] ?? 0) + hits;
      // One hit for each test: Stryker only asks whether a test reached a mutant, and sums the hits
      // (static and per test) for the mutant's hit limit, which this raises by the number of tests.
      for (const name of this.#ran) {
        const reached = (coverage.perTest[name] ??= {});
        reached[mutant] = (reached[mutant] ?? 0) + 1;
      }
    }
  }
}

class MutationEnvironment extends TestEnvironment {
  #fileLoad;

  async setup() {
    await super.setup();
    // Stryker's environment has set the shared context on this global by now (in its constructor).
    if (stryker.coverageAnalysis === "perTest") {
      this.#fileLoad = new FileLoadCoverage(this.global[this.global.__strykerGlobalNamespace__ ?? "__stryker__"]);
    }
  }

  async handleTestEvent(event) {
    this.#fileLoad?.onEvent(event);
    if (!run.mutant) return;
    if (event.name === "test_fn_failure" || event.name === "hook_failure") run.failed = true;
    // jest-circus dispatches test_start before it decides whether to skip the test. A test that
    // already has an error (a failed beforeAll gives one to every test under it) is not skipped:
    // jest reports it failed, which kills the mutant; skipped, it would pass as pending.
    else if (event.name === "test_start" && run.failed && event.test.errors.length === 0) event.test.mode = "skip";
  }

  async teardown() {
    try {
      this.#fileLoad?.finish();
    } finally {
      this.#fileLoad = undefined;
      await super.teardown();
    }
  }
}

module.exports = MutationEnvironment;
