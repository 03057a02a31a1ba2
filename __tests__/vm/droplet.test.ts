import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { VOLUME_MOUNT_POINT } from "../../constructs/node-settings";
import { stackFile, synthesize } from "../../plan/synth";
import { readPlan } from "../../twin/plan";
import { guestExec } from "../../vm/guest-agent";
import { unitOf } from "../helpers";
import { journalRateLimitOf, modulatedBurst, timeSpanSeconds } from "../journald";
import { VmNode, VmTwin } from "../../vm/vm-twin";

// VM test (npm run test:vm, not part of npm test): one droplet of the `nats` stack (JetStream on
// its volume, TLS, token) booted from its user_data in QEMU with real cloud-init and systemd
// (Debian trixie, not Ubuntu 24.04: see vm/image.ts). One VM is shared by the tests, in order:
// each leaves it running and healthy for the next. What is modelled: DigitalOcean's metadata
// service (unreachable, "no route to host", until 30 s after cloud-init's network stage began: a
// network that comes up late), its volume (virtio-scsi, vendor DO, a sparse file), a
// replacement (a new root disk and seed instance, the same volume file) and graceful shutdown
// (systemctl poweroff through the guest agent, as DigitalOcean's power button would).
jest.setTimeout(1_200_000);

const METADATA_DELAY_SECONDS = 30;
const work = mkdtempSync(join(tmpdir(), "vm-droplet-"));
const lines: string[] = [];
const log = (line: string): void => void lines.push(line);
let twin: VmTwin;
let node: VmNode;

/** Runs a shell script in the guest, failing on a non-zero exit; returns stdout. */
async function inGuest(script: string): Promise<string> {
  const result = await guestExec(node.vm!.agentSocket, script, 300_000);
  if (result.exitCode !== 0) throw new Error(`guest: ${script} exited ${result.exitCode}: ${result.stderr}`);
  return result.stdout;
}

/** The volume's filesystem creation time: unchanged means no second mkfs. */
const CREATED = "tune2fs -l /dev/disk/by-id/scsi-0DO_Volume_nats-1-data | sed -n 's/^Filesystem created: *//p'";

beforeAll(async () => {
  // No readiness gate: this test boots the droplet, not the gate, and a lone JetStream node is refused
  // with one (it would never pass it). The droplet's user_data is the same either way.
  const { outdir } = synthesize({ outdir: join(work, "plan"), env: { NATS_NODE_COUNT: "1", NATS_READINESS_GATE: "false" } });
  twin = new VmTwin(readPlan(stackFile(outdir, "nats")), { log, metadataDelaySeconds: METADATA_DELAY_SECONDS });
  try {
    await twin.boot();
  } catch (error) {
    await twin.stop(true);
    throw new Error(`${(error as Error).message}\n${lines.slice(-30).join("\n")}\nkept ${twin.workDir}`);
  }
  node = twin.nodes[0];
});

afterAll(async () => {
  await twin?.stop(false);
  rmSync(work, { recursive: true, force: true });
});

test("a droplet whose metadata service is unreachable for 30 s still boots: bootcmd retried until it answered (defect 1)", async () => {
  const report = await twin.reportOf(node);
  expect({ cloudInit: report.cloudInit, problems: report.cloudInitProblems, unit: report.unit.state }).toEqual({ cloudInit: "done", problems: [], unit: "active/running" });
  expect(readFileSync(node.vm!.serialLog, "utf8")).toMatch(/curl: \(7\) Failed to connect to 169\.254\.169\.254/);
  expect(await inGuest("cat /etc/nats/node.env")).toBe("PRIVATE_IP=10.10.0.11\nPUBLIC_IP=203.0.113.11\n");
});

test("the secrets are nats:nats 0600 and JetStream's store is the volume", async () => {
  const report = await twin.reportOf(node);
  expect(report.files).toEqual(expect.arrayContaining(["nats:nats 600 /etc/nats/nats-server.conf", "nats:nats 600 /etc/nats/tls/server-key.pem"]));
  expect(report.mount).toBe("/dev/sda ext4");
  expect(await inGuest(`stat -c '%U:%G %a' ${VOLUME_MOUNT_POINT}/jetstream`)).toBe("nats:nats 750\n");
});

test("systemctl stop goes through lame duck within TimeoutStopSec, and the unit stops cleanly", async () => {
  const timeout = Number(/^TimeoutStopSec=(\d+)$/m.exec(unitOf(twin.plan.droplets[0].userData))![1]);
  const out = await inGuest("start=$(date +%s%N); systemctl stop nats-server; end=$(date +%s%N); echo $(( (end - start) / 1000000 )); systemctl show -p Result --value nats-server; journalctl -u nats-server -b --no-pager | grep -c 'Entering lame duck mode'");
  const [ms, result, lameDuck] = out.trim().split("\n");
  expect(Number(ms)).toBeLessThan(timeout * 1000);
  expect(result).toBe("success");
  expect(Number(lameDuck)).toBeGreaterThanOrEqual(1);
  await inGuest("systemctl start nats-server && systemctl is-active nats-server");
});

test("a reboot keeps the volume's data with no second mkfs", async () => {
  const created = await inGuest(`echo kept > ${VOLUME_MOUNT_POINT}/marker && sync && ${CREATED}`);
  await twin.shutdown(node);
  await twin.powerOn(node, false);
  expect(await inGuest(`cat ${VOLUME_MOUNT_POINT}/marker; ${CREATED}`)).toBe(`kept\n${created}`);
  expect((await twin.reportOf(node)).unit.state).toBe("active/running");
});

test("a replaced droplet (new root disk, same volume) finds its data: no mkfs, the store still the nats user's", async () => {
  const created = await inGuest(CREATED);
  await twin.shutdown(node);
  await twin.powerOn(node, true);
  const report = await twin.reportOf(node);
  expect({ cloudInit: report.cloudInit, problems: report.cloudInitProblems, unit: report.unit.state, mount: report.mount }).toEqual({ cloudInit: "done", problems: [], unit: "active/running", mount: "/dev/sda ext4" });
  expect(await inGuest(`cat ${VOLUME_MOUNT_POINT}/marker; ${CREATED}; stat -c '%U:%G' ${VOLUME_MOUNT_POINT}/jetstream`)).toBe(`kept\n${created}nats:nats\n`);
  // A new instance: cloud-init ran the per-instance modules again (the mount script found the filesystem).
  expect(await inGuest("cloud-init query instance-id")).toBe("nats-1-3\n");
});

// journald's "journal usage" message: it carries AVAILABLE=, the free room journald scales the burst by.
const JOURNAL_USAGE = "MESSAGE_ID=ec387f577b844b8fa948f33cad9a75e6";
// The test's interval: the unit's 15 min would keep the window open for the rest of the run.
const SHORT_INTERVAL_SECONDS = 20;
const DROP_IN = "/run/systemd/system/nats-server.service.d/zz-vm-test-log-interval.conf";

test("journald keeps at most the unit's burst of nats-server's lines per interval, scaled by the journal's free room, and logs how many it suppressed", async () => {
  const unit = unitOf(twin.plan.droplets[0].userData);
  const limit = journalRateLimitOf(unit);
  const port = Number(/--cluster_advertise \$PRIVATE_IP:(\d+)/.exec(unit)![1]);
  // systemd in the guest applies the plan's values.
  const [interval, burst] = (await inGuest("systemctl show -p LogRateLimitIntervalUSec -p LogRateLimitBurst --value nats-server")).trim().split("\n");
  expect({ intervalSeconds: timeSpanSeconds(interval), burst: Number(burst) }).toEqual(limit);
  const available = Number(await inGuest(`journalctl -b -o verbose ${JOURNAL_USAGE} | sed -n 's/^ *AVAILABLE=//p' | tail -1`));
  expect(available).toBeGreaterThan(0);
  // journald re-reads its free room every 30 s; the journal may have grown below a power of two since it last reported it.
  const allowed = [modulatedBurst(limit.burst, available), modulatedBurst(limit.burst, available / 2)];
  // Connections to the cluster port closed before the TLS handshake: each logs the noise's two
  // lines ("TLS route handshake error: EOF", then "Router connection closed"), twice the burst in all.
  const connections = allowed[0];
  // The same unit with only the interval shortened (a runtime drop-in, removed below), restarted
  // so that journald reads it; the restarted server's first line opens the window.
  const script = [
    ". /etc/nats/node.env",
    `mkdir -p ${dirname(DROP_IN)} && printf '[Service]\\nLogRateLimitIntervalSec=${SHORT_INTERVAL_SECONDS}s\\n' > ${DROP_IN}`,
    "systemctl daemon-reload && systemctl restart nats-server",
    "pid=$(systemctl show -p MainPID --value nats-server)",
    `until (exec 3<>/dev/tcp/$PRIVATE_IP/${port}) 2>/dev/null; do sleep 0.2; done`,
    "start=$(date +%s%N)",
    `for i in $(seq ${connections}); do exec 3<>/dev/tcp/$PRIVATE_IP/${port}; exec 3<&-; done`,
    "echo ms=$(( ($(date +%s%N) - start) / 1000000 ))",
    // Counted once journald has stored all it will of them (the count stops growing).
    "kept=0; previous=-1",
    "while [ $kept -ne $previous ]; do previous=$kept; sleep 1; kept=$(journalctl -b _PID=$pid -o cat | wc -l); done",
    "echo kept=$kept",
    "cursor=$(journalctl -n 1 --show-cursor | sed -n 's/^-- cursor: //p')",
    // Once the window has ended, one more connection: journald first reports what it dropped.
    "opened=$(journalctl -b _PID=$pid -o short-unix | head -1 | cut -d' ' -f1 | cut -d. -f1)",
    `wait=$(( opened + ${SHORT_INTERVAL_SECONDS} + 1 - $(date +%s) )); [ $wait -gt 0 ] && sleep $wait`,
    `(exec 3<>/dev/tcp/$PRIVATE_IP/${port})`,
    "sleep 1",
    `journalctl -u nats-server --after-cursor="$cursor" -o cat | grep '^Suppressed' || true`,
  ].join("\n");
  const started = Date.now();
  const out = await inGuest(`bash -s <<'EOF'\n${script}\nEOF`);
  const ms = Number(/^ms=(\d+)$/m.exec(out)![1]);
  const kept = Number(/^kept=(\d+)$/m.exec(out)![1]);
  const suppressed = /^Suppressed (\d+) messages from nats-server\.service$/m.exec(out);
  console.log(
    `${connections} connections in ${ms} ms: journald kept ${kept} of nats-server's lines in a ${SHORT_INTERVAL_SECONDS} s window ` +
      `(LogRateLimitBurst=${limit.burst} × ${kept / limit.burst} for ${(available / 2 ** 20).toFixed(0)} MiB of free room) and reported ${suppressed?.[0]}; test ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  expect(allowed).toContain(kept);
  expect(suppressed).not.toBeNull();
  // Every line the connections logged was either kept or counted as suppressed (the restart's own lines come on top).
  expect(kept + Number(suppressed![1])).toBeGreaterThanOrEqual(2 * connections);

  await inGuest(`rm ${DROP_IN} && systemctl daemon-reload && systemctl restart nats-server && systemctl is-active nats-server`);
  expect(timeSpanSeconds((await inGuest("systemctl show -p LogRateLimitIntervalUSec --value nats-server")).trim())).toBe(limit.intervalSeconds);
});
