import { readFileSync } from "node:fs";
import { join } from "node:path";
import { MAX_REQUEST_TIMEOUT_MS, PUBSUB_LOSS_WINDOW_MS, TrafficWindow, lostStreamMs, startTraffic } from "../roll/traffic";
import { summaryLine } from "../roll/twin-roll";

// The roll's verdict over what its traffic saw: the pure parts (no process, no connection).

/** Messages 1…8 published 20 ms apart from t = 1000. */
const PUBLISHED_AT = [Number.NaN, 1000, 1020, 1040, 1060, 1080, 1100, 1120, 1140];

describe("lostStreamMs", () => {
  test("is 0 when every message arrived, and for an empty range", () => {
    const all = new Set(["1", "2", "3", "4", "5", "6", "7", "8"]);
    expect(lostStreamMs(PUBLISHED_AT, 1, 8, all, 2000)).toBe(0);
    expect(lostStreamMs(PUBLISHED_AT, 5, 4, new Set(), 2000)).toBe(0);
  });

  test("counts each run of lost messages until the publication of the next one received", () => {
    // 2 lost (20 ms), 4 and 5 lost (40 ms).
    expect(lostStreamMs(PUBLISHED_AT, 1, 8, new Set(["1", "3", "6", "7", "8"]), 2000)).toBe(60);
  });

  test("a run still lost at the end lasts until the end of the window", () => {
    expect(lostStreamMs(PUBLISHED_AT, 1, 8, new Set(["1", "2", "3", "4", "5", "6"]), 1150)).toBe(30);
  });

  test("looks only at the window's messages", () => {
    expect(lostStreamMs(PUBLISHED_AT, 3, 5, new Set(["4"]), 2000)).toBe(20 + 2000 - 1080);
  });
});

function during(fields: Partial<TrafficWindow>): TrafficWindow {
  return { requests: 3000, failed: 2, failedAfterRetry: 0, latenciesMs: [1], longestGapMs: 2273, errors: [], published: 3625, received: 3623, lostMs: 41, ...fields };
}

const REPLACED = ["nats-2", "nats-3", "nats-1"];

describe("summaryLine", () => {
  test("reports failures before and after one retry, the longest gap and pub/sub delivered/sent", () => {
    expect(summaryLine({ replaced: REPLACED, during: during({}), meshWhole: true, subscribed: true })).toEqual({
      line: `roll: 3 nodes replaced, 2 failed requests (0 after one retry), longest gap 2273 ms, pub/sub 3623/3625 delivered (41 ms of the stream lost, at most ${3 * PUBSUB_LOSS_WINDOW_MS} ms allowed)`,
      ok: true,
    });
  });

  test("fails on a pub/sub loss beyond the at-most-once window of every node replaced, not at it", () => {
    const allowed = 3 * PUBSUB_LOSS_WINDOW_MS;
    expect(summaryLine({ replaced: REPLACED, during: during({ lostMs: allowed }), meshWhole: true, subscribed: true }).ok).toBe(true);
    expect(summaryLine({ replaced: REPLACED, during: during({ lostMs: allowed + 1 }), meshWhole: true, subscribed: true }).ok).toBe(false);
    expect(summaryLine({ replaced: REPLACED.slice(0, 1), during: during({ lostMs: PUBSUB_LOSS_WINDOW_MS + 1 }), meshWhole: true, subscribed: true }).ok).toBe(false);
    expect(summaryLine({ replaced: [], during: during({ lostMs: 1 }), meshWhole: true, subscribed: true }).ok).toBe(false);
  });

  test("fails on a request that failed twice, a broken mesh or a lost subscription", () => {
    expect(summaryLine({ replaced: REPLACED, during: during({ failedAfterRetry: 1 }), meshWhole: true, subscribed: true }).ok).toBe(false);
    expect(summaryLine({ replaced: REPLACED, during: during({}), meshWhole: false, subscribed: true }).ok).toBe(false);
    expect(summaryLine({ replaced: REPLACED, during: during({}), meshWhole: true, subscribed: false }).ok).toBe(false);
  });
});

describe("startTraffic", () => {
  test.each([0, MAX_REQUEST_TIMEOUT_MS + 1, Number.NaN])("refuses a request timeout of %p ms before it connects", async (requestTimeoutMs) => {
    await expect(startTraffic({ server: "nats://127.0.0.1:1", requestTimeoutMs })).rejects.toThrow(
      `request timeout ${requestTimeoutMs} ms is not allowed: expected above 0 and at most ${MAX_REQUEST_TIMEOUT_MS} ms`,
    );
  });
});

test("the README states the at-most-once window the verdict allows", () => {
  const paragraphs = readFileSync(join(__dirname, "..", "README.md"), "utf8").split("\n\n").map((text) => text.replace(/\s+/g, " "));
  const statement = paragraphs.find((text) => text.includes("pub/sub is at-most-once"));
  expect(statement).toContain(`the roll allows ${PUBSUB_LOSS_WINDOW_MS} ms of the stream per node replaced (\`PUBSUB_LOSS_WINDOW_MS\` in \`roll/traffic.ts\`)`);
  expect(MAX_REQUEST_TIMEOUT_MS).toBeLessThanOrEqual(2000);
});
