/**
 * Proves the way off the archived cdktf on every CI run: CDK Terrain (cdktn), its community fork,
 * synthesizes both stacks as cdktf does.
 *
 *   npx tsx scripts/check-fork.ts
 *
 * Copies the project's tracked files to a scratch directory, switches the copy to CDK Terrain with
 * FORK_SWITCH (the README's "Toolchain status" command) and installs it with npm; then runs main.ts
 * of the project and of the copy, both in the project directory with the same environment and
 * cdktf.json's context, and compares each stack's cdk.tf.json byte for byte (helpers/toolchain-diff.ts
 * names the two things each toolchain writes its own way). Exits 1 on any other difference and on a
 * failed copy, install or synthesis; the scratch directory is removed in every case.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { toolchainDiff } from "../helpers/toolchain-diff";
import { APP_COMMAND, PROJECT_ROOT, STACKS, stackFile, synthesize } from "../plan/synth";
import { HELP_OPTION, parseCli, runCli, usageText } from "../verify/args";

/** The `npm pkg` commands of the README's switch to CDK Terrain (the overrides let the provider packages, which ask for cdktf 0.21, take the fork). */
const FORK_SWITCH: readonly (readonly string[])[] = [
  ["delete", "devDependencies.cdktf-cli"],
  ["set", "dependencies.cdktf=npm:cdktn@0.24.0", "dependencies.constructs=10.6.0", "overrides.cdktf=$cdktf", "overrides.constructs=$constructs", "devDependencies.cdktn-cli=0.24.0", "scripts.synth=cdktn synth"],
];

const USAGE = usageText("npx tsx scripts/check-fork.ts", [], [
  "Installs this project with cdktf aliased to CDK Terrain in a scratch copy and fails unless both stacks synthesize byte for byte as with cdktf.",
]);

void runCli("check-fork", USAGE, async () => {
  if (parseCli(process.argv.slice(2), HELP_OPTION).help) {
    console.log(USAGE);
    return 0;
  }
  const work = mkdtempSync(join(tmpdir(), "check-fork-"));
  try {
    const copy = join(work, "project");
    const started = Date.now();
    const files = execFileSync("git", ["ls-files", "-z"], { cwd: PROJECT_ROOT, encoding: "utf8" }).split("\0").filter((file) => file !== "");
    for (const file of files) {
      mkdirSync(dirname(join(copy, file)), { recursive: true });
      copyFileSync(join(PROJECT_ROOT, file), join(copy, file));
    }
    for (const args of FORK_SWITCH) execFileSync("npm", ["pkg", ...args], { cwd: copy, stdio: ["ignore", "inherit", "inherit"] });
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: copy, stdio: ["ignore", "inherit", "inherit"] });
    const fork = JSON.parse(readFileSync(join(copy, "node_modules", "cdktf", "package.json"), "utf8")) as { name: string; version: string };
    console.log(`check-fork: installed ${fork.name} ${fork.version} as cdktf in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    const cdktfOut = synthesize({ outdir: join(work, "cdktf.out") }).outdir;
    const cdktnOut = synthesize({ outdir: join(work, "cdktn.out"), command: [...APP_COMMAND.slice(0, -1), join(copy, "main.ts")] }).outdir;
    let failed = false;
    for (const stack of STACKS) {
      const diff = toolchainDiff(readFileSync(stackFile(cdktfOut, stack), "utf8"), readFileSync(stackFile(cdktnOut, stack), "utf8"));
      const stamps = `version stamp ${diff.versions[0]} → ${diff.versions[1]}, ${diff.emptyOnTwoLines} empty objects written as {}`;
      if (diff.differences.length === 0) {
        console.log(`check-fork: ${stack}: cdk.tf.json is the same byte for byte (apart from: ${stamps})`);
      } else {
        failed = true;
        console.error(`check-fork: ${stack}: cdk.tf.json differs (besides ${stamps}):\n${diff.differences.map((line) => `  ${line}`).join("\n")}`);
      }
    }
    return failed ? 1 : 0;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
