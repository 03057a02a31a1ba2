import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
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
});
