import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readTextBounded } from "../helpers/bounded-read";

describe("readTextBounded", () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), "bounded-read-")); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test("reads a file at the limit whole", () => {
    writeFileSync(join(dir, "f"), "x".repeat(64));
    expect(readTextBounded(join(dir, "f"), 64, "the file")).toBe("x".repeat(64));
  });

  test("refuses a file one byte over the limit, naming it", () => {
    writeFileSync(join(dir, "f"), "x".repeat(65));
    expect(() => readTextBounded(join(dir, "f"), 64, "the credentials file")).toThrow(/^the credentials file .*\/f is larger than 64 bytes/);
  });

  test("refuses an endless file without reading it all", () => {
    expect(() => readTextBounded("/dev/zero", 1024, "the plan")).toThrow(/the plan \/dev\/zero is larger than 1024 bytes/);
  });

  test("closes the file it opened, read whole or refused", () => {
    const open = (): number => readdirSync("/proc/self/fd").length;
    writeFileSync(join(dir, "f"), "x".repeat(65));
    const before = open();
    for (let i = 0; i < 20; i++) {
      readTextBounded(join(dir, "f"), 100, "the file");
      expect(() => readTextBounded(join(dir, "f"), 64, "the file")).toThrow();
    }
    expect(open()).toBe(before);
  });
});
