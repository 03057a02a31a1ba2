import { renderCloudInit } from "../../constructs/cloud-init";
import { natsServerPorts, portRangeIncludes } from "../../policy";

describe("reading the synthesized resources", () => {
  test("ports come from the nats-server command line in the rendered cloud-init", () => {
    const userData = renderCloudInit({ serverName: "n-1", clusterName: "c", clientPort: 4333, monitorPort: 8333, clusterPort: 6333, natsVersion: "2.10.24" });
    expect(natsServerPorts(userData)).toEqual({ clusterName: "c", client: 4333, monitor: 8333, cluster: 6333, clientTls: false });
  });

  test("without -m there is no monitor port; without -p nats-server uses 4222", () => {
    expect(natsServerPorts("ExecStart=/bin/sh -c 'exec nats-server --cluster nats://$PRIVATE_IP:6222'")).toEqual({
      clusterName: undefined,
      client: 4222,
      monitor: undefined,
      clientTls: false,
      cluster: 6222,
    });
  });

  test("user data without a nats-server command line is not a nats node", () => {
    expect(natsServerPorts("#cloud-config\npackages: [nats-server]\nruncmd:\n  - install -m 0755 a b\n")).toBeUndefined();
    expect(natsServerPorts(undefined)).toBeUndefined();
  });

  test.each([
    [undefined, 22, true],
    ["all", 8222, true],
    ["22", 22, true],
    ["22", 23, false],
    ["6000-6999", 6222, true],
    ["6000-6999", 7000, false],
    ["${var.ports}", 22, false],
  ])("port range %p includes %d: %p", (range, port, expected) => {
    expect(portRangeIncludes(range, port)).toBe(expected);
  });
});
