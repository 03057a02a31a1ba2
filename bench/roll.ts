import { rmSync } from "node:fs";
import { DeathWindow, measureDeathWindow } from "../roll/death-window";
import { p99 } from "../roll/traffic";
import { LEGACY_NATS_VERSION, TwinRollReport, rollTwin, synthesizeRollPlans } from "../roll/twin-roll";
import { bootTwin } from "../twin/twin";
import { Figure, median, ms, ratio } from "./figure";

/** The roll's twin runs on its own addresses, its health check ×0.2 (the lame duck keeps its real 10 s grace). */
export const ROLL_ADDRESS_BASE = "127.0.21.10";
export const ROLL_TIME_SCALE = 0.2;
const DEATH_WINDOW_ADDRESS_BASE = "127.0.22.10";
/** Goal: new connections through the load balancer fail for at most 10 s after a node dies. */
const DEATH_WINDOW_GOAL_MS = 10_000;

/**
 * One rolling upgrade of the default stack from 2.10 to the pin under request/reply and pub/sub
 * load (roll/twin-roll.ts), and the death window at time scale 1 (one node killed).
 */
export async function rollFigures(): Promise<Figure[]> {
  const plans = synthesizeRollPlans("nats", LEGACY_NATS_VERSION, undefined);
  let report: TwinRollReport;
  try {
    report = await rollTwin({ ...plans, timeScale: ROLL_TIME_SCALE, addressBase: ROLL_ADDRESS_BASE, log: () => undefined, resumeHint: "npm run bench" });
  } finally {
    rmSync(plans.dir, { recursive: true, force: true });
  }
  const twin = await bootTwin({ stack: "nats", addressBase: DEATH_WINDOW_ADDRESS_BASE, timeScale: 1 });
  let death: DeathWindow;
  try {
    death = await measureDeathWindow(twin, 2);
  } finally {
    await twin.stop();
  }
  const { during, atRest } = report;
  const versions = report.versions.join(" → ");
  return [
    {
      name: `roll time per node (twin, ${versions}, health check ×${ROLL_TIME_SCALE})`,
      result: `${ms(median(report.durationsMs))} median of ${report.durationsMs.length} nodes (${report.durationsMs.map(ms).join(", ")})`,
      goal: "-",
    },
    {
      name: "failed requests during the roll",
      result: `${during.failed} of ${during.requests} without a retry, ${during.failedAfterRetry} after one retry; longest gap ${ms(during.longestGapMs)}`,
      goal: "0 after one retry",
      pass: during.failedAfterRetry === 0,
    },
    { name: "request p99 during the roll ÷ at rest", result: `${ratio(p99(during), p99(atRest))} (${ms(p99(during))} / ${ms(p99(atRest))})`, goal: "-" },
    {
      name: "death window ÷ goal (time scale 1)",
      result: `${ratio(death.windowMs, DEATH_WINDOW_GOAL_MS)} (${ms(death.windowMs)} / ${ms(DEATH_WINDOW_GOAL_MS)}; ${death.failures} of ${death.attempts} new connections failed)`,
      goal: "≤ 1.00",
      pass: death.windowMs <= DEATH_WINDOW_GOAL_MS,
    },
  ];
}
