import { App } from "cdktf";
import { NatsStack, NatsStackProps } from "./nats-stack";
import { SettingName, SETTINGS, SettingsRead, envPrefix, readStackSettings } from "./stack-config";
import { NatsStateBucketStack, STATE_BUCKET_STACK } from "./state-bucket-stack";
import { DEFAULT_STACK, TUTORIAL_STACK } from "./stacks";
import { ValidationError } from "./validation";

/** The stacks main.ts synthesizes, by id, with their props before settings. */
export const APP_STACKS: Readonly<Record<string, NatsStackProps>> = {
  nats: DEFAULT_STACK,
  "nats-tutorial": TUTORIAL_STACK,
};

/** One problem of one stack, named as the user wrote it. */
export interface AppProblem {
  readonly stack: string;
  readonly message: string;
}

/**
 * Builds every stack of `stacks` in `app` from its props, its cdktf context and the
 * environment, and collects every problem on the way: settings, props (named by the
 * variable or context key that set them), names shared between stacks, and the policy
 * rules. Nothing is thrown for a bad configuration; `app` must not be synthesized unless
 * the list is empty. When a stack's settings name a state bucket (`stateBucket` and
 * `stateRegion`), the first such stack also gets {@link STATE_BUCKET_STACK}, which creates it.
 */
export function buildStacks(app: App, env: NodeJS.ProcessEnv, stacks: Readonly<Record<string, NatsStackProps>> = APP_STACKS): AppProblem[] {
  const problems: AppProblem[] = [];
  const built: NatsStack[] = [];
  const sourcesOf = new Map<string, SettingsRead["sources"]>();
  const names = Object.keys(stacks);
  for (const [name, props] of Object.entries(stacks)) {
    const read = readStackSettings(name, app.node.tryGetContext(name), env, names);
    problems.push(...read.problems.map((message) => ({ stack: name, message })));
    sourcesOf.set(name, read.sources);
    try {
      built.push(new NatsStack(app, name, { ...props, ...read.settings }));
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      problems.push(...error.problems.map((message) => ({ stack: name, message: namedBySource(message, read.sources) })));
    }
  }
  problems.push(...sharedNames(built, sourcesOf));
  const bucketOwner = built.find((stack) => stack.stateBucket !== undefined);
  if (bucketOwner?.stateBucket !== undefined) new NatsStateBucketStack(app, STATE_BUCKET_STACK, bucketOwner.stateBucket);
  for (const stack of built) {
    const sources = sourcesOf.get(stack.node.id) ?? {};
    problems.push(...stack.policyErrors().map((message) => ({ stack: stack.node.id, message: namedBySource(message, sources) })));
  }
  // Stable: each stack's problems together, in the order they were found.
  return problems.sort((a, b) => names.indexOf(a.stack) - names.indexOf(b.stack));
}

/**
 * `message` with the props that came from settings named as the user set them:
 * `nodeCount must be …` → `NATS_NODE_COUNT must be …`, `adminCidrs[1]` →
 * `context nats.adminCidrs[1]`. Props are replaced where they start the message, and, when
 * their name cannot be a plain word (camelCase), anywhere in it.
 */
export function namedBySource(message: string, sources: Readonly<Partial<Record<SettingName, string>>>): string {
  let named = message;
  for (const [prop, source] of Object.entries(sources)) {
    const anywhere = /[A-Z]/.test(prop) ? "\\b" : "^";
    named = named.replace(new RegExp(`${anywhere}${prop}(?=[\\[ :.)]|$)`, "g"), source);
  }
  return named;
}

/** Each kind of name two stacks must not share, how to read it, and the settings that make it. */
const NAME_KINDS: readonly { kind: string; of: (stack: NatsStack) => readonly string[]; settings: readonly SettingName[] }[] = [
  { kind: "tag", of: (s) => [s.cluster.names.tag], settings: ["tag"] },
  { kind: "droplet name", of: (s) => s.cluster.names.droplets, settings: ["namePrefix"] },
  { kind: "load balancer name", of: (s) => [s.cluster.names.loadBalancer], settings: ["loadBalancerName", "tag"] },
  { kind: "firewall name", of: (s) => (s.cluster.names.firewall === undefined ? [] : [s.cluster.names.firewall]), settings: ["tag"] },
];

/**
 * A problem for every tag or resource name that two stacks share: in one account each
 * would act on the other's resources. It is reported on the stack whose setting made the
 * name (naming that setting), else on the later stack with the settings that would fix it.
 */
export function sharedNames(stacks: readonly NatsStack[], sources: ReadonlyMap<string, SettingsRead["sources"]> = new Map()): AppProblem[] {
  const problems: AppProblem[] = [];
  for (const { kind, of, settings } of NAME_KINDS) {
    const owner = new Map<string, NatsStack>();
    for (const stack of stacks) {
      for (const name of of(stack)) {
        const other = owner.get(name);
        if (other === undefined) {
          owner.set(name, stack);
          continue;
        }
        if (other === stack) continue;
        const setBy = (s: NatsStack) => settings.map((setting) => sources.get(s.node.id)?.[setting]).find((source) => source !== undefined);
        const culprit = [other, stack].find((s) => setBy(s) !== undefined) ?? stack;
        const fix = setBy(culprit) !== undefined
          ? `it comes from ${setBy(culprit)}: choose another`
          : `give it its own with ${settings.map((setting) => envPrefix(culprit.node.id) + SETTINGS[setting].env).join(" or ")}`;
        problems.push({
          stack: culprit.node.id,
          message: `${kind} ${JSON.stringify(name)} is used by stacks ${other.node.id} and ${stack.node.id}, which would act on each other's resources in one account: ${fix}`,
        });
      }
    }
  }
  return problems;
}

/** Longest value shown in a report; longer quoted values are cut. */
export const MAX_VALUE_CHARS = 80;

/**
 * The one block an app prints for a bad configuration: every problem of every stack, one a
 * line, values cut to {@link MAX_VALUE_CHARS} characters and characters a terminal could
 * act on escaped.
 */
export function problemReport(problems: readonly AppProblem[]): string {
  const lines = problems.map(({ stack, message }) => `- ${stack}: ${shortValues(message)}`);
  const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
  return `configuration has ${count}; nothing was synthesized:\n${lines.join("\n")}\n`;
}

function shortValues(message: string): string {
  const escaped = message.replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, (c) => `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`);
  return escaped.replace(/"(?:[^"\\]|\\.)*"/g, (quoted) => {
    if (quoted.length <= MAX_VALUE_CHARS + 2) return quoted;
    return `${quoted.slice(0, MAX_VALUE_CHARS - 1)}…" (${quoted.length - 2} characters)`;
  });
}
