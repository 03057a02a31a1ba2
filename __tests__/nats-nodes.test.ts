import { NATS_RELEASES, RELEASE_ARCHITECTURES, natsRelease } from "../facts/nats-releases";
import { Testing, TerraformStack } from "cdktf";
import { NatsNodes, nodeNames } from "../constructs/nats-nodes";
import { TerraformJson, resourcesOf, synthJson, testStack } from "./helpers";

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

  test("no droplet references another: nodes 2…n route to the seed load balancer, node 1 only to itself, so any node is replaced alone", () => {
    for (const body of Object.values(droplets)) expect(references(body)).toEqual([]);
    // Every node lists itself as localhost: the name routes verify TLS by (nats-tls.ts), and node 1's
    // configured route, which jetstream needs to start clustered and nats-server never dials.
    const self = '"nats://route:\\$\\{random_password\\.[\\w-]+\\.result\\}@localhost:6222"';
    const [first, ...others] = Object.values(droplets);
    expect(String(first.user_data)).toMatch(new RegExp(`routes: \\[${self}\\]\n`));
    for (const body of others) {
      expect(String(body.user_data)).toMatch(
        new RegExp(`routes: \\[${self}, "nats:\\/\\/route:\\$\\{random_password\\.[\\w-]+\\.result\\}@\\$\\{digitalocean_loadbalancer\\.cluster_seed-load-balancer_lb_\\w+\\.ip\\}:6222"\\]`),
      );
    }
  });

  test("without the seed load balancer (and jetstream) nodes 2…n route to node 1's private address and node 1 has no route but its TLS name", () => {
    const direct = synthJson(testStack({ nodeCount: 3, seedLoadBalancer: false, jetstream: false })).resource.digitalocean_droplet;
    const [seedId, ...rest] = Object.keys(direct);
    for (const id of rest) expect(references(direct[id])).toEqual([`digitalocean_droplet.${seedId}`]);
    expect(String(direct[seedId].user_data)).toMatch(/routes: \["nats:\/\/route:\$\{random_password\.[\w-]+\.result\}@localhost:6222"\]\n/);
    // Without TLS there is not even that.
    const plain = synthJson(testStack({ nodeCount: 3, seedLoadBalancer: false, jetstream: false, tls: false })).resource.digitalocean_droplet;
    expect(String(plain[Object.keys(plain)[0]].user_data)).not.toContain("routes:");
    // Their changes are left to the roll all the same (no deploy stops several droplets), and the roll refuses them.
    for (const d of Object.values(direct)) expect(d.lifecycle).toMatchObject({ ignore_changes: expect.arrayContaining(["user_data", "size"]) });
    // With jetstream and without TLS, node 1 lists itself all the same: jetstream needs a configured route.
    const stored = synthJson(testStack({ nodeCount: 3, seedLoadBalancer: false, tls: false })).resource.digitalocean_droplet;
    const [storedSeed, ...storedRest] = Object.keys(stored);
    expect(String(stored[storedSeed].user_data)).toMatch(/routes: \["nats:\/\/route:\$\{random_password\.[\w-]+\.result\}@localhost:6222"\]\n/);
    for (const id of storedRest) expect(references(stored[id])).toEqual([`digitalocean_droplet.${storedSeed}`]);
  });

  test("cdktf deploy leaves every change that stops a droplet to the roll, and shuts droplets down gracefully", () => {
    for (const d of Object.values(droplets)) {
      expect(d.lifecycle).toMatchObject({ ignore_changes: ["image", "region", "size", "ipv6", "ssh_keys", "user_data", "monitoring", "droplet_agent", "vpc_uuid"] });
      expect(d.graceful_shutdown).toBe(true);
    }
  });

  test("cdktf synth --hcl writes each droplet's lifecycle as blocks, the ignored arguments a list and the postcondition a block (cdktf 0.21 writes an attribute list Terraform rejects)", () => {
    // roll-terraform-real.test.ts has Terraform read this output; here, its exact text.
    const hcl = String(Testing.synthHcl(testStack({ nodeCount: 2 }), false));
    const lifecycles = [...hcl.matchAll(/^lifecycle \{\n[\s\S]*?\n\}\n\}$/gm)].map((match) => match[0]);
    expect(lifecycles).toHaveLength(2);
    lifecycles.forEach((lifecycle, index) =>
      expect(lifecycle).toBe(
        [
          "lifecycle {",
          "ignore_changes = [",
          ['"image"', '"region"', '"size"', '"ipv6"', '"ssh_keys"', '"user_data"', '"monitoring"', '"droplet_agent"', '"vpc_uuid"'].join(",\n"),
          "]",
          "postcondition {",
          'condition = "${self.region == "nyc3"}"',
          `error_message = "nats-${index + 1} has region \${self.region}, the configuration says nyc3: a region move needs a second cluster, not a roll: the volumes (and their JetStream data) and the load balancers cannot follow one droplet at a time, and nodes in two regions share no private network; deploy a second stack in the new region, move the clients, then destroy this one; or set region back to \${self.region}"`,
          "}",
          "}",
        ].join("\n"),
      ),
    );
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

  test("tags every droplet through the cluster's tag; node 1 alone also carries the seed tag", () => {
    const tags = json.resource.digitalocean_tag;
    expect(Object.values(tags).map((t) => t.name).sort()).toEqual(["nats-cluster", "nats-cluster-seed"]);
    const tagRef = (name: string): string => `\${digitalocean_tag.${Object.keys(tags).find((id) => tags[id].name === name)}.name}`;
    const [seed, ...rest] = Object.values(droplets);
    expect(seed.tags).toEqual([tagRef("nats-cluster"), tagRef("nats-cluster-seed")]);
    for (const d of rest) expect(d.tags).toEqual([tagRef("nats-cluster")]);
  });

  test("installs nats-server 2.15.0 by default, from the pinned release", () => {
    for (const d of Object.values(droplets)) expect(d.user_data).toMatch(/^\s*version="2\.15\.0"$/m);
  });

  test.each(NATS_RELEASES.map((release) => release.version))("accepts natsVersion %s, a listed release, and pins its checksums", (natsVersion) => {
    const body = Object.values(synthJson(testStack({ natsVersion })).resource.digitalocean_droplet)[0];
    expect(body.user_data).toContain(`version="${natsVersion}"`);
    for (const arch of RELEASE_ARCHITECTURES) expect(body.user_data).toContain(`sha256="${natsRelease(natsVersion)!.sha256[arch]}"`);
  });

  test.each(["2.99.0", "2.11.0", "2.15.1"])("refuses natsVersion %s: in the supported range but not a listed release, it would fail at boot", (natsVersion) => {
    expect(() => testStack({ natsVersion })).toThrow(
      new RegExp(`natsVersion "${natsVersion.replace(/\./g, "\\.")}" is not a release this project pins the checksums of: expected one of 2\\.11\\.17, 2\\.12\\.15, 2\\.14\\.5, 2\\.15\\.0`),
    );
  });

  test("downloads from nats-io's releases by default, from natsReleaseUrl when set", () => {
    const userData = (props: Parameters<typeof testStack>[0]): string => String(Object.values(synthJson(testStack(props)).resource.digitalocean_droplet)[0].user_data);
    expect(userData({})).toContain('base="https://github.com/nats-io/nats-server/releases/download/v$version"');
    expect(userData({ natsReleaseUrl: "https://mirror.example.com:8443/nats/releases" })).toContain('base="https://mirror.example.com:8443/nats/releases/v$version"');
  });

  test.each([
    "http://mirror.example.com/nats",
    "https://mirror.example.com/nats/",
    "https://user:pw@mirror.example.com/nats",
    "https://mirror.example.com/nats?x=1",
    "https://mirror.example.com/na$(id)ts",
    'https://mirror.example.com/na"ts',
    "https://mirror.example.com:99999/nats",
    "https://Mirror.example.com",
    "ftp://mirror.example.com",
    "mirror.example.com/nats",
  ])("refuses natsReleaseUrl %j", (natsReleaseUrl) => {
    expect(() => testStack({ natsReleaseUrl })).toThrow(`natsReleaseUrl ${JSON.stringify(natsReleaseUrl)} is not valid: expected an https url without credentials, query or trailing slash`);
  });
});

describe("NatsNodes' checks, on their edges", () => {
  const refused = (props: Parameters<typeof testStack>[0], message: string) => expect(() => testStack(props)).toThrow(`nats/cluster: ${message}`);

  test.each(["ubuntu-24-04-x64", "debian-12-x64", "12345"])("image %s: one the install script handles", (image) => {
    expect(() => testStack({ image })).not.toThrow();
  });

  test.each(["fedora-40-x64", "xubuntu-24-04-x64", "x12345"])("image %s: not an ubuntu or debian image", (image) => {
    refused({ image }, `image ${JSON.stringify(image)} is not an ubuntu or debian image: the install script uses apt and dpkg; expected e.g. ubuntu-24-04-x64 or debian-12-x64, or the numeric id of a debian-based snapshot`);
  });

  test.each(["12345x", "Bad Image!"])("image %s: malformed, reported once", (image) => {
    refused({ image }, `image ${JSON.stringify(image)} is not valid: expected an image slug such as ubuntu-24-04-x64 or a numeric image id`);
  });

  test.each([
    ["SHA256:abc", 'sshKeys[0] "SHA256:abc" is a SHA256 fingerprint, but DigitalOcean wants the MD5 fingerprint or the key id: print it with `ssh-keygen -E md5 -lf key.pub` (without the MD5: prefix)'],
    ["md5:3b:16", 'sshKeys[0] "md5:3b:16" starts with MD5: as ssh-keygen prints it: remove the prefix'],
    ["xSHA256:abc", 'sshKeys[0] "xSHA256:abc" is not valid: expected a numeric key id or an md5 fingerprint such as 3b:16:...:8f'],
    ["xMD5:3b", 'sshKeys[0] "xMD5:3b" is not valid: expected a numeric key id or an md5 fingerprint such as 3b:16:...:8f'],
  ])("ssh key %s", (key, message) => {
    refused({ sshKeys: [key] }, message);
  });

  test.each(["xc1a5e5d0-1b2c-4d3e-8f90-123456789abc", "c1a5e5d0-1b2c-4d3e-8f90-123456789abcx"])("vpcUuid %s: not a VPC uuid", (vpcUuid) => {
    refused({ vpcUuid }, `vpcUuid ${JSON.stringify(vpcUuid)} is not valid: expected a VPC uuid`);
  });

  test("names: <prefix>-<n>, nats and 3 nodes by default", () => {
    expect(nodeNames({})).toEqual(["nats-1", "nats-2", "nats-3"]);
    expect(nodeNames({ namePrefix: "edge", nodeCount: 2 })).toEqual(["edge-1", "edge-2"]);
  });

  test("a droplet without a VPC has the region postcondition only; the cluster port is 6222 by default", () => {
    const stack = new TerraformStack(Testing.app(), "s");
    const nodes = new NatsNodes(stack, "nodes", { nodeCount: 1, natsVersion: "2.15.0" });
    expect(nodes.clusterPort).toBe(6222);
    const [droplet] = resourcesOf(JSON.parse(Testing.synth(stack)) as TerraformJson, "digitalocean_droplet") as { lifecycle: { postcondition: unknown[] } }[];
    expect(droplet.lifecycle.postcondition).toEqual([expect.objectContaining({ condition: '${self.region == "nyc3"}' })]);
  });

  test("NatsNodes checks its own props, and refuses certificates for another number of nodes", () => {
    expect(() => new NatsNodes(new TerraformStack(Testing.app(), "s"), "nodes", { nodeCount: 0 })).toThrow(/^s\/nodes: nodeCount must be an integer from 1 to/);
    const certificates = { caCertPem: "ca", routeName: "localhost", nodes: [{ certPem: "c", privateKeyPem: "k" }] };
    expect(() => new NatsNodes(new TerraformStack(Testing.app(), "s"), "nodes", { nodeCount: 2, certificates } as never)).toThrow("s/nodes: certificates has 1 node certificates for 2 nodes");
    expect(() => new NatsNodes(new TerraformStack(Testing.app(), "s"), "nodes", { certificates } as never)).toThrow("s/nodes: certificates has 1 node certificates for 3 nodes");
  });
});
