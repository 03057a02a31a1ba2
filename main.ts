import { App, TerraformStack } from "cdktf";
import { buildStacks, problemReport } from "./constructs/nats-app";
import { removeOtherFormat } from "./constructs/stack-files";
import { createStateDirectories } from "./constructs/state-backend";

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
}
