import { Deadline, sleep } from "../helpers/retry";

afterEach(() => jest.useRealTimers());

test("sleep resolves after its time and not before", async () => {
  jest.useFakeTimers();
  let done = false;
  const slept = sleep(1000).then(() => (done = true));
  await jest.advanceTimersByTimeAsync(999);
  expect(done).toBe(false);
  await jest.advanceTimersByTimeAsync(1);
  await slept;
  expect(done).toBe(true);
});

describe("Deadline", () => {
  test("what is left counts down to 0 and no further", () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const deadline = new Deadline(10);
    expect(deadline.seconds).toBe(10);
    expect(deadline.remainingMs()).toBe(10_000);
    jest.setSystemTime(1_004_000);
    expect(deadline.remainingMs()).toBe(6000);
    jest.setSystemTime(1_020_000);
    expect(deadline.remainingMs()).toBe(0);
  });

  test("a step lasts what is left, at most its maximum (5 s by default), at least 1 ms", () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const deadline = new Deadline(10);
    expect(deadline.stepMs()).toBe(5000);
    expect(deadline.stepMs(20_000)).toBe(10_000);
    jest.setSystemTime(1_008_000);
    expect(deadline.stepMs()).toBe(2000);
    jest.setSystemTime(1_010_000);
    expect(deadline.stepMs()).toBe(1);
    jest.setSystemTime(1_030_000);
    expect(deadline.stepMs()).toBe(1);
  });

  test("its signal aborts when the run is ended early", () => {
    const deadline = new Deadline(3600);
    expect(deadline.signal.aborted).toBe(false);
    deadline.end();
    expect(deadline.signal.aborted).toBe(true);
    expect((deadline.signal.reason as Error).message).toBe("the run is over");
  });

  test("its signal aborts when the budget ends (a real 50 ms timer)", async () => {
    const deadline = new Deadline(0.05);
    expect(deadline.signal.aborted).toBe(false);
    await new Promise((resolve) => deadline.signal.addEventListener("abort", resolve));
    expect((deadline.signal.reason as Error).name).toBe("TimeoutError");
  });
});
