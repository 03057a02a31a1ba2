// The state of one jest run inside Stryker's test-runner process, shared by jest-runner.cjs and
// jest-environment.cjs. jest runs in band there and loads both with Node's own require, so they
// see this one object.
module.exports = {
  /** A mutant is active: stop at the first failing test. */
  mutant: false,
  /** A test failed in this run. */
  failed: false,
};
