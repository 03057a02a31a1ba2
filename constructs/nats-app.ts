import { AnnotationMetadataEntryType, App, CONTEXT_ENV } from "cdktf";
import { printable } from "../helpers/terminal";
import { NatsStack, NatsStackProps } from "./nats-stack";
import { closest, suggestion } from "../helpers/suggestion";
import { envPrefix } from "../facts/env-prefix";
import { SettingName, SETTINGS, SettingsRead, readStackSettings, shortName } from "./stack-config";
import { NatsStateBucketStack, STATE_BUCKET_STACK } from "./state-bucket-stack";
import { DEFAULT_STACK, TUTORIAL_STACK } from "./stacks";
import { ValidationError } from "../facts/validation";

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
  problems.push(...unknownStackContexts(app.node.getAllContext() as Record<string, unknown>, names));
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
 * What each stack of `stacks` is built with in `app`, for the record main.ts writes beside each
 * plan: every setting set by context or the environment, named as the user set it, and every
 * variable a setting of the stack is read from, with its value (null when unset). SETTINGS holds no
 * secret: tokens and keys reach Terraform by its own variables.
 */
export function settingsUsed(
  app: App,
  env: NodeJS.ProcessEnv,
  stacks: Readonly<Record<string, NatsStackProps>> = APP_STACKS,
): Record<string, { settings: { setting: string; source: string; value: unknown }[]; variables: Record<string, string | null> }> {
  const names = Object.keys(stacks);
  return Object.fromEntries(
    names.map((name) => {
      const read = readStackSettings(name, app.node.tryGetContext(name), env, names);
      const variables = Object.values(SETTINGS).map(({ env: suffix }) => envPrefix(name) + suffix);
      return [
        name,
        {
          settings: Object.entries(read.sources).map(([setting, source]) => ({ setting, source, value: read.settings[setting as SettingName] })),
          variables: Object.fromEntries(variables.map((variable) => [variable, env[variable] ?? null])),
        },
      ];
    }),
  );
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
    named = named.replace(new RegExp(`${anywhere}${prop}(?=[\\[ :.),]|$)`, "g"), source);
  }
  return named;
}

/**
 * Context keys the app passes on without reading: cdktf's own (`cdktfVersion`, the CLI's
 * `cdktfRelativeModules`, `@cdktf/…` flags such as `@cdktf/disable_stack_trace_in_metadata`).
 */
const CDKTF_CONTEXT = /^(?:cdktf[A-Z]|@cdktf\/)/;

/**
 * A problem for every context key that looks like the settings of a stack that does not
 * exist (`"nats-tutorail": { … }` in cdktf.json): an object, which is what the app reads for a
 * stack, or a key close to a stack name. Other keys are left alone: cdktf and libraries keep
 * their flags in context as strings, booleans or lists.
 */
export function unknownStackContexts(context: Readonly<Record<string, unknown>>, stacks: readonly string[]): AppProblem[] {
  return Object.entries(context)
    .filter(([key]) => !stacks.includes(key) && !CDKTF_CONTEXT.test(key))
    .filter(([key, value]) => (typeof value === "object" && value !== null && !Array.isArray(value)) || closest(key, stacks) !== undefined)
    .map(([key]) => ({
      stack: "app",
      message: `context ${shortName(key)} is not a stack, so its settings would be ignored: ${suggestion(key, stacks)}`,
    }));
}

/**
 * The problem with CDKTF_CONTEXT_JSON (cdktf.json's context, as `cdktf synth` passes it), if
 * any: cdktf's App reads it with a bare JSON.parse, so it must be checked before the App exists.
 */
export function contextJsonProblem(env: NodeJS.ProcessEnv): string | undefined {
  const text = env[CONTEXT_ENV];
  if (text === undefined || text === "") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const reason = printable((error as Error).message);
    return `${CONTEXT_ENV} is not valid JSON (${reason.length <= MAX_VALUE_CHARS ? reason : `${reason.slice(0, MAX_VALUE_CHARS - 1)}…`}): fix the context in cdktf.json or the variable`;
  }
  if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) return undefined;
  return `${CONTEXT_ENV} is JSON but not an object of context keys such as { "nats": { "nodeCount": 5 } }`;
}

/** Each kind of name two stacks (or two resources of one) must not share, how to read it, and the settings that make it. */
const NAME_KINDS: readonly { kind: string; of: (stack: NatsStack) => readonly string[]; settings: readonly SettingName[] }[] = [
  { kind: "tag", of: (s) => s.cluster.names.tags, settings: ["tag"] },
  { kind: "droplet name", of: (s) => s.cluster.names.droplets, settings: ["namePrefix"] },
  { kind: "load balancer name", of: (s) => s.cluster.names.loadBalancers, settings: ["loadBalancerName", "tag"] },
  { kind: "firewall name", of: (s) => (s.cluster.names.firewall === undefined ? [] : [s.cluster.names.firewall]), settings: ["tag"] },
  { kind: "volume name", of: (s) => s.cluster.names.volumes, settings: ["namePrefix"] },
];

/**
 * A problem for every tag or resource name that two stacks share, or that two resources of one
 * stack share (a load balancer named like the seed load balancer): in one account each would
 * act on the other's resources. Names are compared ignoring case, as DigitalOcean compares tags.
 * It is reported on the stack whose setting made the name (naming that setting), else on the
 * later stack with the settings that would fix it.
 */
export function sharedNames(stacks: readonly NatsStack[], sources: ReadonlyMap<string, SettingsRead["sources"]> = new Map()): AppProblem[] {
  const problems: AppProblem[] = [];
  for (const { kind, of, settings } of NAME_KINDS) {
    const setBy = (s: NatsStack) => settings.map((setting) => sources.get(s.node.id)?.[setting]).find((source) => source !== undefined);
    const fix = (s: NatsStack) => {
      const source = setBy(s);
      return source !== undefined
        ? `it comes from ${source}: choose another`
        : `give it its own with ${settings.map((setting) => envPrefix(s.node.id) + SETTINGS[setting].env).join(" or ")}`;
    };
    const owner = new Map<string, NatsStack>();
    for (const stack of new Set(stacks)) {
      for (const name of of(stack)) {
        const other = owner.get(name.toLowerCase());
        if (other === undefined) {
          owner.set(name.toLowerCase(), stack);
        } else if (other === stack) {
          problems.push({ stack: stack.node.id, message: `${kind} ${JSON.stringify(name)} is given to two resources of stack ${stack.node.id}: ${fix(stack)}` });
        } else {
          const culprit = [other, stack].find((s) => setBy(s) !== undefined) ?? stack;
          problems.push({
            stack: culprit.node.id,
            message: `${kind} ${JSON.stringify(name)} is used by stacks ${other.node.id} and ${stack.node.id}, which would act on each other's resources in one account: ${fix(culprit)}`,
          });
        }
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

/**
 * The block an app prints after a synthesis that has warnings (policy rules at warning level,
 * such as NATS-004 and NATS-007): every warning of every stack, one a line, as problemReport
 * prints problems. Empty without warnings. cdktf writes them only to manifest.json, which a
 * user running the app itself never reads.
 */
export function warningReport(app: App): string {
  const warnings = app.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === AnnotationMetadataEntryType.WARN)
      .map((entry) => `- ${construct.node.scopes[1]?.node.id ?? "app"}: ${shortValues(String(entry.data))}`),
  );
  if (warnings.length === 0) return "";
  return `synthesized with ${warnings.length === 1 ? "1 warning" : `${warnings.length} warnings`}:\n${warnings.join("\n")}\n`;
}

function shortValues(message: string): string {
  const escaped = message.replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, (c) => `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`);
  return escaped.replace(/"(?:[^"\\]|\\.)*"/g, (quoted) => {
    if (quoted.length <= MAX_VALUE_CHARS + 2) return quoted;
    return `${quoted.slice(0, MAX_VALUE_CHARS - 1)}…" (${quoted.length - 2} characters)`;
  });
}
