import { toolchainDiff } from "../helpers/toolchain-diff";

// Stack JSON as each toolchain lays it out: cdktf 0.21 writes an empty object over two lines.
const stack = (version: string, emptyObject: string, extra = ""): string =>
  `{
  "//": {
    "metadata": {
      "stackName": "nats",
      "version": "${version}"
    }
  },
  "provider": {
    "digitalocean": [
      ${emptyObject}
    ]
  },
  "resource": {
    "terraform_data": {
      "pinned": {
        "input": "a",
        "version": "0.21.0"${extra}
      }
    }
  }
}`;
const CDKTF = stack("0.21.0", "{\n      }");
const CDKTN = stack("0.24.0", "{}");

describe("toolchainDiff", () => {
  test("the version stamp and the layout of an empty object are counted, not differences", () => {
    expect(toolchainDiff(CDKTF, CDKTN)).toEqual({ versions: ["0.21.0", "0.24.0"], emptyOnTwoLines: 1, differences: [] });
  });

  test("only the stamp is a version of the toolchain: a resource's own version key must still match", () => {
    const moved = CDKTN.replace(`"version": "0.21.0"`, `"version": "0.24.0"`);
    expect(toolchainDiff(CDKTF, moved).differences).toEqual([`line 17: "version": "0.21.0" → "version": "0.24.0"`]);
  });

  test("a changed value is named by its line", () => {
    expect(toolchainDiff(CDKTF, CDKTN.replace(`"input": "a"`, `"input": "b"`)).differences).toEqual([`line 16: "input": "a", → "input": "b",`]);
  });

  test("the same JSON with its keys in another order is a difference: the comparison is of bytes", () => {
    const reordered = CDKTN.replace(`"stackName": "nats",\n      "version": "0.24.0"`, `"version": "0.24.0",\n      "stackName": "nats"`);
    expect(JSON.parse(reordered)).toEqual(JSON.parse(CDKTN));
    expect(toolchainDiff(CDKTF, reordered).differences).toEqual([`line 4: "stackName": "nats", → "version": "0.24.0",`, `line 5: "version": "0.24.0" → "stackName": "nats"`]);
  });

  test("a line more or less is reported against the end of the file", () => {
    expect(toolchainDiff(CDKTF, `${CDKTN}\n`).differences).toEqual(["line 22: (end of file) → (empty line)"]);
    expect(toolchainDiff(`${CDKTF}\n`, CDKTN).differences).toEqual(["line 22: (empty line) → (end of file)"]);
  });

  test("a text without a version stamp is compared as it is", () => {
    const unstamped = (text: string): string => text.replace(/,\n\s*"version": "0\.2[14]\.0"\n(\s*\})/, "\n$1");
    const diff = toolchainDiff(unstamped(CDKTF), CDKTN);
    expect(diff.versions).toEqual([undefined, "0.24.0"]);
    expect(diff.differences[0]).toBe(`line 4: "stackName": "nats" → "stackName": "nats",`);
    expect(toolchainDiff(CDKTF, unstamped(CDKTN)).versions).toEqual(["0.21.0", undefined]);
    // Without the second stamp the first is not restamped: its version line is a difference as it stands.
    expect(toolchainDiff(CDKTF, unstamped(CDKTN)).differences.slice(0, 2)).toEqual([`line 4: "stackName": "nats", → "stackName": "nats"`, 'line 5: "version": "0.21.0" → }']);
  });

  test("an empty array over two lines, however indented, is counted like an empty object", () => {
    const withArray = (empty: string): string => CDKTF.replace(`"input": "a",`, `"input": ${empty},`);
    expect(toolchainDiff(withArray("[\n          ]"), CDKTN.replace(`"input": "a",`, `"input": [],`))).toEqual({ versions: ["0.21.0", "0.24.0"], emptyOnTwoLines: 2, differences: [] });
  });

  test("a line of blanks is shown as an empty line", () => {
    expect(toolchainDiff(CDKTF, CDKTN.replace(`"provider": {`, `"provider": {\n   `)).differences[0]).toBe(`line 9: "digitalocean": [ → (empty line)`);
  });

  test("shows the first ten lines that differ", () => {
    // Every line after the first indented by one more space.
    const many = (text: string): string => text.replace(/\n/g, "\n ");
    expect(toolchainDiff(many(CDKTF), CDKTN).differences).toHaveLength(10);
    expect(toolchainDiff(many(CDKTF), CDKTN).differences[9]).toMatch(/^line 11: /);
  });
});
