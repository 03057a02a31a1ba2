import { dependenciesOf, labelOf } from "../plan/references";
import { Resource } from "../helpers/tf-json";
import { planOf } from "./plan-fixtures";

// Unit test: every plan is a literal parsed in-process, nothing is synthesized.

describe("labelOf: how a review names a value that refers to a resource", () => {
  const plan = planOf({
    digitalocean_tag: { t: { name: "nats" } },
    digitalocean_firewall: { f: { name: "nats-fw" } },
    digitalocean_droplet: { a: { name: "n-1" }, unnamed: {} },
    digitalocean_loadbalancer: { lb: { name: "nats-lb" } },
    digitalocean_vpc: { net: { name: "nats-net" } },
  });

  test.each([
    ["${digitalocean_tag.t.name}", "tag nats"],
    ["${digitalocean_firewall.f.id}", "firewall nats-fw"],
    ["${digitalocean_droplet.a.id}", "droplet n-1"],
    ["${digitalocean_droplet.unnamed.id}", "droplet unnamed"],
    ["${digitalocean_loadbalancer.lb.id}", "load balancer nats-lb"],
    ["${digitalocean_vpc.net.id}", "digitalocean_vpc nats-net"],
  ])("a value that is only the reference %s is shown as %s", (value, label) => {
    expect(labelOf(value, plan)).toBe(label);
  });

  test.each([
    ["a literal", "10.0.0.0/8"],
    ["text before the reference", "tag: ${digitalocean_tag.t.name}"],
    ["text after the reference", "${digitalocean_tag.t.name} (nats)"],
    ["two references", "${digitalocean_tag.t.name}${digitalocean_firewall.f.id}"],
    ["a variable", "${var.admin_cidr}"],
    ["a resource the plan does not have", "${digitalocean_tag.gone.name}"],
  ])("a value with %s is shown as it is", (_label, value) => {
    expect(labelOf(value, plan)).toBe(value);
  });
});

describe("dependenciesOf: what a resource waits for in the deploy", () => {
  const plan = planOf({
    digitalocean_tag: { t: { name: "nats" } },
    digitalocean_volume: { v: { name: "data" } },
    digitalocean_droplet: {
      a: {
        name: "n-1",
        tags: ["${digitalocean_tag.t.id}"],
        user_data: "self ${digitalocean_droplet.a.name}, tag ${digitalocean_tag.t.name}",
        depends_on: ["digitalocean_volume.v", "digitalocean_tag.t", "digitalocean_droplet.a", "module.gone", 7],
      },
      b: { name: "n-2", depends_on: "digitalocean_volume.v" },
    },
  });
  const resource = (address: string): Resource => plan.resources.find((r) => r.address === address) as Resource;
  const known = new Set(plan.resources.map((r) => r.address));

  test("its references, then its depends_on, each once, never itself and only resources of the plan", () => {
    expect(dependenciesOf(resource("digitalocean_droplet.a"), known)).toEqual(["digitalocean_tag.t", "digitalocean_volume.v"]);
  });

  test("a depends_on that is not a list adds nothing", () => {
    expect(dependenciesOf(resource("digitalocean_droplet.b"), known)).toEqual([]);
  });
});
