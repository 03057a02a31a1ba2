import { renderCloudInit } from "../../constructs/cloud-init";
import { natsServerPorts, portRangeIncludes } from "../../policy";

describe("reading the synthesized resources", () => {
  test("ports come from the nats-server command line in the rendered cloud-init", () => {
    const userData = renderCloudInit({ serverName: "n-1", clusterName: "c", clientPort: 4333, monitorPort: 8333, clusterPort: 6333, natsVersion: "2.14.5" });
    expect(natsServerPorts(userData)).toEqual({ clusterName: "c", client: 4333, monitor: 8333, cluster: 6333, clientTls: false, jetstream: false });
  });

  test("without -m there is no monitor port; without -p nats-server uses 4222", () => {
    expect(natsServerPorts("ExecStart=/bin/sh -c 'exec nats-server --cluster nats://$PRIVATE_IP:6222'")).toEqual({
      clusterName: undefined,
      client: 4222,
      monitor: undefined,
      clientTls: false,
      jetstream: false,
      cluster: 6222,
    });
  });

  test("user data without a nats-server command line is not a nats node", () => {
    expect(natsServerPorts("#cloud-config\npackages: [nats-server]\nruncmd:\n  - install -m 0755 a b\n")).toBeUndefined();
    expect(natsServerPorts(undefined)).toBeUndefined();
  });

  test("the long flag names count as the short ones, with any spacing, up to the end of the command line", () => {
    const line = "ExecStart=/bin/sh -c 'exec nats-server --port 4333 --http_port   8333 --cluster_name c --cluster_advertise 10.0.0.5:6333' --port 1";
    expect(natsServerPorts(line)).toEqual({ clusterName: "c", client: 4333, monitor: 8333, cluster: 6333, clientTls: false, jetstream: false });
  });

  test("the cluster port is the number at the end of the --cluster URL, not one inside it", () => {
    expect(natsServerPorts("nats-server --cluster nats://10.0.0.5:6333/x")?.cluster).toBeUndefined();
    expect(natsServerPorts("nats-server --cluster nats://10.0.0.5:6333")?.cluster).toBe(6333);
    expect(natsServerPorts("nats-server --cluster_advertise 10.0.0.5")?.cluster).toBeUndefined();
  });

  test.each([
    [undefined, 22, true],
    [" 22 ", 22, true],
    ["x22", 22, false],
    ["22x", 22, false],
    ["6000-6999x", 6222, false],
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
