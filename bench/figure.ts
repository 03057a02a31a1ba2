/** One line of the results table. */
export interface Figure {
  readonly name: string;
  readonly result: string;
  readonly goal: string;
  /** undefined for figures reported without a goal. */
  readonly pass?: boolean;
}

/** Runs one measurement; a failure names it (a nats.js error alone says only "timeout"). */
export async function step<T>(name: string, measure: () => Promise<T>): Promise<T> {
  try {
    return await measure();
  } catch (error) {
    throw new Error(`${name}: ${(error as Error).message}`);
  }
}

export async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Nearest-rank percentile. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

export function ratio(a: number, b: number): string {
  return (a / b).toFixed(2);
}

export function ms(value: number): string {
  return `${Math.round(value)} ms`;
}

export function verdict(figure: Figure): string {
  return figure.pass === undefined ? "-" : figure.pass ? "PASS" : "MISS";
}

export function formatLine(figure: Figure): string {
  return `${verdict(figure).padEnd(5)} ${figure.name}: ${figure.result}   [goal ${figure.goal}]`;
}
