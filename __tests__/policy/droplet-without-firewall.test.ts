import { Token } from "cdktf";
import { Droplet } from "@cdktf/provider-digitalocean/lib/droplet";
import { Firewall } from "@cdktf/provider-digitalocean/lib/firewall";
import { ADDRESS, acknowledgeHint, natsStack, ruleAnnotations } from "./annotations";

describe("NATS-002 droplet without firewall", () => {
  test("compliant: the firewall covers every node through the tag resource", () => {
    expect(ruleAnnotations(natsStack(), "NATS-002")).toEqual([]);
  });

  test("compliant: a firewall naming the tag literally or the droplet by id also covers it", () => {
    const stack = natsStack({ firewall: false, nodeCount: 1, readinessGate: false });
    new Firewall(stack, "by-name", { name: "by-name", tags: ["nats-cluster"] });
    const extra = new Droplet(stack, "extra", { name: "extra", image: "ubuntu-24-04-x64", size: "s-1vcpu-1gb", region: "nyc3" });
    new Firewall(stack, "by-id", { name: "by-id", dropletIds: [Token.asNumber(extra.id)] });
    expect(ruleAnnotations(stack, "NATS-002")).toEqual([]);
  });

  test("non-compliant: no firewall at all leaves every droplet open", () => {
    const found = ruleAnnotations(natsStack({ firewall: false }), "NATS-002");
    expect(found.map((a) => [a.level, a.path])).toEqual([
      ["error", "cluster/nodes/node-1"],
      ["error", "cluster/nodes/node-2"],
      ["error", "cluster/nodes/node-3"],
    ]);
    expect(found.map((a) => a.message)).toEqual(
      ([1, 2, 3] as const).map(
        (n) =>
          `[NATS-002] ${ADDRESS.node(n)} is not covered by any firewall, so every port it listens on (client, cluster, monitor, ssh) ` +
          "is open to the internet: add a firewall for its tag (firewall: true)" +
          acknowledgeHint("NATS-002"),
      ),
    );
  });

  test("compliant: a firewall naming several tags covers a droplet that has one of them", () => {
    const stack = natsStack({ nodeCount: 1, readinessGate: false });
    new Droplet(stack, "web", { name: "web", image: "ubuntu-24-04-x64", size: "s-1vcpu-1gb", region: "nyc3", tags: ["web"] });
    new Firewall(stack, "web-and-db", { name: "web-and-db", tags: ["db", "web"] });
    expect(ruleAnnotations(stack, "NATS-002")).toEqual([]);
  });

  test("non-compliant: a firewall for another tag does not cover the nodes", () => {
    const stack = natsStack({ firewall: false, nodeCount: 1, readinessGate: false });
    new Firewall(stack, "other", { name: "other", tags: ["web"] });
    expect(ruleAnnotations(stack, "NATS-002")).toHaveLength(1);
  });
});
