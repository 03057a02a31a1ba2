import { JETSTREAM_NO_RESPONDERS, errorMessage, lastErrorSuffix } from "../helpers/errors";

describe("errorMessage", () => {
  test("an error's message, with its cause's when it has one", () => {
    expect(errorMessage(new Error("boom"))).toBe("boom");
    expect(errorMessage(new Error("fetch failed", { cause: new Error("connect ECONNREFUSED 127.0.0.1:1") }))).toBe("fetch failed (connect ECONNREFUSED 127.0.0.1:1)");
    expect(errorMessage(new Error("fetch failed", { cause: "reset" }))).toBe("fetch failed (reset)");
  });

  test("a cause the message already quotes is not repeated", () => {
    expect(errorMessage(new Error("boot failed: port taken; the logs are kept", { cause: new Error("port taken") }))).toBe("boot failed: port taken; the logs are kept");
  });

  test("values that are no Error: an object's message (from another realm too), else the value as text", () => {
    expect(errorMessage({ message: "from a sandbox" })).toBe("from a sandbox");
    expect(errorMessage({ message: "" })).toBe("[object Object]");
    expect(errorMessage({ message: 5 })).toBe("[object Object]");
    expect(errorMessage("plain")).toBe("plain");
    expect(errorMessage(null)).toBe("null");
    expect(errorMessage(undefined)).toBe("undefined");
    expect(errorMessage(42)).toBe("42");
  });

  test("nats.js's JetStreamNotEnabled says what it means when the servers do run JetStream", () => {
    const error = Object.assign(new Error("jetstream is not enabled"), { name: "JetStreamNotEnabled" });
    expect(errorMessage(error)).toBe(`jetstream is not enabled (${JETSTREAM_NO_RESPONDERS})`);
    expect(errorMessage(Object.assign(new Error("other"), { name: "JetStreamApiError" }))).toBe("other");
    expect(errorMessage({ name: "JetStreamNotEnabled" })).toBe("[object Object]");
  });
});

test("lastErrorSuffix: the last error in parentheses, or nothing", () => {
  expect(lastErrorSuffix("refused")).toBe(" (last error: refused)");
  expect(lastErrorSuffix(undefined)).toBe("");
});
