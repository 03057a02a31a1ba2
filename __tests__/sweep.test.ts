import { randomBytes, randomUUID } from "node:crypto";
import { type TerraformStack, Testing } from "cdktf";
import { buildStacks } from "../constructs/nats-app";
import { diffPlans } from "../plan/diff";
import { type Plan, parsePlan } from "../helpers/tf-json";
import { DigitalOceanClient } from "../sweep/digitalocean";
import { SWEPT_TYPES, sweep } from "../sweep/sweep";
import { FakeDigitalOcean, type FakeResources, applyPlan, emptyAccount } from "./fake-digitalocean";
import { closedPort } from "./loopback";
import { runScript, stopAllStarted } from "./verify-support";

// Integration test: a fake DigitalOcean API on loopback (see FakeDigitalOcean for what it models
// and where the real API differs), filled from the plans main.ts synthesizes, and the sweep CLI
// as a process.
jest.setTimeout(60_000);

const TOKEN = `dop_v1_${randomBytes(32).toString("hex")}`;
const ESC = "\x1b";

/** Both stacks as main.ts synthesizes them without settings, by stack id. */
function synthesizedPlans(): Record<string, Plan> {
  const app = Testing.app();
  const problems = buildStacks(app, {});
  if (problems.length > 0) throw new Error(`the stacks do not synthesize: ${JSON.stringify(problems)}`);
  const plans: Record<string, Plan> = {};
  for (const stack of app.node.children) plans[stack.node.id] = parsePlan(JSON.parse(Testing.synth(stack as TerraformStack)), stack.node.id);
  return plans;
}

const plans = synthesizedPlans();
type Created = ReturnType<typeof applyPlan>;

/**
 * An account holding both stacks as applied from their plans (`nats`: tag nats-cluster in nyc3;
 * `nats-tutorial`: tag nats in blr1), and another team's resources: the droplet web-1 behind
 * the firewall company-ssh, whose tags also name nats-cluster, and prod-db, which the API lists
 * without a tags field.
 */
function account(): { resources: FakeResources; nats: Created; tutorial: Created; companySsh: string } {
  const resources = emptyAccount();
  const nats = applyPlan(resources, plans.nats, 3_000_001);
  const tutorial = applyPlan(resources, plans["nats-tutorial"], 4_000_001);
  const companySsh = randomUUID();
  resources.tags.push({ name: "web" });
  resources.droplets.push({ id: 5_000_001, name: "web-1", region: { slug: "nyc3" }, tags: ["web"], volume_ids: [] });
  resources.droplets.push({ id: 5_000_002, name: "prod-db", region: { slug: "nyc3" }, volume_ids: [] });
  resources.firewalls.push({ id: companySsh, name: "company-ssh", tags: ["web", "nats-cluster"], droplet_ids: [] });
  return { resources, nats, tutorial, companySsh };
}

/** The names of the fake objects of `created` still in the account. */
function remaining(resources: FakeResources, created: Created): string[] {
  const all: object[] = [...resources.droplets, ...resources.load_balancers, ...resources.firewalls, ...resources.volumes];
  const tags = new Set(resources.tags.map((tag) => tag.name));
  return [...created].filter(([address, item]) => (address.startsWith("digitalocean_tag.") ? tags.has(item.name) : all.includes(item))).map(([, item]) => item.name);
}

/** The firewalls (by name) that cover each droplet, through its tags or its id. */
function coverage(resources: FakeResources): Map<string, string[]> {
  return new Map(resources.droplets.map((d) => [d.name, resources.firewalls.filter((fw) => fw.tags.some((tag) => d.tags?.includes(tag)) || fw.droplet_ids.includes(Number(d.id))).map((fw) => fw.name).sort()]));
}

describe("the sweep finds every resource type the stacks create", () => {
  test("every digitalocean_* type of both synthesized plans is one the sweep knows", () => {
    const types = [...new Set(Object.values(plans).flatMap((plan) => plan.resources.map((r) => r.type)))].filter((type) => type.startsWith("digitalocean_")).sort();
    expect(types.length).toBeGreaterThanOrEqual(5);
    expect(types.filter((type) => SWEPT_TYPES[type] === undefined)).toEqual([]);
  });

  test("every digitalocean_* resource that can carry a tag carries the stack's tag (a load balancer carries none: it targets it)", () => {
    for (const [stack, tag] of [["nats", "nats-cluster"], ["nats-tutorial", "nats"]]) {
      const created = applyPlan(emptyAccount(), plans[stack], 1);
      const untagged = [...created.values()].filter((item) => "tags" in item && !item.tags?.includes(tag)).map((item) => item.name);
      expect(untagged).toEqual([]);
    }
  });
});

test("tagging the volumes is an update in place: no volume and no droplet is replaced (provider 2.71.0: a volume's tags are not ForceNew)", () => {
  const untagged: Plan = { ...plans.nats, resources: plans.nats.resources.map((r) => (r.type === "digitalocean_volume" ? { ...r, body: { ...r.body, tags: undefined as never } } : r)) };
  const diff = diffPlans(untagged, plans.nats);
  expect(diff.changes.map((change) => [change.label, change.action])).toEqual([1, 2, 3].map((i) => [`nats-${i}-data`, "update"]));
  expect([diff.replacedDroplets, diff.rolledDroplets, diff.volumeWarnings]).toEqual([[], [], []]);
});

describe("sweep against a fake DigitalOcean API filled from the synthesized plans", () => {
  let fake: FakeDigitalOcean;
  let base: string;
  let lines: string[];
  let fixture: ReturnType<typeof account>;

  beforeEach(async () => {
    fixture = account();
    fake = new FakeDigitalOcean(TOKEN, fixture.resources);
    fake.pageSize = 2;
    base = await fake.start();
    lines = [];
  });

  afterEach(async () => {
    await fake.stop();
    await stopAllStarted();
  });

  const run = (tag: string, extra: { region?: string; yes?: boolean; dropletGoneTimeoutMs?: number } = {}): Promise<number> =>
    sweep(new DigitalOceanClient(base, TOKEN), { tag, pollIntervalMs: 5, ...extra, print: (line) => lines.push(line) });
  const deletes = (): string[] => fake.requests.filter((r) => r.method === "DELETE").map((r) => r.path);
  /** The id of the resource named `name` (not the tag: the seed load balancer is named like its tag). */
  const idOf = (created: Created, name: string): string => String([...created].find(([address, item]) => item.name === name && !address.startsWith("digitalocean_tag."))![1].id);

  test("without --yes it lists what the nats stack created, across pages, and deletes nothing", async () => {
    const id = (name: string): string => idOf(fixture.nats, name);
    expect(await run("nats-cluster")).toBe(0);
    expect(lines).toEqual([
      "12 resources carry tag nats-cluster:",
      `  load balancer nats-cluster-lb (${id("nats-cluster-lb")}) in nyc3`,
      `  load balancer nats-cluster-seed (${id("nats-cluster-seed")}) in nyc3`,
      ...[1, 2, 3].map((i) => `  droplet       nats-${i} (${id(`nats-${i}`)}) in nyc3`),
      ...[1, 2, 3].map((i) => `  volume        nats-${i}-data (${id(`nats-${i}-data`)}) in nyc3`),
      `  firewall      nats-cluster-fw (${id("nats-cluster-fw")})`,
      `  firewall      company-ssh (${fixture.companySsh}): not ours, it also covers tag web; only tag nats-cluster would be removed from it`,
      "  tag           nats-cluster (nats-cluster)",
      "  tag           nats-cluster-seed (nats-cluster-seed)",
      "nothing deleted: run again with --yes to delete them",
    ]);
    expect(deletes()).toEqual([]);
    // 3 droplets with the tag at 2 a page: 2 pages; 3 volumes: 2 pages.
    expect(fake.requests.filter((r) => r.path === "/v2/droplets")).toHaveLength(2);
    expect(fake.requests.filter((r) => r.path === "/v2/volumes")).toHaveLength(2);
  });

  test("--yes deletes everything the nats plan created and nothing else; the summary names what it kept", async () => {
    const before = JSON.parse(JSON.stringify(fixture.resources)) as FakeResources;
    expect(await run("nats-cluster", { yes: true })).toBe(0);
    expect(remaining(fixture.resources, fixture.nats)).toEqual([]);
    expect(remaining(fixture.resources, fixture.tutorial)).toEqual([...fixture.tutorial.values()].map((item) => item.name));
    expect(fixture.resources.droplets.map((d) => d.name)).toEqual(["nats-droplet-1", "nats-droplet-2", "web-1", "prod-db"]);
    expect(fixture.resources.firewalls).toEqual([{ ...before.firewalls.find((fw) => fw.name === "company-ssh"), tags: ["web"] }]);
    expect(lines[lines.length - 1]).toBe("deleted 11 of 12 resources found for tag nats-cluster; kept 1 (not deleted, see above): firewall company-ssh");
  });

  test("--yes on the tutorial's tag deletes its droplets, load balancer and tag only", async () => {
    expect(await run("nats", { yes: true })).toBe(0);
    expect(remaining(fixture.resources, fixture.tutorial)).toEqual([]);
    expect(remaining(fixture.resources, fixture.nats)).toHaveLength(fixture.nats.size);
    expect(lines[lines.length - 1]).toBe("deleted 4 of 4 resources found for tag nats");
  });

  describe("item 1: a firewall that also covers what is not ours is never deleted", () => {
    test("company-ssh (tags web and nats-cluster) loses only our tag, after our droplets are gone; web-1 keeps its firewall", async () => {
      expect(await run("nats-cluster", { yes: true })).toBe(0);
      expect(deletes()).not.toContain(`/v2/firewalls/${fixture.companySsh}`);
      const untag = fake.requests.filter((r) => r.path === `/v2/firewalls/${fixture.companySsh}/tags`);
      expect(untag).toEqual([expect.objectContaining({ method: "DELETE", body: JSON.stringify({ tags: ["nats-cluster"] }) })]);
      expect(deletes().indexOf(untag[0].path)).toBeGreaterThan(Math.max(...deletes().map((path, i) => (path.startsWith("/v2/droplets/") ? i : -1))));
      expect(coverage(fixture.resources).get("web-1")).toEqual(["company-ssh"]);
      expect(lines).toContain(`untagged firewall      company-ssh (${fixture.companySsh}): not ours, it also covers tag web; tag nats-cluster removed, the firewall kept`);
    });

    test("a firewall with only our tag that also lists a droplet by id is not ours either", async () => {
      const firewall = fixture.resources.firewalls.find((fw) => fw.name === "nats-cluster-fw")!;
      firewall.droplet_ids = [5_000_001];
      expect(await run("nats-cluster", { yes: true })).toBe(0);
      expect(deletes()).not.toContain(`/v2/firewalls/${firewall.id}`);
      expect(firewall).toEqual(expect.objectContaining({ tags: [], droplet_ids: [5_000_001] }));
      expect(lines).toContain(`untagged firewall      nats-cluster-fw (${firewall.id}): not ours, it also covers droplet 5000001; tag nats-cluster removed, the firewall kept`);
    });

    test("--region sweeps one region and keeps both firewalls and the tag while droplets elsewhere carry it", async () => {
      fixture.resources.droplets.push({ id: 6_000_001, name: "nats-far", region: { slug: "sfo3" }, tags: ["nats-cluster"], volume_ids: [] });
      expect(await run("nats-cluster", { region: "nyc3", yes: true })).toBe(0);
      expect(remaining(fixture.resources, fixture.nats).sort()).toEqual(["nats-cluster", "nats-cluster-fw"]);
      expect(fixture.resources.firewalls.find((fw) => fw.name === "company-ssh")!.tags).toEqual(["web", "nats-cluster"]);
      expect(lines).toContain(`kept     firewall      nats-cluster-fw (${idOf(fixture.nats, "nats-cluster-fw")}): it also covers nats-far in sfo3`);
      expect(lines).toContain(`kept     tag           nats-cluster (nats-cluster): still on 1 resource the sweep does not delete, the last one ${base}/v2/droplets/6000001`);
      expect(lines[lines.length - 1]).toBe("deleted 9 of 12 resources found for tag nats-cluster in nyc3; kept 3 (not deleted, see above): firewall nats-cluster-fw, firewall company-ssh, tag nats-cluster");
    });
  });

  describe("item 3: only a tag the API shows counts", () => {
    test("when the API ignores tag_name, prod-db (no tags field) and web-1 are listed by it but never swept", async () => {
      fake.ignoreTagName = true;
      expect(await run("nats-cluster", { yes: true })).toBe(0);
      expect(fixture.resources.droplets.map((d) => d.name)).toEqual(["nats-droplet-1", "nats-droplet-2", "web-1", "prod-db"]);
      expect(lines.join("\n")).not.toMatch(/prod-db|web-1|nats-droplet/);
    });

    test.each([
      ["null", null],
      ["a string holding the tag", "nats-cluster-old"],
      ["a list of other tags", ["nats-cluster-old", "web"]],
    ])("a droplet or volume whose tags field is %s is not ours", async (_what, tags) => {
      fake.ignoreTagName = true;
      fixture.resources.droplets.push({ id: 5_000_003, name: "odd-droplet", region: { slug: "nyc3" }, tags: tags as never, volume_ids: [] });
      fixture.resources.volumes.push({ id: randomUUID(), name: "odd-volume", region: { slug: "nyc3" }, tags: tags as never, droplet_ids: [] });
      expect(await run("nats-cluster", { yes: true })).toBe(0);
      expect(fixture.resources.droplets.map((d) => d.name)).toContain("odd-droplet");
      expect(fixture.resources.volumes.map((v) => v.name)).toContain("odd-volume");
    });
  });

  test("a volume with our tag attached to a droplet without it is kept (it is that droplet's disk), and so is the tag it carries", async () => {
    const volume = fixture.resources.volumes.find((v) => v.name === "nats-3-data")!;
    volume.droplet_ids = [5_000_001];
    expect(await run("nats-cluster", { yes: true })).toBe(0);
    expect(fixture.resources.volumes).toContain(volume);
    expect(lines).toContain(`kept     volume        nats-3-data (${volume.id}) in nyc3: attached to droplet 5000001, which does not carry tag nats-cluster`);
    expect(lines[lines.length - 1]).toBe("deleted 9 of 12 resources found for tag nats-cluster; kept 3 (not deleted, see above): volume nats-3-data, firewall company-ssh, tag nats-cluster");
  });

  test("a load balancer that targets our seed tag under another name is not the stack's and stays", async () => {
    const other = { id: randomUUID(), name: "someone-elses", region: { slug: "nyc3" }, tag: "nats-cluster-seed", droplet_ids: [] };
    fixture.resources.load_balancers.push(other);
    expect(await run("nats-cluster", { yes: true })).toBe(0);
    expect(fixture.resources.load_balancers).toContain(other);
    expect(remaining(fixture.resources, fixture.nats)).toEqual([]);
  });

  test("a stack's seed tag is refused before anything is deleted: it would take node 1 out of a running stack", async () => {
    await expect(run("nats-cluster-seed", { yes: true })).rejects.toThrow("tag nats-cluster-seed is the seed tag of the stack tagged nats-cluster (its node 1 carries both): sweep --tag nats-cluster to remove that stack");
    expect(deletes()).toEqual([]);
  });

  describe("item 4: the order is safe at every step", () => {
    const collection = (path: string): string => path.split("/")[2];

    test("load balancers, droplets (until gone), volumes, firewalls, tags", async () => {
      fake.lingeringGets = 2;
      expect(await run("nats-cluster", { yes: true })).toBe(0);
      expect(deletes().map(collection)).toEqual(["load_balancers", "load_balancers", "droplets", "droplets", "droplets", "volumes", "volumes", "volumes", "firewalls", "firewalls", "tags", "tags"]);
      // Each deleted droplet was looked at until it answered 404: its 2 lingering answers, then the 404.
      const looks = fake.requests.filter((r) => r.method === "GET" && /^\/v2\/droplets\/\d+$/.test(r.path));
      expect(looks).toHaveLength(9);
      expect(fake.requests.indexOf(looks[looks.length - 1])).toBeLessThan(fake.requests.findIndex((r) => r.method === "DELETE" && r.path.startsWith("/v2/volumes/")));
    });

    test("droplets that are not gone in time stop the sweep before the volumes and the firewall", async () => {
      fake.lingeringGets = 1_000_000;
      expect(await run("nats-cluster", { yes: true, dropletGoneTimeoutMs: 30 })).toBe(1);
      expect(deletes().map(collection)).toEqual(["load_balancers", "load_balancers", "droplets", "droplets", "droplets"]);
      expect(lines).toContain(`FAILED   droplet       nats-1 (${idOf(fixture.nats, "nats-1")}) in nyc3: still there 0.03 s after its delete`);
      expect(lines[lines.length - 1]).toBe("3 of 12 failed; stopped before the volumes, firewalls, tags, so that nothing is left exposed: run the sweep again");
    });

    test("a 429 or a 500 at any delete leaves every remaining droplet behind all its firewalls, says so, and a second run finishes", async () => {
      // Every delete of a clean run (the ids differ from account to account), failed in turn.
      for (let k = 0; k < 12; k++) {
        for (const status of [429, 500]) {
          await fake.stop();
          fixture = account();
          fake = new FakeDigitalOcean(TOKEN, fixture.resources);
          base = await fake.start();
          lines = [];
          const start = coverage(fixture.resources);
          const path = deletePathAt(fixture, k);
          fake.failures.set(`DELETE ${path}`, { status, message: status === 429 ? "Too many requests" : "Server Error" });
          expect([k, status, await run("nats-cluster", { yes: true })]).toEqual([k, status, 1]);
          expect(deletes()).toContain(path);
          for (const [droplet, firewalls] of coverage(fixture.resources)) expect([k, status, droplet, firewalls]).toEqual([k, status, droplet, start.get(droplet)]);
          expect(lines[lines.length - 1]).toMatch(/^1 of 12 failed(; stopped before the [a-z, ]+, so that nothing is left exposed)?: run the sweep again$/);
          fake.failures.clear();
          lines = [];
          expect([k, status, await run("nats-cluster", { yes: true })]).toEqual([k, status, 0]);
          expect(remaining(fixture.resources, fixture.nats)).toEqual([]);
        }
      }
    });

    test("a 500 while waiting for the droplets to be gone stops the sweep before the volumes and the firewall", async () => {
      fake.lingeringGets = 1;
      fake.failures.set(`GET /v2/droplets/${idOf(fixture.nats, "nats-2")}`, { status: 500, message: "Server Error" });
      expect(await run("nats-cluster", { yes: true })).toBe(1);
      expect(deletes().map(collection)).toEqual(["load_balancers", "load_balancers", "droplets", "droplets", "droplets"]);
      expect(lines).toContain(`FAILED   waiting for 3 droplets to be gone: GET /v2/droplets/${idOf(fixture.nats, "nats-2")} answered 500: Server Error`);
      expect(lines[lines.length - 1]).toBe("3 of 12 failed; stopped before the volumes, firewalls, tags, so that nothing is left exposed: run the sweep again");
    });

    /** The path of the k-th delete of a clean sweep of nats-cluster over `f` (the order the sweep must keep). */
    function deletePathAt(f: ReturnType<typeof account>, k: number): string {
      const id = (name: string): string => idOf(f.nats, name);
      return [
        `/v2/load_balancers/${id("nats-cluster-lb")}`,
        `/v2/load_balancers/${id("nats-cluster-seed")}`,
        ...[1, 2, 3].map((i) => `/v2/droplets/${id(`nats-${i}`)}`),
        ...[1, 2, 3].map((i) => `/v2/volumes/${id(`nats-${i}-data`)}`),
        `/v2/firewalls/${id("nats-cluster-fw")}`,
        `/v2/firewalls/${f.companySsh}/tags`,
        "/v2/tags/nats-cluster",
        "/v2/tags/nats-cluster-seed",
      ][k];
    }
  });

  describe("item 5: ids, and the network's text on the terminal", () => {
    test.each([
      ["droplet", (r: FakeResources) => r.droplets.push({ id: "..", name: "odd", region: { slug: "nyc3" }, tags: ["nats-cluster"], volume_ids: [] }), 'FAILED   droplet       odd (..) in nyc3: refused: ".." is not a droplet id (expected a positive integer)'],
      ["load balancer", (r: FakeResources) => r.load_balancers.push({ id: "..", name: "odd", region: { slug: "nyc3" }, tag: "nats-cluster", droplet_ids: [] }), 'FAILED   load balancer odd (..) in nyc3: refused: ".." is not a load balancer id (expected a UUID)'],
      ["volume", (r: FakeResources) => r.volumes.push({ id: "../droplets/5000001", name: "odd", region: { slug: "nyc3" }, tags: ["nats-cluster"], droplet_ids: [] }), 'FAILED   volume        odd (../droplets/5000001) in nyc3: refused: "../droplets/5000001" is not a volume id (expected a UUID)'],
      ["firewall", (r: FakeResources) => r.firewalls.push({ id: ".", name: "odd", tags: ["nats-cluster"], droplet_ids: [] }), 'FAILED   firewall      odd (.): refused: "." is not a firewall id (expected a UUID)'],
    ])("a %s id that is not the API's shape is refused, no request leaves its collection, and the sweep stops there", async (_kind, add, line) => {
      add(fixture.resources);
      expect(await run("nats-cluster", { yes: true })).toBe(1);
      expect(lines).toContain(line);
      expect(fake.requests.map((r) => r.path).filter((path) => !/^\/v2\/(droplets|load_balancers|volumes|firewalls|tags)(\/[^/.][^/]*(\/tags)?)?$/.test(path))).toEqual([]);
      expect(fixture.resources.droplets.map((d) => d.name)).toContain("web-1");
      // Whatever stopped, the nats droplets still there are behind their firewall.
      for (const droplet of fixture.resources.droplets.filter((d) => d.tags?.includes("nats-cluster"))) {
        expect(coverage(fixture.resources).get(droplet.name)).toContain("nats-cluster-fw");
      }
    });

    test("an API error body and resource names are printed with control characters escaped, the body bounded", async () => {
      fixture.resources.droplets.find((d) => d.name === "nats-2")!.name = `nats-2${ESC}]0;owned${ESC}\\`;
      fake.failures.set(`DELETE /v2/volumes/${idOf(fixture.nats, "nats-1-data")}`, { status: 500, message: `${ESC}]0;owned\x07${ESC}[2J${"x".repeat(5000)}` });
      expect(await run("nats-cluster", { yes: true })).toBe(1);
      const output = lines.join("\n");
      expect(output).not.toContain(ESC);
      expect(output).toContain("nats-2\\x1b]0;owned\\x1b\\ (");
      const failed = lines.find((line) => line.startsWith("FAILED"))!;
      expect(failed).toContain(`answered 500: \\x1b]0;owned\\x07\\x1b[2J${"x".repeat(186)}… (5014 characters)`);
      expect(failed.length).toBeLessThan(400);
    });
  });

  test("a failed list stops the sweep before any delete", async () => {
    fake.failures.set("GET /v2/firewalls", { status: 500, message: "Server Error" });
    await expect(run("nats-cluster", { yes: true })).rejects.toThrow("GET /v2/firewalls answered 500: Server Error");
    expect(deletes()).toEqual([]);
  });

  test("a next-page link to another host is refused: the token goes nowhere else", async () => {
    fake.nextOrigin = "http://127.0.0.2:9";
    await expect(run("nats-cluster")).rejects.toThrow("the next page is on another host (http://127.0.0.2:9); the token is only sent to");
    expect(fake.requests.every((r) => r.method === "GET")).toBe(true);
  });

  test.each([
    ["gone", "gone"],
    ["of 255 characters (it has no seed tag to look up)", "t".repeat(255)],
  ])("nothing carries the tag %s", async (_what, tag) => {
    expect(await run(tag, { yes: true })).toBe(0);
    expect(lines).toEqual([`nothing carries tag ${tag}`]);
  });

  describe("npm run sweep", () => {
    test("lists with DIGITALOCEAN_TOKEN and DIGITALOCEAN_API_URL and never prints the token", async () => {
      const cli = runScript("sweep", ["--tag", "nats"], { DIGITALOCEAN_TOKEN: TOKEN, DIGITALOCEAN_API_URL: base });
      expect(await cli.exited).toBe(0);
      const id = (name: string): string => idOf(fixture.tutorial, name);
      expect(cli.output()).toContain(
        `4 resources carry tag nats:\n  load balancer nats-lb (${id("nats-lb")}) in blr1\n  droplet       nats-droplet-1 (${id("nats-droplet-1")}) in blr1\n` +
          `  droplet       nats-droplet-2 (${id("nats-droplet-2")}) in blr1\n  tag           nats (nats)\n`,
      );
      expect(cli.output()).not.toContain(TOKEN);
      expect(deletes()).toEqual([]);
    });

    test("a rejected token exits 1 with a hint, without printing it", async () => {
      const wrong = `dop_v1_${randomBytes(32).toString("hex")}`;
      const cli = runScript("sweep", ["--tag", "nats", "--yes"], { DIGITALOCEAN_TOKEN: wrong, DIGITALOCEAN_API_URL: base });
      expect(await cli.exited).toBe(1);
      expect(cli.output()).toMatch(/^sweep: GET \/v2\/\w+(\/nats)? answered 401: Unable to authenticate you \(check DIGITALOCEAN_TOKEN: a valid personal access token\)$/m);
      expect(cli.output()).not.toContain(wrong);
      expect(deletes()).toEqual([]);
    });

    test("an API error body reaches the terminal escaped", async () => {
      fake.failures.set("GET /v2/volumes", { status: 500, message: `${ESC}]0;owned\x07${ESC}[2Jdown` });
      const cli = runScript("sweep", ["--tag", "nats"], { DIGITALOCEAN_TOKEN: TOKEN, DIGITALOCEAN_API_URL: base });
      expect(await cli.exited).toBe(1);
      expect(cli.output()).toContain("sweep: GET /v2/volumes answered 500: \\x1b]0;owned\\x07\\x1b[2Jdown");
      expect(cli.output()).not.toContain(ESC);
    });
  });
});

describe("npm run sweep refuses bad input with the usage and exit 2, before any API call", () => {
  afterEach(stopAllStarted);

  test.each([
    [["--tag", "nats; rm -rf /"], '--tag "nats; rm -rf /" is not a tag: expected 1 to 255 letters, digits, colons, dashes or underscores'],
    [["--tag", "${TfToken[TOKEN.1]}"], '--tag "${TfToken[TOKEN.1]}" is not a tag'],
    [["--tag", "nats", "--region", "NYC 3"], '--region "NYC 3" is not a region: expected a region slug such as nyc3, fra1 or blr1'],
    [["--region", "nyc3"], "--tag is required: the tag of the stack's droplets"],
    [["--tag", "nats", "--tag", "nats-cluster"], '--tag is given 2 times ("nats", "nats-cluster"): give it once'],
    [["--tag=nats", "--yes", "--tag=nats"], '--tag is given 2 times ("nats", "nats"): give it once'],
    [["--tag", "nats", "--region", "nyc3", "--region", "blr1"], '--region is given 2 times ("nyc3", "blr1"): give it once'],
  ])("%j", async (args, message) => {
    // A closed port: a CLI that got past its checks would fail to connect, never reach a real API.
    const cli = runScript("sweep", args, { DIGITALOCEAN_TOKEN: TOKEN, DIGITALOCEAN_API_URL: `http://127.0.0.1:${await closedPort()}` });
    expect(await cli.exited).toBe(2);
    expect(cli.output()).toContain(`sweep: ${message}`);
    expect(cli.output()).toContain("usage: npm run sweep -- --tag TAG");
    expect(cli.output()).not.toContain(TOKEN);
  });

  test.each([
    [{}, "DIGITALOCEAN_TOKEN is not set: export a DigitalOcean personal access token"],
    [{ DIGITALOCEAN_TOKEN: "a b" }, "DIGITALOCEAN_TOKEN holds spaces or control characters: paste the token alone"],
    [{ DIGITALOCEAN_TOKEN: TOKEN, DIGITALOCEAN_API_URL: "http://api.example.com" }, 'DIGITALOCEAN_API_URL "http://api.example.com" must be https (http only on loopback): the token travels with every call'],
  ])("%j", async (env, message) => {
    const cli = runScript("sweep", ["--tag", "nats"], env);
    expect(await cli.exited).toBe(2);
    expect(cli.output()).toContain(`sweep: ${message}`);
    expect(cli.output()).not.toContain(TOKEN);
  });
});
