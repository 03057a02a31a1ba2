// jest's node environment, which once a test has failed in a mutant's run skips the tests after it
// (jest-runner.cjs explains why). Outside a mutant run it is jest's node environment unchanged.
const { TestEnvironment } = require("jest-environment-node");
const run = require("./run-state.cjs");

class StopAtFirstFailure extends TestEnvironment {
  async handleTestEvent(event) {
    if (!run.mutant) return;
    if (event.name === "test_fn_failure" || event.name === "hook_failure") run.failed = true;
    // jest-circus dispatches test_start before it decides whether to skip the test.
    else if (event.name === "test_start" && run.failed) event.test.mode = "skip";
  }
}

module.exports = StopAtFirstFailure;
