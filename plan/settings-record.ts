import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The file the app writes next to each stack's cdk.tf.json: the settings the plan was made with. */
export const SETTINGS_RECORD = "nats-settings.json";

/** One setting a plan was made with. */
export interface RecordedSetting {
  /** The prop it sets: `nodeCount`. */
  readonly setting: string;
  /** Where it came from, as the user wrote it: `NATS_NODE_COUNT` or `context nats.nodeCount`. */
  readonly source: string;
  readonly value: unknown;
}

/** What {@link SETTINGS_RECORD} holds: every setting that was set (the others are the stack's defaults). */
export interface SettingsRecord {
  readonly settings: readonly RecordedSetting[];
  /** Every environment variable a setting of the stack is read from, with its value at synthesis (null: unset). */
  readonly variables: Readonly<Record<string, string | null>>;
}

/**
 * The setting variables `env` sets to another value than the plan was made with:
 * `NATS_NODE_COUNT is "7" here, "5" in the plan`. A variable unset here is no difference: a plain
 * run reviews the plan as it was made, and the review names its settings.
 */
export function differingVariables(record: SettingsRecord, env: NodeJS.ProcessEnv): string[] {
  return Object.entries(record.variables)
    .filter(([name, value]) => env[name] !== undefined && env[name] !== value)
    .map(([name, value]) => `${name} is ${JSON.stringify(env[name])} here, ${value === null ? "unset" : JSON.stringify(value)} in the plan`);
}

/** Path of a stack's {@link SETTINGS_RECORD} inside a cdktf output directory. */
export function settingsRecordFile(outdir: string, stack: string): string {
  return join(outdir, "stacks", stack, SETTINGS_RECORD);
}

/** A stack's settings record, or undefined when the plan has none (made before records were written). */
export function readSettingsRecord(outdir: string, stack: string): SettingsRecord | undefined {
  const file = settingsRecordFile(outdir, stack);
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as SettingsRecord) : undefined;
}
