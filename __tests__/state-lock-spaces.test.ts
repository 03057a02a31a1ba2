import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import S3rver from "s3rver";
import { PROJECT_ROOT } from "../plan/synth";
import { applyAs, synthesizedBackend, terraform, terraformOk, writeLockConfig } from "./terraform-support";

// Integration test: the S3 backend block the app synthesizes for Spaces, run by the real terraform
// CLI against s3rver (an S3-compatible server from npm) on 127.25.0.1. What s3rver models and where it
// differs from Spaces: it stores objects and speaks S3's REST API, so init, plan, apply and the state
// round trip are Terraform's real code; but it ignores If-None-Match on PUT (checked first, below),
// the condition use_lockfile's lock relies on. So here the lock file is shown to be written with
// If-None-Match: * and removed after, and that s3rver lets a second writer through; that Spaces
// refuses the second writer (412) is what the lock relies on there (README, "Team use").
jest.setTimeout(120_000);

const ADDRESS = "127.25.0.1";
const BUCKET = "acme-nats-state";
const work = mkdtempSync(join(tmpdir(), "state-lock-spaces-"));
/** The part of Koa's middleware signature used here. */
type KoaMiddleware = (ctx: { method: string; path: string; status: number; get(header: string): string }, next: () => Promise<void>) => Promise<void>;

/** Every request s3rver answered: method, path, If-None-Match, status. */
const requests: { method: string; path: string; ifNoneMatch?: string; status: number }[] = [];
let server: S3rver;
let endpoint: string;
let backend: { s3: Record<string, unknown> };
// s3rver accepts its own fixed key pair; Terraform reads the keys from the environment, as on Spaces.
const env = { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER" };

beforeAll(async () => {
  server = new S3rver({ address: ADDRESS, port: 0, silent: true, directory: join(work, "s3"), configureBuckets: [{ name: BUCKET, configs: [] }] });
  // s3rver is a Koa application (its types do not say so): a middleware first in Koa's chain sees
  // every request and the status s3rver answered it with.
  (server as unknown as { middleware: KoaMiddleware[] }).middleware.unshift(async (ctx, next) => {
    await next();
    requests.push({ method: ctx.method, path: ctx.path, ifNoneMatch: ctx.get("if-none-match") || undefined, status: ctx.status });
  });
  const { port } = await server.run();
  endpoint = `http://${ADDRESS}:${port}`;
  backend = synthesizedBackend(join(work, "cdktf.out"), "nats", { NATS_STATE_BACKEND: "spaces", NATS_STATE_BUCKET: BUCKET, NATS_STATE_REGION: "fra1" }) as typeof backend;
});

afterAll(async () => {
  await server.close();
  rmSync(work, { recursive: true, force: true });
});

/** The synthesized block with only the endpoint moved to s3rver (path-style: a bucket host name cannot resolve to loopback). */
function againstS3rver(): Record<string, unknown> {
  return { s3: { ...backend.s3, endpoints: { s3: endpoint }, use_path_style: true } };
}

describe("the spaces backend as the app synthesizes it, with the real terraform CLI against s3rver", () => {
  test("s3rver does not honour If-None-Match: * on PUT: a second conditional write succeeds (Spaces answers 412)", async () => {
    const url = `${endpoint}/${BUCKET}/probe.tflock`;
    const statuses: number[] = [];
    for (const writer of ["one", "two"]) {
      const response = await fetch(url, { method: "PUT", headers: { "If-None-Match": "*" }, body: writer });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([200, 200]);
    expect(await (await fetch(url)).text()).toBe("two");
  });

  test("init, apply, plan and the state round trip; the lock file is written with If-None-Match: * and removed", async () => {
    const dir = join(work, "one");
    writeLockConfig(dir, againstS3rver(), 0);
    await terraformOk(dir, ["init", "-input=false", "-no-color"], env);
    requests.length = 0;
    const apply = await applyAs(dir, "one", env, Date.now());
    expect(apply.status).toBe(0);
    const key = `/${BUCKET}/terraform/nats.tfstate`;
    expect(requests).toContainEqual({ method: "PUT", path: `${key}.tflock`, ifNoneMatch: "*", status: 200 });
    expect(requests).toContainEqual({ method: "PUT", path: key, ifNoneMatch: undefined, status: 200 });
    expect(requests).toContainEqual({ method: "DELETE", path: `${key}.tflock`, ifNoneMatch: undefined, status: 204 });
    const state = JSON.parse(await terraformOk(dir, ["state", "pull"], env)) as { outputs: { writer: { value: string } } };
    expect(state.outputs.writer.value).toBe("one");
    // A second checkout reads the same state: nothing to change.
    const other = join(work, "other");
    writeLockConfig(other, againstS3rver(), 0);
    await terraformOk(other, ["init", "-input=false", "-no-color"], env);
    const plan = await terraform(other, ["plan", "-input=false", "-no-color", "-detailed-exitcode", "-var=writer=one"], env, Date.now());
    expect(plan.status).toBe(0);
    // The pull-request plan: -lock=false writes no lock file.
    requests.length = 0;
    await terraformOk(other, ["plan", "-input=false", "-no-color", "-lock=false", "-var=writer=two"], env);
    expect(requests.filter((request) => request.path.endsWith(".tflock"))).toEqual([]);
  });

  test("the pull-request review: plan -lock=false -out, terraform show -json, plan:summary --terraform-plan", async () => {
    const dir = join(work, "other");
    const planFile = join(work, "pr.tfplan");
    await terraformOk(dir, ["plan", "-input=false", "-no-color", "-lock=false", "-var=writer=five", `-out=${planFile}`], env);
    const json = join(work, "pr.plan.json");
    writeFileSync(json, await terraformOk(dir, ["show", "-json", planFile], env));
    const review = spawnSync(process.execPath, ["--import", "tsx", "scripts/plan-summary.ts", "--terraform-plan", json], { cwd: PROJECT_ROOT, encoding: "utf8" });
    expect(review.stderr).toBe("");
    expect(review.status).toBe(0);
    expect(review.stdout).toContain("## Changes against `state of nats (Terraform 1.11.4, plan format 1.2)`");
    expect(review.stdout).toContain("**0 to add, 0 to change in place, 1 to replace, 0 to roll, 0 refused, 0 to destroy.**");
    expect(review.stdout).toContain('| replace | `terraform_data.writer` | writer | triggers_replace: ["one"] → ["five"] (forces replacement)<br>input: "one" → "five" (with the replacement) |');
  });

  test("two applies at once: on s3rver both take the lock, so it is Spaces' 412 that makes it exclusive", async () => {
    const [one, two] = [join(work, "one"), join(work, "other")];
    writeLockConfig(one, againstS3rver(), 3);
    writeLockConfig(two, againstS3rver(), 3);
    requests.length = 0;
    const since = Date.now();
    const runs = await Promise.all([applyAs(one, "three", env, since), applyAs(two, "four", env, since)]);
    console.log(runs.map((run) => `${run.args.at(-1)}: exit ${run.status} after ${run.endMs - run.startMs} ms${run.status === 0 ? "" : `: ${run.output.split("\n").find((line) => /Error/.test(line))?.trim()}`}`).join("\n"));
    const lockPuts = requests.filter((request) => request.method === "PUT" && request.path.endsWith(".tflock"));
    expect(lockPuts).toHaveLength(2);
    expect(lockPuts.every((put) => put.ifNoneMatch === "*" && put.status === 200)).toBe(true);
    for (const run of runs) expect(run.output).not.toContain("Error acquiring the state lock");
  });
});
