/** Resolves after `ms` milliseconds; the timer is gone once it resolves. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A point in time that ends a run: retrying stops, no network step lasts past it, and its
 * {@link signal} aborts then.
 */
export class Deadline {
  /** Aborts when the budget ends, or when {@link end} is called. */
  public readonly signal: AbortSignal;
  private readonly at: number;
  private readonly ended = new AbortController();
  /**
   * Held for as long as the deadline: AbortSignal.any holds its sources weakly, and once a
   * collected AbortSignal.timeout is gone the combined signal never aborts (Node 20).
   */
  private readonly timeout: AbortSignal;

  /** Starts a budget of `seconds` from now. */
  constructor(public readonly seconds: number) {
    this.at = Date.now() + seconds * 1000;
    // AbortSignal.timeout's timer never keeps the process alive.
    this.timeout = AbortSignal.timeout(seconds * 1000);
    this.signal = AbortSignal.any([this.timeout, this.ended.signal]);
  }

  /** Milliseconds left, never negative. */
  remainingMs(): number {
    return Math.max(0, this.at - Date.now());
  }

  /**
   * Timeout for one network step: what is left, at most `maxMs`, and at least 1 ms (a zero
   * timeout means "the default" to nats.js); never past the deadline.
   */
  stepMs(maxMs = 5000): number {
    return Math.max(1, Math.min(maxMs, this.remainingMs()));
  }

  /** Ends the run before its deadline: the signal aborts. */
  end(): void {
    this.ended.abort(new Error("the run is over"));
  }
}
