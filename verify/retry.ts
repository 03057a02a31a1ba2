/** Resolves after `ms` milliseconds; the timer is gone once it resolves. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A point in time after which retrying stops. */
export class Deadline {
  private readonly at: number;

  /** Starts a budget of `seconds` from now. */
  constructor(seconds: number) {
    this.at = Date.now() + seconds * 1000;
  }

  /** Milliseconds left, never negative. */
  remainingMs(): number {
    return Math.max(0, this.at - Date.now());
  }

  /** Timeout for one network step: what is left, kept between `minMs` and `maxMs`. */
  stepMs(minMs = 1000, maxMs = 5000): number {
    return Math.min(maxMs, Math.max(minMs, this.remainingMs()));
  }
}
