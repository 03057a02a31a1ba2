import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freshStackFile } from "../plan/synth";
import { childPids } from "../twin/probe";
import { bootTwin } from "../twin/twin";

// Integration test: the twin validates cloud-config with cloud-init and finds nats-server.
jest.setTimeout(120_000);

// Loopback block of this file: the load balancer on .10, nodes on .11 and up.
const BASE = "127.22.0.10";

interface PlanJson {
  resource: { digitalocean_droplet: Record<string, { name: string; user_data: string }> };
}

const work = mkdtempSync(join(tmpdir(), "twin-privileged-port-"));
const kept: string[] = [];

afterAll(() => {
  for (const dir of [work, ...kept]) rmSync(dir, { recursive: true, force: true });
});

test("a hand-written plan whose unit binds 443 as the nats user is refused before any node starts", async () => {
  // Synthesis refuses ports below 1024, so the plan is edited as a hand-written one would be.
  const plan = JSON.parse(readFileSync(freshStackFile("nats-tutorial"), "utf8")) as PlanJson;
  const edited = Object.values(plan.resource.digitalocean_droplet).find((droplet) => droplet.name === "nats-droplet-2");
  if (edited === undefined) throw new Error("the tutorial plan has no droplet nats-droplet-2");
  expect(edited.user_data).toContain(" -p 4222 -m 8222 ");
  expect(edited.user_data).toContain("User=nats");
  edited.user_data = edited.user_data.replace(" -p 4222 -m 8222 ", " -p 443 -m 80 ");
  const planFile = join(work, "cdk.tf.json");
  writeFileSync(planFile, JSON.stringify(plan));

  const failure = await bootTwin({ planFile, addressBase: BASE }).then(
    // A twin that booted (as root, where 443 binds) proves nothing about the droplet: stop it.
    async (twin) => {
      await twin.stop();
      return undefined;
    },
    (error: Error) => error,
  );
  expect(failure).toBeInstanceOf(Error);
  const message = failure!.message;
  const dir = /\nthe twin's logs are kept in (\S+)$/.exec(message)?.[1];
  if (dir !== undefined) kept.push(dir);
  expect(message.split("\n")[0]).toBe(
    "the unit of nats-droplet-2 runs nats-server as nats without CAP_NET_BIND_SERVICE, so on the droplet it cannot bind the client port 443 " +
      'or the monitor port 80 (ports below 1024 need it): the droplet would fail with "bind: permission denied", so the twin refuses to boot it',
  );
  // Refused while preparing: nothing was started, nothing is left running.
  expect(message).not.toMatch(/nats-server pid|exited while waiting/);
  expect(childPids()).toEqual([]);
});
