import { writeFileSync } from "node:fs";
import { App, TerraformStack } from "cdktf";
import { buildStacks, contextJsonProblem, problemReport, settingsUsed, warningReport } from "./constructs/nats-app";
import { removeOtherFormat } from "./constructs/stack-files";
import { createStateDirectories } from "./constructs/state-backend";
import { SettingsRecord, settingsRecordFile } from "./plan/settings-record";

// cdktf's App parses CDKTF_CONTEXT_JSON itself and would end in a stack trace: check it first.
const contextProblem = contextJsonProblem(process.env);
if (contextProblem !== undefined) {
  process.stderr.write(`configuration problem; nothing was synthesized: ${contextProblem}\n`);
  process.exitCode = 1;
} else {
  const app = new App();
  const problems = buildStacks(app, process.env);
  if (problems.length > 0) {
    // One block naming every problem, no stack trace: it is the configuration that is wrong.
    process.stderr.write(problemReport(problems));
    process.exitCode = 1;
  } else {
    app.synth();
    removeOtherFormat(app);
    createStateDirectories(app.node.children.filter(TerraformStack.isStack));
    // What each plan was made from, for plan:summary, which reviews a plan without the app.
    for (const [stack, record] of Object.entries(settingsUsed(app, process.env))) {
      writeFileSync(settingsRecordFile(app.outdir, stack), `${JSON.stringify(record satisfies SettingsRecord, null, 2)}\n`);
    }
    // Warnings do not stop the synthesis, but a user running this file never sees manifest.json.
    // The cdktf CLI prints them from there itself, and sets this variable for every app it runs
    // (@cdktf/cli-core's synth-stack), where it would log the app's stderr as an error.
    if (process.env.CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS === undefined) process.stderr.write(warningReport(app));
  }
}
