import { DropletResource, FirewallJson, StackResources, tagName } from "../resources";
import { Finding, PolicyRule } from "../rule";

/** True when `firewall` applies to `droplet`, through one of its tags or its id. */
function covers(resources: StackResources, firewall: FirewallJson, droplet: DropletResource): boolean {
  const dropletTags = new Set((droplet.config.tags ?? []).map((tag) => tagName(resources, tag)));
  const byTag = (firewall.tags ?? []).some((tag) => dropletTags.has(tagName(resources, tag)));
  const byId = (firewall.droplet_ids ?? []).includes(`\${${droplet.address}.id}`);
  return byTag || byId;
}

/** NATS-002: every droplet sits behind a cloud firewall; without one all its ports are public. */
export const dropletWithoutFirewall: PolicyRule = {
  id: "NATS-002",
  level: "error",
  description: "every droplet is covered by a digitalocean_firewall (by tag or id)",
  check: (resources) =>
    resources.droplets
      .filter((droplet) => !resources.firewalls.some((firewall) => covers(resources, firewall.config, droplet)))
      .map(
        (droplet): Finding => ({
          construct: droplet.construct,
          message:
            `${droplet.address} is not covered by any firewall, so every port it listens on ` +
            "(client, cluster, monitor, ssh) is open to the internet: add a firewall for its tag (firewall: true)",
        }),
      ),
};
