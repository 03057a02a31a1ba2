import { STACKS, freshStackFile } from "../plan/synth";
import { ensureNatsServer } from "../twin/nats-binary";
import { readPlan } from "../twin/plan";

/**
 * Before any test: gets the nats-server every stack's droplets install, exactly as a first
 * `npm run twin` does (NATS_TWIN_SERVER, the cache, PATH, else Debian's archive). A failed
 * fetch fails the run; no twin test is skipped for want of a server.
 */
export default async function globalSetup(): Promise<void> {
  const versions = new Set(STACKS.flatMap((stack) => readPlan(freshStackFile(stack)).droplets.map((droplet) => droplet.natsVersion)));
  for (const version of versions) {
    const server = await ensureNatsServer(version, { log: (line) => process.stderr.write(`nats-server: ${line}\n`) });
    process.stderr.write(`nats-server: the plans install ${version}; the tests run ${server.version} (${server.path})\n`);
  }
}
