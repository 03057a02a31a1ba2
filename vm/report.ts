import { printable } from "../helpers/terminal";
import { guestExec } from "./guest-agent";

/** What the VM twin reads from inside one guest, through the guest agent. */
export interface GuestReport {
  readonly name: string;
  /** `cloud-init status`: done, running, error, … */
  readonly cloudInit: string;
  /** cloud-init's errors and recoverable errors (warnings, deprecations), one line each. */
  readonly cloudInitProblems: readonly string[];
  /** nats-server.service: ActiveState/SubState, its result and how often systemd restarted it. */
  readonly unit: { readonly state: string; readonly result: string; readonly restarts: number };
  /** Where the unit wants its volume (RequiresMountsFor in the plan's user_data), if anywhere. */
  readonly mountPoint?: string;
  /** The volume's mount: `<source> <fstype>` at the mount point, or undefined when not mounted. */
  readonly mount?: string;
  /** `<owner>:<group> <mode> <path>` of every file under /etc/nats (the secrets and the unit's environment). */
  readonly files: readonly string[];
}

/**
 * The shell script the guest runs for a report: one tagged section per fact, plain text. The
 * mount point comes from the plan (a path of the unit's RequiresMountsFor, quoted for the shell).
 */
function reportScript(mountPoint: string | undefined): string {
  return [
    "echo '## cloud-init'; cloud-init status --format json 2>/dev/null",
    "echo '## unit'; systemctl show nats-server.service -p ActiveState -p SubState -p Result -p NRestarts",
    ...(mountPoint === undefined ? [] : [`echo '## mount'; findmnt -n -o SOURCE,FSTYPE --mountpoint '${mountPoint.replace(/'/g, "'\\''")}' 2>/dev/null`]),
    "echo '## files'; find /etc/nats -type f -exec stat -c '%U:%G %a %n' {} + 2>/dev/null | sort",
  ].join("; ");
}

/** Reads the report from a running guest; `mountPoint`: where its unit wants the volume. */
export async function readReport(name: string, agentSocket: string, mountPoint?: string): Promise<GuestReport> {
  const { stdout } = await guestExec(agentSocket, reportScript(mountPoint));
  return parseReport(name, stdout, mountPoint);
}

/** Parses the report script's output. */
export function parseReport(name: string, output: string, mountPoint?: string): GuestReport {
  const sections = new Map<string, string>();
  for (const part of output.split(/^## /m).slice(1)) {
    const newline = part.indexOf("\n");
    sections.set(part.slice(0, newline < 0 ? undefined : newline).trim(), newline < 0 ? "" : part.slice(newline + 1).trim());
  }
  let status: { status?: string; errors?: unknown[]; recoverable_errors?: Record<string, unknown[]> } = {};
  try {
    status = JSON.parse(sections.get("cloud-init") ?? "{}") as typeof status;
  } catch {
    status = { status: "unreadable" };
  }
  const recoverable = Object.entries(status.recoverable_errors ?? {}).flatMap(([level, messages]) => messages.map((message) => `${level}: ${String(message)}`));
  const unit = Object.fromEntries((sections.get("unit") ?? "").split("\n").map((line) => line.split("=", 2) as [string, string]));
  const mount = sections.get("mount");
  return {
    name,
    mountPoint,
    cloudInit: status.status ?? "unknown",
    // cloud-init lists a warning once per stage that logged it.
    cloudInitProblems: [...new Set([...(status.errors ?? []).map((error) => `error: ${String(error)}`), ...recoverable])],
    unit: { state: `${unit.ActiveState ?? "?"}/${unit.SubState ?? "?"}`, result: unit.Result ?? "?", restarts: Number(unit.NRestarts ?? 0) },
    mount: mount === undefined || mount === "" ? undefined : mount.replace(/\s+/g, " "),
    files: (sections.get("files") ?? "").split("\n").filter((line) => line !== ""),
  };
}

/** The report's lines as printed, network text escaped. */
export function reportLines(report: GuestReport, healthyAfterMs: number | undefined): string[] {
  const healthy = healthyAfterMs === undefined ? "never healthy" : `healthy ${(healthyAfterMs / 1000).toFixed(1)} s after power-on`;
  return [
    `${report.name}: cloud-init ${report.cloudInit}${report.cloudInitProblems.length === 0 ? ", no warnings" : ""}; nats-server.service ${report.unit.state} (result ${report.unit.result}, ${report.unit.restarts} restarts); ${healthy}`,
    ...report.cloudInitProblems.map((problem) => `  cloud-init ${problem}`),
    ...(report.mountPoint === undefined ? [] : [`  volume: ${report.mount === undefined ? `nothing mounted at ${report.mountPoint}` : `${report.mount} at ${report.mountPoint}`}`]),
    ...report.files.map((file) => `  ${file}`),
  ].map((line) => printable(line));
}

/** The guest's own account of a failure: the unit's journal and cloud-init's warnings and errors. */
export async function failureLines(agentSocket: string): Promise<string[]> {
  const script = [
    "echo '-- journalctl -u nats-server -b (last 25)'; journalctl -u nats-server.service -b --no-pager -n 25 -o short-monotonic",
    "echo '-- cloud-init.log: warnings and errors (last 20)'; grep -E 'WARNING|ERROR|Traceback' /var/log/cloud-init.log | tail -n 20",
    "echo '-- cloud-init-output.log (last 20)'; tail -n 20 /var/log/cloud-init-output.log",
  ].join("; ");
  const { stdout } = await guestExec(agentSocket, script);
  return stdout.trimEnd().split("\n").map((line) => `  ${printable(line)}`);
}
