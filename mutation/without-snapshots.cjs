// With MUTATION_SNAPSHOTS=off, `npm run mutation` loads this after jest's environment: every
// snapshot assertion passes, so a mutant is killed only by a targeted assertion. A mutant that this
// run lets survive and the normal run kills was caught by a snapshot alone (bench/RESULTS.md).
const pass = () => ({ pass: true, message: () => "snapshots are off for this mutation run" });
expect.extend({ toMatchSnapshot: pass, toMatchInlineSnapshot: pass });
