import { readNodeConfig } from "../twin/cloud-config";
import { privilegedPortProblem } from "../twin/unit-ports";
import { resourcesOf, synthJson, testStack } from "./helpers";

// The twin runs nats-server as root, where any port binds; privilegedPortProblem stands in for
// Linux on the droplet (see its comment for where the model could differ).

const PORTS = { client: 4222, monitor: 8222, cluster: 6222 };

describe("privilegedPortProblem", () => {
  test("the nats user without the capability cannot bind 443 or 80: the problem names the unit, the user and each port", () => {
    expect(privilegedPortProblem("nats-2", { user: "nats" }, { client: 443, monitor: 80, cluster: 6222 })).toBe(
      "the unit of nats-2 runs nats-server as nats without CAP_NET_BIND_SERVICE, so on the droplet it cannot bind the client port 443 " +
        'or the monitor port 80 (ports below 1024 need it): the droplet would fail with "bind: permission denied", so the twin refuses to boot it',
    );
  });

  test.each([
    ["ports from 1024", { user: "nats" }, { client: 1024, monitor: 65535, cluster: undefined }],
    ["root, systemd's default user", {}, { ...PORTS, client: 443 }],
    ["User=root", { user: "root" }, { ...PORTS, client: 443 }],
    ["User=0", { user: "0" }, { ...PORTS, client: 443 }],
    ["the capability among others", { user: "nats", ambientCapabilities: "CAP_CHOWN CAP_NET_BIND_SERVICE" }, { ...PORTS, monitor: 80 }],
  ])("no problem with %s", (_description, unit, ports) => {
    expect(privilegedPortProblem("nats-1", unit, ports)).toBeUndefined();
  });

  test("another capability does not allow it; port 1023 is refused", () => {
    expect(privilegedPortProblem("nats-1", { user: "nats", ambientCapabilities: "CAP_NET_RAW" }, { ...PORTS, cluster: 1023 })).toMatch(/cannot bind the cluster port 1023 /);
  });

  test("the synthesized unit is the one modelled: User=nats and no ambient capabilities", () => {
    const userData = String(resourcesOf(synthJson(testStack()), "digitalocean_droplet")[0].user_data);
    expect(readNodeConfig(userData, "nats-1")).toMatchObject({ user: "nats", ambientCapabilities: undefined });
  });
});
