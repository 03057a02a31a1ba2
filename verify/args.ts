import { parseArgs, type ParseArgsConfig } from "node:util";
import { readTextBounded } from "../helpers/bounded-read";
import { printable } from "../helpers/terminal";
import { describeFailure } from "./authorization";

/** A bad argument or environment variable: the CLI prints the message and exits 2. */
export class UsageError extends Error {
  /** Exit status for bad arguments. */
  static readonly EXIT_CODE = 2;

  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Parses a whole decimal integer from `min` to `max`, or throws naming `name` and the range. */
export function integerArg(name: string, raw: string, min: number, max: number): number {
  const value = /^[0-9]+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`${name} ${JSON.stringify(raw)} is not an integer from ${min} to ${max}`);
  }
  return value;
}

/**
 * The text of the file an option names, read up to `maxBytes`; a {@link UsageError} naming the
 * option when it cannot be read or is larger (an endless file such as /dev/zero included).
 */
export function readOptionFile(option: string, file: string, maxBytes: number): string {
  try {
    return readTextBounded(file, maxBytes, option);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(code === undefined ? (error as Error).message : `${option} ${JSON.stringify(file)} cannot be read: ${code}`);
  }
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** The help option every CLI has (its line is added by {@link usageText}). */
export const HELP_OPTION = { help: { type: "boolean", short: "h" } } as const;

/**
 * The one usage style of every CLI: the synopsis, a blank line, one aligned line per option
 * (a description may span lines) ending with -h/--help, then any notes after a blank line.
 */
export function usageText(synopsis: string, options: ReadonlyArray<readonly [string, string]>, notes: readonly string[] = []): string {
  const rows = [...options, ["-h, --help", "print this help and exit"] as const];
  const width = Math.max(...rows.map(([flag]) => flag.length)) + 2;
  const lines = rows.flatMap(([flag, description]) =>
    description.split("\n").map((text, i) => `  ${(i === 0 ? flag : "").padEnd(width)}${text}`),
  );
  return [`usage: ${synopsis}`, "", ...lines, ...(notes.length > 0 ? ["", ...notes] : [])].join("\n");
}

/**
 * Parses a CLI's options (no positional arguments) with node:util's parseArgs; throws a
 * {@link UsageError} whose message names the bad argument and the allowed options.
 */
export function parseCli<T extends Options>(argv: readonly string[], options: T): ReturnType<typeof parseArgs<{ options: T; strict: true; allowPositionals: false }>>["values"] {
  let parsed: ReturnType<typeof parseArgs<{ options: T; strict: true; allowPositionals: false; tokens: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false, tokens: true });
  } catch (error) {
    throw new UsageError(explainParseError(error, Object.keys(options)));
  }
  refuseRepeats(parsed.tokens, options);
  return parsed.values;
}

/**
 * An option not declared `multiple` that is given more than once is refused: parseArgs would
 * keep the last value silently (a second `--tag` would win).
 */
function refuseRepeats(tokens: readonly { kind: string; name?: string; value?: string }[], options: Options): void {
  const given = new Map<string, (string | undefined)[]>();
  for (const token of tokens) {
    if (token.kind !== "option" || token.name === undefined || options[token.name]?.multiple === true) continue;
    given.set(token.name, [...(given.get(token.name) ?? []), token.value]);
  }
  for (const [name, values] of given) {
    if (values.length < 2) continue;
    const shown = values.every((value) => value === undefined) ? "" : ` (${values.map((value) => JSON.stringify(value ?? "")).join(", ")})`;
    throw new UsageError(`--${name} is given ${values.length} times${shown}: give it once`);
  }
}

/** Turns node:util parseArgs errors into lowercase messages that name the allowed options. */
function explainParseError(error: unknown, names: readonly string[]): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code;
  const quoted = /'([^']*)'/.exec(message)?.[1] ?? "";
  const allowed = `allowed are ${names.map((o) => `--${o}`).join(", ")}`;
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return `unknown option "${quoted}": ${allowed}`;
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") return `unexpected argument "${quoted}": every value follows an option`;
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    const option = quoted.split(" ")[0];
    // The same code covers a switch given a value ("--jetstream=yes") and an option without one.
    if (message.endsWith("does not take an argument")) return `${option} is a switch and takes no value: write ${option} alone`;
    return `${option} needs a value (write ${option}=<value> for one that starts with "-")`;
  }
  return message.toLowerCase();
}

/**
 * Runs a CLI's main and sets the exit status it returns. A {@link UsageError} prints
 * `name: message`, a blank line and `usage`, and exits 2; any other failure prints
 * `name: message` (with a hint for an authorization error; control characters, which an
 * error from the network can carry, escaped line by line) and exits 1. Resolves with the exit
 * status.
 */
export async function runCli(name: string, usage: string, main: () => Promise<number>): Promise<number> {
  let code: number;
  try {
    code = await main();
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${name}: ${error.message}\n\n${usage}`);
      code = UsageError.EXIT_CODE;
    } else {
      console.error(`${name}: ${printableLines(describeFailure(error))}`);
      code = 1;
    }
  }
  process.exitCode = code;
  return code;
}

/** {@link printable} on each line of `text`, keeping its line breaks. */
function printableLines(text: string): string {
  return text.split("\n").map(printable).join("\n");
}
