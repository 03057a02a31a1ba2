import { STACKS, freshStackFile } from "../plan/synth";
import { ensureNatsServer } from "../twin/nats-binary";
import { readPlan } from "../twin/plan";
import { LEGACY_NATS_VERSION } from "../roll/twin-roll";
import useRunTmpdir from "./run-tmpdir";

/**
 * Before any test: gets the nats-server every stack's droplets install (and the 2.10 release the
 * roll test upgrades from), exactly as a first
 * `npm run twin` does (NATS_TWIN_SERVER, the cache, PATH, else Debian's archive). A failed
 * fetch fails the run; no twin test is skipped for want of a server.
 */
export default async function globalSetup(): Promise<void> {
  // First: the syntheses below run tsx, whose cache goes to the temporary directory.
  useRunTmpdir();
  const versions = new Set(STACKS.flatMap((stack) => readPlan(freshStackFile(stack)).droplets.map((droplet) => droplet.natsVersion)));
  // The rolling upgrade test boots the 2.10 release existing clusters run.
  versions.add(LEGACY_NATS_VERSION);
  for (const version of versions) {
    const server = await ensureNatsServer(version, { log: (line) => process.stderr.write(`nats-server: ${line}\n`) });
    process.stderr.write(`nats-server: the plans install ${version}; the tests run ${server.version} (${server.path})\n`);
  }
}
