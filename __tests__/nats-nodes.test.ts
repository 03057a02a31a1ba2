import { onlyResource, synthJson, testStack } from "./helpers";

/** Every `${type.name.` reference in a resource body. */
function references(body: unknown): string[] {
  return [...JSON.stringify(body).matchAll(/\$\{(?:[^}]*?)(digitalocean_droplet\.[\w-]+)\./g)].map((m) => m[1]);
}

describe("NatsNodes", () => {
  const json = synthJson(testStack({ nodeCount: 5, sshKeys: ["12345"], vpcUuid: "c1a5e5d0-1b2c-4d3e-8f90-123456789abc" }));
  const droplets = json.resource.digitalocean_droplet;

  test("construct IDs and names are stable: node-<n> and <prefix>-<n>", () => {
    expect(Object.keys(droplets)).toEqual([1, 2, 3, 4, 5].map((i) => expect.stringContaining(`_node-${i}_`)));
    expect(Object.values(droplets).map((d) => d.name)).toEqual(["nats-1", "nats-2", "nats-3", "nats-4", "nats-5"]);
  });

  test("only the seed is referenced by other droplets, so replacing any other node touches no other droplet", () => {
    const [seedId, ...rest] = Object.keys(droplets);
    for (const id of rest) {
      expect(references(droplets[id])).toEqual([`digitalocean_droplet.${seedId}`]);
    }
    expect(references(droplets[seedId])).toEqual([]);
  });

  test("passes region, size, image, ssh keys, vpc and the metrics agent through", () => {
    for (const d of Object.values(droplets)) {
      expect(d).toMatchObject({
        region: "nyc3",
        size: "s-1vcpu-1gb",
        image: "ubuntu-24-04-x64",
        ipv6: false,
        monitoring: true,
        ssh_keys: ["12345"],
        vpc_uuid: "c1a5e5d0-1b2c-4d3e-8f90-123456789abc",
      });
    }
  });

  test("tags every droplet through one digitalocean_tag resource", () => {
    expect(onlyResource(json, "digitalocean_tag")).toMatchObject({ name: "nats-cluster" });
    for (const d of Object.values(droplets)) expect(d.tags).toEqual([expect.stringMatching(/^\$\{digitalocean_tag\./)]);
  });

  test("installs nats-server 2.15.1 by default, from the pinned release", () => {
    for (const d of Object.values(droplets)) expect(d.user_data).toMatch(/^\s*version="2\.15\.1"$/m);
  });

  test.each(["2.11.0", "2.14.5", "2.99.0"])("accepts natsVersion %s, inside 2.11.0 up to (not including) 3.0.0", (natsVersion) => {
    const body = Object.values(synthJson(testStack({ natsVersion })).resource.digitalocean_droplet)[0];
    expect(body.user_data).toContain(`version="${natsVersion}"`);
  });
});
