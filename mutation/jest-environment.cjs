// jest's node environment, which once a test has failed in a mutant's run skips the tests after it
// (jest-runner.cjs explains why). Outside a mutant run it is jest's node environment unchanged.
const { TestEnvironment } = require("jest-environment-node");
const run = require("./run-state.cjs");

class StopAtFirstFailure extends TestEnvironment {
  async handleTestEvent(event) {
    if (!run.mutant) return;
    if (event.name === "test_fn_failure" || event.name === "hook_failure") run.failed = true;
    // jest-circus dispatches test_start before it decides whether to skip the test. A test that
    // already has an error (a failed beforeAll gives one to every test under it) is not skipped:
    // jest reports it failed, which kills the mutant; skipped, it would pass as pending.
    else if (event.name === "test_start" && run.failed && event.test.errors.length === 0) event.test.mode = "skip";
  }
}

module.exports = StopAtFirstFailure;
