/**
 * journald's per-unit rate limit, as systemd implements it (src/journal/journald-rate-limit.c).
 * A unit's LogRateLimitIntervalSec= and LogRateLimitBurst= exist from systemd 240; droplets run
 * 255, the VM twin 257, where vm/droplet.test.ts shows this rule at work. A unit's window opens
 * with its first line; at most the burst of its lines within the interval are stored, the rest
 * are dropped, and the first line after the window has ended is preceded by journald's
 * "Suppressed N messages from <unit>". Lines of one priority share a window; nats-server writes
 * every line to stdout at the unit's default priority (info), so all of its lines share one.
 * twin-seed-noise.test.ts models the rule with the plan's values.
 */
import { unitSections } from "../twin/cloud-config";

/** The unit's LogRateLimitIntervalSec= in seconds and LogRateLimitBurst=, from its text. */
export interface JournalRateLimit {
  readonly intervalSeconds: number;
  readonly burst: number;
}

/** Reads LogRateLimitIntervalSec= and LogRateLimitBurst= from a unit's [Service] section; fails when either is missing. */
export function journalRateLimitOf(unit: string): JournalRateLimit {
  const service = unitSections(unit, "the unit").get("Service");
  const value = (key: string): string => {
    const found = service?.get(key);
    if (found === undefined || found === "") throw new Error(`the unit has no ${key}= in [Service]`);
    return found;
  };
  const burst = Number(value("LogRateLimitBurst"));
  if (!Number.isInteger(burst) || burst < 0) throw new Error(`LogRateLimitBurst=${value("LogRateLimitBurst")} is not a whole number`);
  return { intervalSeconds: timeSpanSeconds(value("LogRateLimitIntervalSec")), burst };
}

/** Seconds per unit of a systemd time span (systemd.time(7)); a bare number is seconds. */
const SPAN_UNITS: Readonly<Record<string, number>> = {
  "": 1, s: 1, sec: 1, second: 1, seconds: 1,
  ms: 1e-3, msec: 1e-3, us: 1e-6, usec: 1e-6,
  m: 60, min: 60, minute: 60, minutes: 60,
  h: 3600, hr: 3600, hour: 3600, hours: 3600,
  d: 86_400, day: 86_400, days: 86_400,
};

/** A systemd time span such as `15min`, `90`, `1h 30min` in seconds. */
export function timeSpanSeconds(span: string): number {
  const parts = [...span.matchAll(/\s*(\d+(?:\.\d+)?)\s*([a-z]*)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join("").trim() !== span.trim()) throw new Error(`time span ${JSON.stringify(span)} is not of systemd's form, e.g. 15min`);
  return parts.reduce((sum, [, number, unit]) => {
    const seconds = SPAN_UNITS[unit];
    if (seconds === undefined) throw new Error(`time span ${JSON.stringify(span)} has unit ${JSON.stringify(unit)}, not one of ${Object.keys(SPAN_UNITS).filter((name) => name !== "").join(", ")}`);
    return sum + Number(number) * seconds;
  }, 0);
}

/**
 * The burst journald applies: the configured one scaled by the journal's free room (bytes it may
 * still use before its cap, SystemMaxUse: by default 10% of the file system, at most 4 GiB), as
 * journald's burst_modulate does: ×1 up to 2 MiB free, then ×(log2(free) − 16)/4, rounded down,
 * e.g. ×2.75 from 128 MiB, ×3.75 from 2 GiB (the most a droplet's default cap allows).
 */
export function modulatedBurst(burst: number, availableBytes: number): number {
  const k = availableBytes <= 0 ? 0 : Math.floor(Math.log2(availableBytes));
  return k <= 20 ? burst : Math.floor((burst * (k - 16)) / 4);
}

/** journald's factor for the largest free room a droplet's journal has by default (its cap is at most 4 GiB). */
export const DROPLET_MAX_AVAILABLE_BYTES = 4 * 1024 ** 3 - 1;

/**
 * Lines a unit that logs `linesPerSecond` without pause gets into the journal per minute under
 * `limit` with `burst` already scaled: the burst each window, plus journald's own "Suppressed"
 * line when something was dropped.
 */
export function keptPerMinute(linesPerSecond: number, limit: JournalRateLimit, burst: number): number {
  const produced = linesPerSecond * limit.intervalSeconds;
  const kept = produced <= burst ? produced : burst + 1;
  return (kept * 60) / limit.intervalSeconds;
}
