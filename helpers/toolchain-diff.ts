/**
 * How a stack's Terraform JSON written by one cdktf toolchain differs from the same stack written by
 * another (cdktf 0.21 and its fork CDK Terrain): byte for byte, apart from two things each writes its
 * own way, which are counted, not hidden:
 * - the toolchain's version in `"//".metadata.version`;
 * - an empty object or array: cdktf writes `{` and `}` on two lines, CDK Terrain `{}`.
 */
export interface ToolchainDiff {
  /** The version stamps of the first and the second text (undefined where there is none). */
  readonly versions: readonly [string | undefined, string | undefined];
  /** Empty objects and arrays that the first text writes over two lines. */
  readonly emptyOnTwoLines: number;
  /** Every other difference, as `line N: first → second`, N counted in the second text (the first LINES_SHOWN lines that differ). */
  readonly differences: readonly string[];
}

const LINES_SHOWN = 10;
const TWO_LINE_EMPTY = /\{\n\s*\}|\[\n\s*\]/g;

const shown = (line: string | undefined): string => (line === undefined ? "(end of file)" : line.trim() === "" ? "(empty line)" : line.trim());

function versionStamp(text: string): string | undefined {
  return (JSON.parse(text) as { "//"?: { metadata?: { version?: string } } })["//"]?.metadata?.version;
}

/** Compares `second` (the fork's synthesis) with `first` (cdktf's) of the same stack. */
export function toolchainDiff(first: string, second: string): ToolchainDiff {
  const versions = [versionStamp(first), versionStamp(second)] as const;
  // "//" comes first in the file, so the first "version" key is the stamp.
  const restamped = versions[0] === undefined || versions[1] === undefined ? first : first.replace(`"version": ${JSON.stringify(versions[0])}`, `"version": ${JSON.stringify(versions[1])}`);
  const emptyOnTwoLines = first.match(TWO_LINE_EMPTY)?.length ?? 0;
  const expected = restamped.replace(TWO_LINE_EMPTY, (empty) => empty[0] + empty[empty.length - 1]).split("\n");
  const actual = second.split("\n");
  const differences: string[] = [];
  for (let i = 0; i < Math.max(expected.length, actual.length) && differences.length < LINES_SHOWN; i++) {
    if (expected[i] !== actual[i]) differences.push(`line ${i + 1}: ${shown(expected[i])} → ${shown(actual[i])}`);
  }
  return { versions, emptyOnTwoLines, differences };
}
