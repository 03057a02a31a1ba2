import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freshStackFile } from "../plan/synth";
import { secretEnvName } from "../twin/cloud-config";
import { readPlan } from "../twin/plan";
import { ROOT, runScript, stopAllStarted, track, waitForOutput, type Started } from "./verify-support";

// Integration test: boots twins (nats-server and HAProxy processes), each in a process of its own
// whose TMPDIR is a fresh directory (os.tmpdir() reads the real environment, which a jest test
// cannot change), with tsx's disk cache off so that only the twin could write there.
jest.setTimeout(120_000);

// Loopback block of this file: the load balancer on .10, nodes on .11 and up; the tests added for
// issue 21 use its range.
const BASE = "127.0.13.10";
const SECRET_BASE = "127.21.0.40";
const INTERRUPTED_BASE = "127.21.0.50";

interface PlanJson {
  resource: { digitalocean_droplet: Record<string, { name: string; user_data: string }> };
}

const work = mkdtempSync(join(tmpdir(), "twin-boot-failure-"));
/** The temporary directory a test's twin gets (TMPDIR): it must be empty once the twin has failed. */
let twinTmp = "";

beforeEach(() => {
  twinTmp = mkdtempSync(join(work, "tmp-"));
});

afterEach(() => stopAllStarted());

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/** The environment of a process that boots a twin: TMPDIR is the test's fresh directory. */
function twinEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { HOME: process.env.HOME ?? "", TMPDIR: twinTmp, TSX_DISABLE_CACHE: "1", ...extra };
}

/** PIDs of the processes running in a directory under `dir` (the twin's nats-servers run in theirs). */
function runningUnder(dir: string): number[] {
  return readdirSync("/proc").filter((entry) => /^\d+$/.test(entry)).map(Number).filter((pid) => {
    try {
      return readlinkSync(`/proc/${pid}/cwd`).startsWith(dir);
    } catch {
      return false;
    }
  });
}

/** Runs bootTwin({ planFile, addressBase }) in a process of its own; it prints the error and exits 1 when the boot fails. */
function bootInProcess(planFile: string, addressBase: string): Started {
  const code = `require("./twin/twin").bootTwin(${JSON.stringify({ planFile, addressBase })}).then(
    (twin) => twin.stop().then(() => { process.exitCode = 3; }),
    (error) => { console.error(error.message); process.exitCode = 1; })`;
  return track(spawn(process.execPath, ["--import", "tsx", "-e", code], { cwd: ROOT, env: { PATH: process.env.PATH ?? "", ...twinEnv() }, stdio: ["ignore", "pipe", "pipe"] }));
}

test("a node that cannot start: the error names it and quotes the end of its log; nothing is left running or in the temporary directory", async () => {
  // The tutorial's plan with the second droplet's command line pointing at a config file it lacks.
  const plan = JSON.parse(readFileSync(freshStackFile("nats-tutorial"), "utf8")) as PlanJson;
  const broken = Object.values(plan.resource.digitalocean_droplet).find((droplet) => droplet.name === "nats-droplet-2");
  if (broken === undefined) throw new Error("the tutorial plan has no droplet nats-droplet-2");
  expect(broken.user_data).toContain("exec nats-server --config nats-server.conf ");
  broken.user_data = broken.user_data.replace("exec nats-server --config nats-server.conf ", "exec nats-server --config missing.conf ");
  const planFile = join(work, "cdk.tf.json");
  writeFileSync(planFile, JSON.stringify(plan));

  const boot = bootInProcess(planFile, BASE);
  expect(await boot.exited).toBe(1);
  const message = boot.output();
  expect(message).toMatch(/^process \d+ exited while waiting for node nats-droplet-2 \(nats-server on 127\.0\.13\.12\) to become healthy\n/);
  // Each node runs in its own directory of the twin's, named after the droplet.
  expect(message).toMatch(new RegExp(`\nlast lines of ${twinTmp}/nats-twin-\\w+/nats-droplet-2(?:-\\w+)?/nats-server\\.log:\n.*open missing\\.conf: no such file or directory`));
  // Everything it started is stopped, and its files (keys, tokens, logs) are gone.
  expect(runningUnder(twinTmp)).toEqual([]);
  expect(readdirSync(twinTmp)).toEqual([]);
});

test("a twin secret that random_password cannot produce (a quote and a line break): the error names the variable and the characters, not the value; nothing is left", async () => {
  const plan = readPlan(freshStackFile("nats"));
  const id = plan.passwords.find((password) => password.includes("client")) as string;
  const variable = secretEnvName(id);
  const run = runScript("twin", ["--stack", "nats", "--address-base", SECRET_BASE], twinEnv({ [variable]: 'Zq"9x\nnext: line' }));
  expect(await run.exited).toBe(1);
  expect(run.output()).toContain(
    `twin: ${variable} holds "\\"", "\\n", ":", " ": random_password ${id} produces only upper-case letters, lower-case letters and digits, ` +
      "so a droplet never gets such a secret; choose one of those characters only\n",
  );
  expect(run.output()).not.toContain("Zq");
  expect(readdirSync(twinTmp)).toEqual([]);
});

test("the twin CLI interrupted while booting leaves nothing running or in the temporary directory", async () => {
  const run = runScript("twin", ["--stack", "nats", "--address-base", INTERRUPTED_BASE], twinEnv());
  await waitForOutput(run, /cloud-config valid/);
  expect(readdirSync(twinTmp)).toEqual([expect.stringMatching(/^nats-twin-/)]);
  run.child.kill("SIGINT");
  expect(await run.exited).toBe(130);
  expect(runningUnder(twinTmp)).toEqual([]);
  expect(readdirSync(twinTmp)).toEqual([]);
});
