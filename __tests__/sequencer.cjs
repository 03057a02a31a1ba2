// The order in which `npm test` starts its files (jest.config.js's testSequencer).
//
// jest's own order: files that failed last time, then the longest by the durations it recorded,
// files it has no duration for running first and, among those, the largest file first. On a fresh
// clone (CI) no duration is recorded yet, so a small integration file that runs for a minute and a
// half could start last and set the end of the run alone. Here, among files without a recorded
// duration, the integration project's (the ones that start processes and wait on their timers) go
// before the unit project's; everything else is jest's order.
const Sequencer = require("@jest/test-sequencer").default;

class IntegrationFirst extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    const isIntegration = (test) => test.context.config.displayName?.name === "integration";
    const unknown = (test) => test.duration == null && !this.hasFailed(test);
    // super.sort puts the files without a duration (and not failed) together, after the failed ones.
    const first = sorted.findIndex(unknown);
    if (first === -1) return sorted;
    const rest = sorted.slice(first).filter((test) => !unknown(test));
    const fresh = sorted.filter(unknown);
    return [...sorted.slice(0, first), ...fresh.filter(isIntegration), ...fresh.filter((test) => !isIntegration(test)), ...rest];
  }
}

module.exports = IntegrationFirst;
