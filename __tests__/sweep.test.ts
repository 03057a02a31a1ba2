import { randomBytes } from "node:crypto";
import { DigitalOceanClient } from "../sweep/digitalocean";
import { sweep } from "../sweep/sweep";
import { FakeDigitalOcean, type FakeResources } from "./fake-digitalocean";
import { runScript, stopAllStarted } from "./verify-support";

// Integration test: a fake DigitalOcean API on loopback, and the sweep CLI as a process.
jest.setTimeout(60_000);

const TOKEN = `dop_v1_${randomBytes(32).toString("hex")}`;

/** Two clusters in one account: tag "nats" in blr1 and nyc3, tag "other" in nyc3. */
function account(): FakeResources {
  return {
    droplets: [
      { id: 11, name: "nats-droplet-1", region: { slug: "blr1" }, tags: ["nats"] },
      { id: 12, name: "nats-droplet-2", region: { slug: "blr1" }, tags: ["nats"] },
      { id: 13, name: "nats-droplet-3", region: { slug: "blr1" }, tags: ["nats", "extra"] },
      { id: 14, name: "nats-far", region: { slug: "nyc3" }, tags: ["nats"] },
      { id: 21, name: "other-1", region: { slug: "nyc3" }, tags: ["other"] },
    ],
    load_balancers: [
      { id: "lb-nats", name: "nats-lb", region: { slug: "blr1" }, tag: "nats" },
      { id: "lb-other", name: "other-lb", region: { slug: "nyc3" }, tag: "other" },
    ],
    firewalls: [
      { id: "fw-nats", name: "nats-fw", tags: ["nats"] },
      { id: "fw-other", name: "other-fw", tags: ["other"] },
    ],
    volumes: [
      { id: "vol-nats", name: "nats-data-1", region: { slug: "blr1" }, tags: ["nats"] },
      { id: "vol-other", name: "other-data-1", region: { slug: "nyc3" }, tags: ["other"] },
      { id: "vol-untagged", name: "scratch", region: { slug: "blr1" }, tags: [] },
    ],
  };
}

describe("sweep against a fake DigitalOcean API", () => {
  let fake: FakeDigitalOcean;
  let base: string;
  let lines: string[];

  beforeEach(async () => {
    fake = new FakeDigitalOcean(TOKEN, account());
    fake.pageSize = 2;
    base = await fake.start();
    lines = [];
  });

  afterEach(async () => {
    await fake.stop();
    await stopAllStarted();
  });

  const run = (tag: string, extra: { region?: string; yes?: boolean } = {}): Promise<number> =>
    sweep(new DigitalOceanClient(base, TOKEN), { tag, ...extra, print: (line) => lines.push(line) });
  const deletes = (): string[] => fake.requests.filter((r) => r.method === "DELETE").map((r) => r.path);

  test("without --yes it lists every resource carrying the tag, across pages, and deletes nothing", async () => {
    expect(await run("nats")).toBe(0);
    expect(lines).toEqual([
      "7 resources carry tag nats:",
      "  load balancer nats-lb (lb-nats) in blr1",
      "  firewall      nats-fw (fw-nats)",
      "  droplet       nats-droplet-1 (11) in blr1",
      "  droplet       nats-droplet-2 (12) in blr1",
      "  droplet       nats-droplet-3 (13) in blr1",
      "  droplet       nats-far (14) in nyc3",
      "  volume        nats-data-1 (vol-nats) in blr1",
      "nothing deleted: run again with --yes to delete them",
    ]);
    expect(deletes()).toEqual([]);
    // 4 droplets with the tag at 2 a page: 2 pages; 3 volumes: 2 pages.
    expect(fake.requests.filter((r) => r.path === "/v2/droplets")).toHaveLength(2);
    expect(fake.requests.filter((r) => r.path === "/v2/volumes")).toHaveLength(2);
  });

  test("--yes deletes load balancers, firewalls, droplets, then volumes, and nothing of another tag", async () => {
    expect(await run("nats", { yes: true })).toBe(0);
    expect(deletes()).toEqual(["/v2/load_balancers/lb-nats", "/v2/firewalls/fw-nats", "/v2/droplets/11", "/v2/droplets/12", "/v2/droplets/13", "/v2/droplets/14", "/v2/volumes/vol-nats"]);
    expect(lines[lines.length - 1]).toBe("deleted 7 resources carrying tag nats");
    expect(fake.resources.droplets.map((d) => d.id)).toEqual([21]);
    expect(fake.resources.volumes.map((v) => v.id)).toEqual(["vol-other", "vol-untagged"]);
  });

  test("--region sweeps one region and keeps a firewall that still covers droplets elsewhere", async () => {
    expect(await run("nats", { region: "blr1", yes: true })).toBe(0);
    expect(deletes()).toEqual(["/v2/load_balancers/lb-nats", "/v2/droplets/11", "/v2/droplets/12", "/v2/droplets/13", "/v2/volumes/vol-nats"]);
    expect(lines[0]).toBe("kept firewall nats-fw (fw-nats): it also covers nats-far in nyc3");
  });

  test("a failed delete is reported, the rest still go, and the status is 1", async () => {
    fake.failures.set("DELETE /v2/volumes/vol-nats", { status: 409, message: "volume is attached to a droplet" });
    expect(await run("nats", { yes: true })).toBe(1);
    expect(lines).toContain("FAILED  volume        nats-data-1 (vol-nats) in blr1: DELETE /v2/volumes/vol-nats answered 409: volume is attached to a droplet");
    expect(lines[lines.length - 1]).toBe("1 of 7 deletes failed; run the sweep again (a volume can be deleted once its droplet is gone)");
    expect(deletes()).toHaveLength(7);
  });

  test("a failed list stops the sweep before any delete", async () => {
    fake.failures.set("GET /v2/firewalls", { status: 500, message: "Server Error" });
    await expect(run("nats", { yes: true })).rejects.toThrow("GET /v2/firewalls answered 500: Server Error");
    expect(deletes()).toEqual([]);
  });

  test("a next-page link to another host is refused: the token goes nowhere else", async () => {
    fake.nextOrigin = "http://127.0.0.2:9";
    await expect(run("nats")).rejects.toThrow("the next page is on another host (http://127.0.0.2:9); the token is only sent to");
    expect(fake.requests.every((r) => r.method === "GET")).toBe(true);
  });

  test("nothing carries the tag", async () => {
    expect(await run("gone", { yes: true })).toBe(0);
    expect(lines).toEqual(["nothing carries tag gone"]);
  });

  describe("npm run sweep", () => {
    test("lists with DIGITALOCEAN_TOKEN and DIGITALOCEAN_API_URL and never prints the token", async () => {
      const cli = runScript("sweep", ["--tag", "other"], { DIGITALOCEAN_TOKEN: TOKEN, DIGITALOCEAN_API_URL: base });
      expect(await cli.exited).toBe(0);
      expect(cli.output()).toContain("4 resources carry tag other:\n  load balancer other-lb (lb-other) in nyc3\n  firewall      other-fw (fw-other)\n  droplet       other-1 (21) in nyc3\n  volume        other-data-1 (vol-other) in nyc3\n");
      expect(cli.output()).not.toContain(TOKEN);
      expect(deletes()).toEqual([]);
    });

    test("a rejected token exits 1 with a hint, without printing it", async () => {
      const wrong = `dop_v1_${randomBytes(32).toString("hex")}`;
      const cli = runScript("sweep", ["--tag", "nats", "--yes"], { DIGITALOCEAN_TOKEN: wrong, DIGITALOCEAN_API_URL: base });
      expect(await cli.exited).toBe(1);
      expect(cli.output()).toMatch(/^sweep: GET \/v2\/\w+ answered 401: Unable to authenticate you \(check DIGITALOCEAN_TOKEN: a valid personal access token\)$/m);
      expect(cli.output()).not.toContain(wrong);
      expect(deletes()).toEqual([]);
    });
  });
});

describe("npm run sweep refuses bad input with the usage and exit 2, before any API call", () => {
  afterEach(stopAllStarted);

  test.each([
    [["--tag", "nats; rm -rf /"], { DIGITALOCEAN_TOKEN: TOKEN }, '--tag "nats; rm -rf /" is not a tag: expected 1 to 255 letters, digits, colons, dashes or underscores'],
    [["--tag", "${TfToken[TOKEN.1]}"], { DIGITALOCEAN_TOKEN: TOKEN }, '--tag "${TfToken[TOKEN.1]}" is not a tag'],
    [["--tag", "nats", "--region", "NYC 3"], { DIGITALOCEAN_TOKEN: TOKEN }, '--region "NYC 3" is not a region: expected a region slug such as nyc3, fra1 or blr1'],
    [["--region", "nyc3"], { DIGITALOCEAN_TOKEN: TOKEN }, "--tag is required: the tag of the stack's droplets"],
    [["--tag", "nats"], {}, "DIGITALOCEAN_TOKEN is not set: export a DigitalOcean personal access token"],
    [["--tag", "nats"], { DIGITALOCEAN_TOKEN: "a b" }, "DIGITALOCEAN_TOKEN holds spaces or control characters: paste the token alone"],
    [["--tag", "nats"], { DIGITALOCEAN_TOKEN: TOKEN, DIGITALOCEAN_API_URL: "http://api.example.com" }, 'DIGITALOCEAN_API_URL "http://api.example.com" must be https (http only on loopback): the token travels with every call'],
  ])("%j %j", async (args, env, message) => {
    const cli = runScript("sweep", args, env);
    expect(await cli.exited).toBe(2);
    expect(cli.output()).toContain(`sweep: ${message}`);
    expect(cli.output()).toContain("usage: npm run sweep -- --tag TAG");
    expect(cli.output()).not.toContain(TOKEN);
  });
});
