import { parse } from "yaml";
import { CloudInitProps, natsServerFlags, renderCloudInit } from "../constructs/cloud-init";
import { DEFAULT_STACK, TUTORIAL_STACK } from "../constructs/stacks";
import { resourcesOf, synthJson, testStack, unitOf } from "./helpers";

const SEED_REF = "${digitalocean_droplet.cluster_nodes_node-1_9627E290.ipv4_address_private}";
const BASE: CloudInitProps = {
  serverName: "nats-1",
  clusterName: "nats",
  clientPort: 4222,
  monitorPort: 8222,
  clusterPort: 6222,
  natsVersion: "2.15.0",
};

interface CloudConfig {
  write_files: { path: string; content: string; permissions: string; owner?: string }[];
  runcmd: string[][];
  bootcmd: string[][];
  users: unknown[];
}

function execStart(userData: string): string {
  return /^ExecStart=(.*)$/m.exec(unitOf(userData))![1];
}

describe("rendered cloud-init", () => {
  const seed = renderCloudInit(BASE);
  const other = renderCloudInit({ ...BASE, serverName: "nats-2", seedAddress: SEED_REF });

  test("seed node", () => {
    expect(seed).toMatchSnapshot();
  });

  test("non-seed node", () => {
    expect(other).toMatchSnapshot();
  });

  test("is a #cloud-config YAML document", () => {
    for (const doc of [seed, other]) {
      expect(doc.startsWith("#cloud-config\n")).toBe(true);
      const config = parse(doc) as CloudConfig;
      expect(config.write_files.map((f) => f.path)).toEqual([
        "/usr/local/sbin/install-nats-server",
        "/etc/systemd/system/nats-server.service",
        "/etc/nats/nats-server.conf",
      ]);
      expect(config.runcmd).toContainEqual(["systemctl", "enable", "nats-server.service"]);
    }
  });

  test("the seed has no routes; other nodes route to the seed's private address", () => {
    expect(execStart(seed)).not.toContain("--routes");
    expect(execStart(other)).toContain(`--routes nats://${SEED_REF}:6222`);
  });

  test("unit carries the cluster flags and the node's own address from the environment", () => {
    expect(execStart(other)).toBe(
      "/bin/sh -c 'exec nats-server --config nats-server.conf --server_name nats-2 -a $PRIVATE_IP -p 4222 -m 8222 " +
        "--cluster_name nats --cluster nats://$PRIVATE_IP:6222 --cluster_advertise $PRIVATE_IP:6222 " +
        `--routes nats://${SEED_REF}:6222 --no_advertise'`,
    );
    const unit = unitOf(other);
    expect(unit).toContain("EnvironmentFile=/etc/nats/node.env");
    expect(unit).toContain("User=nats");
    expect(unit).toContain("KillSignal=SIGUSR2");
    expect(unit).toContain("Restart=on-failure");
    expect(unit).toContain("ProtectSystem=strict");
    expect(unit).toContain("NoNewPrivileges=true");
    expect(unit).toMatch(/^LimitNOFILE=\d{5,}$/m);
    expect(unit).toContain("WantedBy=multi-user.target");
  });

  test("a unit that keeps failing settles as failed: its restarts reach the start limit", () => {
    // Models systemd's start rate limit: more than StartLimitBurst starts within
    // StartLimitIntervalSec fail the unit ("start-limit-hit") instead of restarting it. Starts
    // come at least RestartSec apart, plus the time a failing start takes (here taken as none,
    // the fastest failure: node.env missing). systemd's defaults are 5 starts in 10 s.
    const unit = unitOf(seed);
    const seconds = (key: string, fallback: number): number => Number(new RegExp(`^${key}=(\\d+)$`, "m").exec(unit)?.[1] ?? fallback);
    const burst = seconds("StartLimitBurst", 5);
    const interval = seconds("StartLimitIntervalSec", 10);
    const restartSec = seconds("RestartSec", 0.1);
    expect(unit).toMatch(/^Restart=on-failure$/m);
    // burst + 1 starts (the one that hits the limit) must fit in the interval.
    expect(burst * restartSec).toBeLessThan(interval);
    // …with room for a start that takes a few seconds to fail (5 s each here).
    expect(burst * (restartSec + 5)).toBeLessThan(interval);
    // [Unit] options: in [Service] systemd ignores them with a warning.
    expect(/\[Unit\]([\s\S]*?)\[Service\]/.exec(unit)![1]).toMatch(/^StartLimitIntervalSec=\d+\nStartLimitBurst=\d+$/m);
  });

  test("systemd stop: lame duck first, killed 30 s after the lame-duck duration", () => {
    const confOf = (doc: string): string => (parse(doc) as CloudConfig).write_files.find((f) => f.path === "/etc/nats/nats-server.conf")!.content;
    expect(unitOf(seed)).toMatch(/^KillSignal=SIGUSR2\nTimeoutStopSec=60$/m);
    expect(confOf(seed)).toContain('lame_duck_duration: "30s"');
    const slow = renderCloudInit({ ...BASE, lameDuckSeconds: 45 });
    expect(unitOf(slow)).toMatch(/^TimeoutStopSec=75$/m);
    expect(confOf(slow)).toContain('lame_duck_duration: "45s"');
  });

  test("own address comes from the metadata service at boot, retried on every error for a bounded time", () => {
    const boot = (parse(seed) as CloudConfig).bootcmd.flat().join(" ");
    expect(boot).toContain("http://169.254.169.254/metadata/v1/interfaces/private/0/ipv4/address");
    expect(boot).toContain("PRIVATE_IP=");
    const curls = boot.match(/curl [^)]*/g)!;
    expect(curls).toHaveLength(2);
    // --retry-connrefused alone gives up on "network unreachable" (exit 7) before the network is up.
    for (const curl of curls) expect(curl).toMatch(/ --retry-all-errors --retry-max-time 120 /);
  });

  test("release install is checked against the SHA-256 pinned in the plan, never a checksum file from the mirror", () => {
    const script = (parse(seed) as CloudConfig).write_files[0].content;
    expect(script).toContain('version="2.15.0"');
    expect(script).toContain('amd64) sha256="5d2c51caca950333aba84911df7d377f826f3a59ec36061c6539105084f65c92" ;;');
    expect(script).toContain('arm64) sha256="cdc208f5a3f42963a52b6ab06ef65626bb870315dc936e26ba571780c6351112" ;;');
    expect(script).toContain('echo "$sha256  $tarball" | sha256sum --check --strict -');
    expect(script).not.toContain("SHA256SUMS");
    expect(script).not.toContain("apt-get");
  });

  test("a version without pinned checksums cannot be rendered", () => {
    expect(() => renderCloudInit({ ...BASE, natsVersion: "2.15.1" })).toThrow("nats-server 2.15.1 is not in NATS_RELEASES: its SHA-256 is not known");
  });

  test("secrets go to a 0600 file owned by nats, never to the command line", () => {
    const auth = 'authorization {\n  token: "${random_password.x.result}"\n}';
    const doc = renderCloudInit({ ...BASE, clientAuthorization: auth });
    const conf = (parse(doc) as CloudConfig).write_files.find((f) => f.path === "/etc/nats/nats-server.conf")!;
    expect(conf).toMatchObject({ permissions: "0600", owner: "nats:nats" });
    expect(conf.content).toContain(auth);
    expect(execStart(doc)).not.toContain("random_password");
  });

  test("with route credentials, the cluster listener and the route to the seed move into the config", () => {
    const routeCredentials = { user: "route", password: "${random_password.r.result}" };
    const doc = renderCloudInit({ ...BASE, serverName: "nats-2", seedAddress: SEED_REF, routeCredentials });
    const conf = (parse(doc) as CloudConfig).write_files.find((f) => f.path === "/etc/nats/nats-server.conf")!.content;
    expect(execStart(doc)).not.toMatch(/--cluster |--routes|random_password/);
    expect(execStart(doc)).toContain("--cluster_name nats --cluster_advertise $PRIVATE_IP:6222");
    expect(conf).toContain("cluster {\n  host: $PRIVATE_IP\n  port: 6222\n");
    expect(conf).toContain("  connect_retries: 60\n  authorization {\n    user: \"route\"\n    password: \"${random_password.r.result}\"\n  }");
    expect(conf).toContain(`routes: ["nats://route:\${random_password.r.result}@${SEED_REF}:6222"]`);
    const seedConf = renderCloudInit({ ...BASE, routeCredentials });
    expect(seedConf).toContain("host: $PRIVATE_IP");
    expect(seedConf).not.toContain("routes:");
  });

  test("the exact command line: config file, server name, private address, ports, cluster name; --cluster and --routes only without a cluster block", () => {
    // Built inside the test (not at describe level) so that a mutation of any flag shows here.
    const flags = ["--config", "nats-server.conf", "--server_name", "nats-2", "-a", "$PRIVATE_IP", "-p", "4222", "-m", "8222", "--cluster_name", "nats"];
    expect(natsServerFlags({ ...BASE, serverName: "nats-2", seedAddress: "10.10.0.5" })).toEqual([
      ...flags,
      "--cluster", "nats://$PRIVATE_IP:6222", "--cluster_advertise", "$PRIVATE_IP:6222", "--routes", "nats://10.10.0.5:6222", "--no_advertise",
    ]);
    // With route credentials the listener and routes are in nats-server.conf: a --cluster flag would drop them.
    const routeCredentials = { user: "route", password: "${random_password.route.result}" };
    expect(natsServerFlags({ ...BASE, serverName: "nats-2", seedAddress: "10.10.0.5", routeCredentials })).toEqual([...flags, "--cluster_advertise", "$PRIVATE_IP:6222", "--no_advertise"]);
  });

  test("advertise modes", () => {
    expect(natsServerFlags(BASE)).toContain("--no_advertise");
    const priv = natsServerFlags({ ...BASE, advertise: "private" });
    expect(priv).not.toContain("--no_advertise");
    expect(priv).not.toContain("--client_advertise");
    const pub = natsServerFlags({ ...BASE, advertise: "public" });
    expect(pub.join(" ")).toContain("-a 0.0.0.0");
    expect(pub.join(" ")).toContain("--client_advertise $PUBLIC_IP:4222");
  });

  test("no monitoring port means no -m flag", () => {
    expect(natsServerFlags({ ...BASE, monitorPort: undefined })).not.toContain("-m");
  });
});

describe.each([
  ["nats", DEFAULT_STACK],
  ["nats-tutorial", TUTORIAL_STACK],
])("%s user_data", (name, props) => {
  const droplets = resourcesOf(synthJson(testStack(props, name)), "digitalocean_droplet");

  test("has no ${ except Terraform references to private addresses of droplets, the seed load balancer's address, generated secrets and TLS material", () => {
    for (const d of droplets) {
      const interpolations = String(d.user_data).match(/\$\{[^}]*\}/g) ?? [];
      for (const expr of interpolations) {
        expect(expr).toMatch(
          /^\$\{(digitalocean_droplet\.[\w-]+\.ipv4_address_private|digitalocean_loadbalancer\.cluster_seed-load-balancer_lb_\w+\.ip|random_password\.[\w-]+\.result|base64encode\((tls_self_signed_cert|tls_locally_signed_cert)\.[\w-]+\.cert_pem\)|base64encode\(tls_private_key\.[\w-]+\.private_key_pem\))\}$/,
        );
      }
    }
  });
});
