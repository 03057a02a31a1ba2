import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyAs, synthesizedBackend, terraform, terraformOk, writeLockConfig } from "./terraform-support";

// Integration test: Debian's PostgreSQL on a unix socket in a temporary directory, the app's
// synthesis, and the real terraform CLI with the pg backend exactly as synthesized. Two applies
// at once: with no lock timeout one fails on the lock; with one, the second waits; the state ends
// consistent either way. Nothing here models Terraform or PostgreSQL: both run for real.
jest.setTimeout(180_000);

const work = mkdtempSync(join(tmpdir(), "state-lock-pg-"));
const data = join(work, "data");
const socket = join(work, "socket");
let server: ChildProcess | undefined;
let env: Record<string, string>;
let backend: Record<string, unknown>;

/** The newest PostgreSQL of Debian's postgresql package (.ci/run installs it). */
function postgresBin(): string {
  const versions = readdirSync("/usr/lib/postgresql").filter((v) => existsSync(join("/usr/lib/postgresql", v, "bin", "postgres")));
  if (versions.length === 0) throw new Error("PostgreSQL is not installed: apt-get install postgresql");
  return join("/usr/lib/postgresql", versions.sort((a, b) => Number(b) - Number(a))[0], "bin");
}

/** initdb refuses root: as root, PostgreSQL runs as nobody, which owns the test's directories. */
function asServerUser(command: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ["runuser", ["-u", "nobody", "--", command, ...args]] : [command, args];
}

function serverPid(): number | undefined {
  const file = join(data, "postmaster.pid");
  return existsSync(file) ? Number(readFileSync(file, "utf8").split("\n")[0]) : undefined;
}

function psql(sql: string): string {
  const [command, args] = asServerUser(join(postgresBin(), "psql"), ["-h", socket, "-U", "terraform", "-d", "postgres", "-At", "-c", sql]);
  return execFileSync(command, args, { encoding: "utf8" }).trim();
}

beforeAll(async () => {
  const bin = postgresBin();
  mkdirSync(socket);
  chmodSync(work, 0o755);
  if (process.getuid?.() === 0) {
    const nobody = Number(execFileSync("id", ["-u", "nobody"], { encoding: "utf8" }));
    chownSync(socket, nobody, -1);
    mkdirSync(data);
    chownSync(data, nobody, -1);
  }
  const [initdb, initArgs] = asServerUser(join(bin, "initdb"), ["-D", data, "-U", "terraform", "--auth=trust", "-E", "UTF8"]);
  execFileSync(initdb, initArgs, { stdio: "ignore" });
  const [postgres, args] = asServerUser(join(bin, "postgres"), ["-D", data, "-k", socket, "-c", "listen_addresses=", "-c", "fsync=off"]);
  server = spawn(postgres, args, { stdio: "ignore" });
  const deadline = Date.now() + 30_000;
  while (!existsSync(join(socket, ".s.PGSQL.5432")) || serverPid() === undefined) {
    if (Date.now() > deadline) throw new Error("PostgreSQL did not start within 30 s");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // lib/pq reads a unix socket directory as host; the connection string reaches Terraform only here.
  env = { PG_CONN_STR: `host=${socket} user=terraform dbname=postgres sslmode=disable` };
  backend = synthesizedBackend(join(work, "cdktf.out"), "nats", { NATS_STATE_BACKEND: "pg" });
});

afterAll(async () => {
  // The postmaster's own PID (runuser is its parent): SIGINT is PostgreSQL's fast shutdown.
  const pid = serverPid();
  if (pid !== undefined) {
    process.kill(pid, "SIGINT");
    const deadline = Date.now() + 20_000;
    while (existsSync(join(data, "postmaster.pid")) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (server?.exitCode === null) server.kill("SIGKILL");
  rmSync(work, { recursive: true, force: true });
});

describe("the pg backend as the app synthesizes it, with the real terraform CLI", () => {
  test("the backend block names the stack's schema and holds no connection string", () => {
    expect(backend).toEqual({ pg: { schema_name: "terraform_nats" } });
  });

  test("two applies at once: one fails with Error acquiring the state lock, the state holds the other's write", async () => {
    const [one, two] = [join(work, "one"), join(work, "two")];
    for (const dir of [one, two]) {
      writeLockConfig(dir, backend, 5);
      await terraformOk(dir, ["init", "-input=false", "-no-color"], env);
    }
    const since = Date.now();
    const runs = await Promise.all([applyAs(one, "one", env, since), applyAs(two, "two", env, since)]);
    const failed = runs.filter((run) => run.status !== 0);
    const passed = runs.filter((run) => run.status === 0);
    console.log(runs.map((run) => `${run.args.at(-1)}: exit ${run.status} after ${run.endMs - run.startMs} ms${run.status === 0 ? "" : `: ${run.output.split("\n").find((line) => /Error acquiring/.test(line))?.trim()}`}`).join("\n"));
    expect(passed).toHaveLength(1);
    expect(failed).toHaveLength(1);
    expect(failed[0].output).toContain("Error acquiring the state lock");
    expect(failed[0].output).toMatch(/Lock Info:[\s\S]*Operation: +OperationTypeApply/);
    // The loser gave up at once, while the winner still held the lock (its provisioner sleeps 5 s).
    expect(failed[0].endMs).toBeLessThan(passed[0].endMs);
    const winner = String(passed[0].args.at(-1)).replace("-var=writer=", "");
    const output = await terraformOk(one, ["output", "-raw", "writer"], env);
    expect(output).toBe(winner);
    // One state row for the default workspace; no lock left behind.
    expect(psql("select name from terraform_nats.states")).toBe("default");
    expect(psql("select count(*) from pg_locks where locktype = 'advisory'")).toBe("0");
  });

  test("with a lock timeout the second apply waits for the first, and the state holds both writes in order", async () => {
    const [one, two] = [join(work, "one"), join(work, "two")];
    const serialBefore = JSON.parse(await terraformOk(one, ["state", "pull"], env)).serial as number;
    const since = Date.now();
    const runs = await Promise.all([applyAs(one, "three", env, since, "120s"), applyAs(two, "four", env, since, "120s")]);
    console.log(runs.map((run) => `${run.args.at(-1)}: exit ${run.status}, ${run.startMs}–${run.endMs} ms`).join("\n"));
    expect(runs.map((run) => run.status)).toEqual([0, 0]);
    const [first, second] = [...runs].sort((a, b) => a.endMs - b.endMs);
    // The second finished at least one full hold (5 s) after the first: it waited for the lock.
    expect(second.endMs - first.endMs).toBeGreaterThanOrEqual(5_000);
    const state = JSON.parse(await terraformOk(two, ["state", "pull"], env)) as { serial: number; outputs: { writer: { value: string } } };
    expect(state.outputs.writer.value).toBe(String(second.args.at(-1)).replace("-var=writer=", ""));
    expect(state.serial).toBeGreaterThan(serialBefore + 1);
    // The last writer's configuration is what the state holds: nothing left to change.
    const plan = await terraform(two, ["plan", "-input=false", "-no-color", "-detailed-exitcode", `-var=writer=${state.outputs.writer.value}`], env, Date.now());
    expect(plan.status).toBe(0);
  });
});
