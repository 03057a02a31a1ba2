import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freshStackFile } from "../plan/synth";
import { childPids } from "../twin/probe";
import { bootTwin } from "../twin/twin";

// Integration test: boots twins (nats-server and HAProxy processes).
jest.setTimeout(120_000);

// Loopback block of this file: the load balancer on .10, nodes on .11 and up.
const BASE = "127.0.13.10";

interface PlanJson {
  resource: { digitalocean_droplet: Record<string, { name: string; user_data: string }> };
}

const work = mkdtempSync(join(tmpdir(), "twin-boot-failure-"));
const kept: string[] = [];

afterAll(() => {
  for (const dir of [work, ...kept]) rmSync(dir, { recursive: true, force: true });
});

test("a node that cannot start: the error names it, quotes the end of its log and the logs are kept", async () => {
  // The tutorial's plan with the second droplet's command line pointing at a config file it lacks.
  const plan = JSON.parse(readFileSync(freshStackFile("nats-tutorial"), "utf8")) as PlanJson;
  const broken = Object.values(plan.resource.digitalocean_droplet).find((droplet) => droplet.name === "nats-droplet-2");
  if (broken === undefined) throw new Error("the tutorial plan has no droplet nats-droplet-2");
  expect(broken.user_data).toContain("exec nats-server --config nats-server.conf ");
  broken.user_data = broken.user_data.replace("exec nats-server --config nats-server.conf ", "exec nats-server --config missing.conf ");
  const planFile = join(work, "cdk.tf.json");
  writeFileSync(planFile, JSON.stringify(plan));

  const failure = await bootTwin({ planFile, addressBase: BASE }).then(
    () => undefined,
    (error: Error) => error,
  );
  expect(failure).toBeInstanceOf(Error);
  const message = failure!.message;
  expect(message).toMatch(/^process \d+ exited while waiting for node nats-droplet-2 \(nats-server on 127\.0\.13\.12\) to become healthy\n/);
  expect(message).toMatch(/\nlast lines of \S+\/nats-droplet-2(?:-\w+)?\/nats-server\.log:\n.*open missing\.conf: no such file or directory/);
  const dir = /\nthe twin's logs are kept in (\S+)$/.exec(message)?.[1];
  expect(dir).toBeDefined();
  kept.push(dir!);
  // Each node runs in its own directory under the kept one, named after the droplet.
  const log = /\nlast lines of (\S+):\n/.exec(message)?.[1];
  expect(log?.startsWith(`${dir}/nats-droplet-2`)).toBe(true);
  expect(readFileSync(log!, "utf8")).toContain("missing.conf");
  const seedDir = readdirSync(dir!).find((name) => /^nats-droplet-1(?:-\w+)?$/.test(name));
  expect(existsSync(join(dir!, seedDir ?? "nats-droplet-1", "nats-server.log"))).toBe(true);
  // Everything it started is stopped.
  expect(childPids()).toEqual([]);
});
