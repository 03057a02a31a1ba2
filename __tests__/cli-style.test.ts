import { runScript, stopAllStarted } from "./verify-support";

// Integration test: runs every CLI in scripts/ as a process.
jest.setTimeout(60_000);

afterEach(stopAllStarted);

/** Every CLI in scripts/ and the synopsis its usage starts with. */
const CLIS: ReadonlyArray<readonly [string, string]> = [
  ["verify", "usage: npm run verify -- --lb <host>"],
  ["twin", "usage: npm run twin -- [--stack nats|nats-tutorial]"],
  ["plan-summary", "usage: npm run plan:summary -- [--stack NAME]"],
  ["publisher", "usage: [NATS_SERVER=nats://<load balancer>:4222] [NATS_TOKEN=...] npm run publisher"],
  ["subscriber", "usage: [NATS_SERVER=nats://<load balancer>:4222] [NATS_TOKEN=...] npm run subscriber"],
  ["sweep", "usage: npm run sweep -- --tag TAG"],
];

describe.each(CLIS)("%s", (name, synopsis) => {
  test("--help prints the usage with its options, -h/--help last, and exits 0", async () => {
    const run = runScript(name, ["--help"]);
    expect(await run.exited).toBe(0);
    const lines = run.output().split("\n");
    expect(lines[0].startsWith(synopsis)).toBe(true);
    const options = lines.filter((line) => /^ {2}-/.test(line));
    expect(options[options.length - 1]).toMatch(/^ {2}-h, --help +print this help and exit$/);
  });

  test("an unknown option prints the message, then the usage, and exits 2", async () => {
    const run = runScript(name, ["--no-such-option"]);
    expect(await run.exited).toBe(2);
    expect(run.output()).toMatch(new RegExp(`^${name}: unknown option "--no-such-option": allowed are .*--help\\n\\nusage: `));
  });
});
