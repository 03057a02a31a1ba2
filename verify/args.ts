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
