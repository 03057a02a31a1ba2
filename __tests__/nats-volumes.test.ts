import { parse } from "yaml";
import { DEFAULT_STACK, TUTORIAL_STACK } from "../constructs/stacks";
import { resourcesOf, synthJson, testStack } from "./helpers";

interface CloudConfig {
  write_files: { path: string; content: string }[];
  runcmd: string[][];
}

function file(userData: unknown, path: string): string {
  const found = (parse(String(userData)) as CloudConfig).write_files.find((f) => f.path === path);
  if (found === undefined) throw new Error(`no ${path}`);
  return found.content;
}

describe("jetstream volumes", () => {
  const json = synthJson(testStack(DEFAULT_STACK, "nats"));
  const volumes = json.resource.digitalocean_volume;
  const droplets = resourcesOf(json, "digitalocean_droplet");

  test("one volume per node in its region, 10 GiB ext4, tagged with the cluster's tag (npm run sweep finds it), with a stable construct id", () => {
    const tag = `\${digitalocean_tag.${Object.keys(json.resource.digitalocean_tag).find((id) => id.startsWith("cluster_nodes_tag_"))}.name}`;
    expect(Object.keys(volumes)).toEqual([1, 2, 3].map((i) => expect.stringMatching(new RegExp(`^cluster_nodes_volumes_volume-${i}_[0-9A-F]{8}$`))));
    expect(Object.values(volumes)).toEqual(
      [1, 2, 3].map((i) => ({ name: `nats-${i}-data`, region: "nyc3", size: 10, initial_filesystem_type: "ext4", description: `JetStream store of NATS node nats-${i}`, tags: [tag] })),
    );
  });

  test("each droplet attaches its own volume at creation through volume_ids, never through a volume attachment", () => {
    const ids = Object.keys(volumes);
    expect(droplets.map((d) => d.volume_ids)).toEqual(ids.map((id) => [`\${digitalocean_volume.${id}.id}`]));
    expect(json.resource.digitalocean_volume_attachment).toBeUndefined();
  });

  test("droplets are replaced destroy-first: a volume attaches to one droplet, a server name may run once", () => {
    for (const d of droplets) expect(JSON.stringify(d.lifecycle ?? {})).not.toContain("create_before_destroy");
  });

  test("protectVolumes sets prevent_destroy on every volume; by default destroy deletes them", () => {
    expect(Object.values(volumes).map((v) => v.lifecycle)).toEqual([undefined, undefined, undefined]);
    const kept = synthJson(testStack({ protectVolumes: true })).resource.digitalocean_volume;
    expect(Object.values(kept).map((v) => v.lifecycle)).toEqual([1, 2, 3].map(() => ({ prevent_destroy: true })));
  });

  test("the tutorial runs no jetstream and has no volumes", () => {
    const tutorial = synthJson(testStack(TUTORIAL_STACK, "nats-tutorial"));
    expect(tutorial.resource.digitalocean_volume).toBeUndefined();
    for (const d of resourcesOf(tutorial, "digitalocean_droplet")) {
      expect(d.volume_ids).toBeUndefined();
      expect(String(d.user_data)).not.toMatch(/jetstream|mount-nats-volume|RequiresMountsFor/);
    }
  });

  test("nats-server.conf puts the store on the volume with limits from the volume and the droplet size", () => {
    const conf = file(droplets[1].user_data, "/etc/nats/nats-server.conf");
    // 80% of 10 GiB, a quarter of s-1vcpu-1gb's 1024 MiB.
    expect(conf).toContain('jetstream {\n  store_dir: "/mnt/nats-data"\n  max_file_store: 8192MiB\n  max_memory_store: 256MiB\n}');
    const bigger = synthJson(testStack({ volumeSizeGib: 100, size: "s-2vcpu-4gb", maxFileStoreGib: 50 }));
    const biggerConf = file(resourcesOf(bigger, "digitalocean_droplet")[0].user_data, "/etc/nats/nats-server.conf");
    expect(biggerConf).toContain("  max_file_store: 51200MiB\n  max_memory_store: 1024MiB\n");
  });

  test("server names stay the droplet names, per node index", () => {
    droplets.forEach((d, i) => expect(file(d.user_data, "/etc/systemd/system/nats-server.service")).toContain(`--server_name nats-${i + 1} `));
  });

  test("the unit never starts without the mount and may write only there", () => {
    const unit = file(droplets[0].user_data, "/etc/systemd/system/nats-server.service");
    expect(unit).toMatch(/\[Unit\][^[]*\nRequiresMountsFor=\/mnt\/nats-data\n/);
    expect(unit).toContain("ExecStartPre=/usr/bin/mountpoint -q /mnt/nats-data\n");
    expect(unit).toContain("ReadWritePaths=/mnt/nats-data\n");
  });

  test("cloud-init mounts the node's own device with nofail and noatime, mkfs only on a volume without a filesystem", () => {
    droplets.forEach((d, i) => {
      const script = file(d.user_data, "/usr/local/sbin/mount-nats-volume");
      expect(script).toContain(`device="/dev/disk/by-id/scsi-0DO_Volume_nats-${i + 1}-data"`);
      expect(script).toContain('mount_point="/mnt/nats-data"');
      expect(script).toContain('echo "$device $mount_point $filesystem defaults,nofail,noatime,discard 0 2" >> /etc/fstab');
      // mkfs only in the branch where blkid -p found nothing (status 2).
      expect(script).toMatch(/blkid -p "\$device" >\/dev\/null \|\| status=\$\?\nif \[ "\$status" -eq 2 \]; then\n {2}mkfs -t "\$filesystem" "\$device"\n/);
      expect(script.match(/^\s*mkfs /gm)).toHaveLength(1);
    });
    const runcmd = (parse(String(droplets[0].user_data)) as CloudConfig).runcmd;
    expect(runcmd.findIndex((step) => step[0] === "/usr/local/sbin/mount-nats-volume")).toBeLessThan(
      runcmd.findIndex((step) => step.join(" ") === "systemctl restart nats-server.service"),
    );
  });

  test("the readiness gate also checks jetstream", () => {
    const gate = resourcesOf(json, "null_resource")[0] as { provisioner: { "local-exec": { command: string } }[] };
    const verify = gate.provisioner.map((step) => step["local-exec"].command).find((command) => command.includes("verify.js"));
    expect(verify).toMatch(/ --jetstream( \|\||;|$)/);
  });
});
