import { App } from "cdktf";
import { NatsStack } from "./constructs/nats-stack";
import { removeOtherFormat } from "./constructs/stack-files";
import { readStackSettings } from "./constructs/stack-config";
import { DEFAULT_STACK, TUTORIAL_STACK } from "./constructs/stacks";

const app = new App();
for (const [name, defaults] of [
  ["nats", DEFAULT_STACK],
  ["nats-tutorial", TUTORIAL_STACK],
] as const) {
  const settings = readStackSettings(name, app.node.tryGetContext(name), process.env);
  new NatsStack(app, name, { ...defaults, ...settings });
}
app.synth();
removeOtherFormat(app);
