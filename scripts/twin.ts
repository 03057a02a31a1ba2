/**
 * `npm run twin -- [--stack nats|nats-tutorial] [--time-scale X] [--address-base A] [--check] [--allow-version-mismatch] [--vm]`:
 * boots the synthesized plan on loopback (nats-server per droplet, HAProxy as the load
 * balancer) and keeps it up until Ctrl-C (or SIGTERM, or SIGHUP: its terminal closed). With
 * --check it runs verify against it, tears it down and exits 0 when every check passes, 1
 * otherwise. `npm run twin -- node <stop|kill|freeze|start> <node>` and `npm run twin -- nodes`
 * act on the running twin from another terminal (twin/control.ts).
 */
import { SECRET_ENV_PREFIX } from "../twin/cloud-config";
import { Varz, fetchJson, peerCount } from "../twin/monitor";
import { STACKS } from "../plan/synth";
import { SERVER_ENV, cacheRoot } from "../twin/nats-binary";
import { DEFAULT_ADDRESS_BASE } from "../twin/addresses";
import { Twin, bootTwin } from "../twin/twin";
import { NODE_ACTIONS, TwinControl, alignColumns, serveControl } from "../twin/control";
import { CONTROL_USAGE, controlCommand } from "../twin/control-cli";
import { HELP_OPTION, UsageError, parseCli, runCli, usageText } from "../verify/args";
import { formatCheck } from "../verify/cli";
import { errorMessage } from "../helpers/errors";
import { verify } from "../verify/verify";
import { runVmTwin } from "../vm/cli";

const USAGE = usageText(
  `npm run twin -- [--stack ${STACKS.join("|")}] [--time-scale X] [--address-base A] [--check] [--allow-version-mismatch] [--vm]`,
  [
    ["--stack", "stack to boot (default nats-tutorial)"],
    ["--time-scale", "multiplies the health check interval and timeout, e.g. 0.2 (default 1)"],
    ["--address-base", `load balancer address; node i gets the last octet + i (default ${DEFAULT_ADDRESS_BASE})`],
    ["--check", "run verify against the twin, tear it down, exit 0 or 1"],
    ["--allow-version-mismatch", `run a nats-server of another major.minor than the plan installs\n(${SERVER_ENV}'s, or PATH's when none can be fetched) instead of refusing`],
    ["--vm", "boot each droplet's user_data in a QEMU VM (Debian trixie, real cloud-init, systemd\nand a volume) inside a network namespace; needs root, qemu-system-x86, qemu-utils,\ndebootstrap, xorriso; --time-scale, --address-base and --allow-version-mismatch do not apply"],
  ],
  [
    `nats-server: ${SERVER_ENV}=<binary> if set (its major.minor must match the plan's), else`,
    `${cacheRoot()}/<version>/, else PATH; otherwise it is fetched from Debian's archive into that cache.`,
    "",
    ...CONTROL_USAGE,
  ],
);

interface CliOptions {
  stack: string;
  timeScale: number;
  addressBase: string;
  check: boolean;
  allowVersionMismatch: boolean;
  vm: boolean;
}

function parseOptions(argv: string[]): CliOptions | undefined {
  const values = parseCli(argv, {
    stack: { type: "string", default: "nats-tutorial" },
    "time-scale": { type: "string", default: "1" },
    "address-base": { type: "string", default: DEFAULT_ADDRESS_BASE },
    check: { type: "boolean", default: false },
    "allow-version-mismatch": { type: "boolean", default: false },
    vm: { type: "boolean", default: false },
    ...HELP_OPTION,
  });
  if (values.help) return undefined;
  const timeScale = Number(values["time-scale"]);
  if (!(timeScale > 0 && timeScale <= 10)) {
    throw new UsageError(`--time-scale ${JSON.stringify(values["time-scale"])} is not valid: expected a number above 0 and at most 10`);
  }
  return { stack: values.stack, timeScale, addressBase: values["address-base"], check: values.check, allowVersionMismatch: values["allow-version-mismatch"], vm: values.vm };
}

/** The node table: name, address, version and server_id from /varz, peers from /routez. */
async function describeNodes(twin: Twin): Promise<string[]> {
  const rows = await Promise.all(
    twin.nodes.map(async (node) => {
      if (node.monitorPort === undefined) return [node.name, node.address, node.server.version, "(no monitoring)", "-"];
      const monitor = `http://${node.address}:${node.monitorPort}`;
      const [varz, peers] = await Promise.all([fetchJson<Varz>(`${monitor}/varz`), peerCount(monitor)]);
      return [node.name, node.address, varz.version, varz.server_id, String(peers)];
    }),
  );
  return alignColumns([["node", "address", "version", "server_id", "routed to"], ...rows]);
}

/** How to point the pub/sub app at the twin; never prints a secret supplied through the environment. */
function usageHints(twin: Twin): string[] {
  const supplied = new Set(Object.entries(process.env).filter(([name]) => name.startsWith(SECRET_ENV_PREFIX)).map(([, value]) => value));
  const shown = (value: string): string => (supplied.has(value) ? `<the value of your ${SECRET_ENV_PREFIX}* variable>` : value);
  const { token, user, password } = twin.credentials;
  const auth = token !== undefined ? `NATS_TOKEN=${shown(token)} ` : user !== undefined ? `NATS_USER=${user} NATS_PASSWORD=${shown(password ?? "")} ` : "";
  const serverName = twin.credentials.tls?.serverName;
  const tls = twin.caFile === undefined ? "" : `NATS_CA=${twin.caFile} ${serverName === undefined ? "" : `NATS_TLS_SERVER_NAME=${serverName} `}`;
  const server = `${tls}NATS_SERVER=nats://${twin.lbAddress}:${twin.clientPort}`;
  return [`  ${auth}${server} npm run subscriber`, `  ${auth}${server} npm run publisher`];
}

/** The node table, then (unless the twin exits right after a check) how to reach it and act on it. */
async function printSummary(twin: Twin, checkOnly: boolean): Promise<void> {
  const check = twin.healthCheck;
  console.log("");
  console.log(`load balancer  ${twin.lbAddress}: clients on ${twin.clientPort}${twin.publishedMonitorPort === undefined ? "" : `, monitoring on ${twin.publishedMonitorPort}`}`);
  console.log(`health check   ${check.protocol} :${check.port}${check.path ?? ""} every ${check.intervalMs} ms, timeout ${check.timeoutMs} ms, rise ${check.rise}, fall ${check.fall}`);
  console.log("");
  (await describeNodes(twin)).forEach((line) => console.log(line));
  // After --check the twin stops and its files (the CA among them) are gone: no hints to follow.
  if (checkOnly) return;
  console.log("");
  console.log("point the pub/sub app at it:");
  usageHints(twin).forEach((line) => console.log(line));
  console.log("");
  console.log(`break it on purpose, from another terminal: npm run twin -- node <${NODE_ACTIONS.join("|")}> <node>, npm run twin -- nodes`);
}

async function runCheck(twin: Twin): Promise<boolean> {
  const result = await verify({
    lb: twin.lbAddress,
    expectNodes: twin.nodes.length,
    clientPort: twin.clientPort,
    monitorPort: twin.publishedMonitorPort,
    nodeMonitors: twin.nodes.filter((node) => node.monitorPort !== undefined).map((node) => `http://${node.address}:${node.monitorPort}`),
    healthPath: twin.healthCheck.path,
    jetstream: twin.jetstream,
    timeoutSeconds: 30,
    credentials: twin.credentials,
    log: (line) => console.error(`verify: ${line}`),
  });
  result.checks.forEach((check) => console.log(formatCheck(check)));
  return result.ok;
}

/** Exit statuses for a twin ended by a signal: 128 + the signal's number. */
const SIGNAL_EXIT: Readonly<Record<string, number>> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

/**
 * Resolves with the first of SIGINT (Ctrl-C), SIGTERM or SIGHUP (the terminal closed: its
 * output may be gone, so write errors are ignored from then on while the twin stops).
 */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    for (const name of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
      process.once(name, () => {
        if (name === "SIGHUP") for (const stream of [process.stdout, process.stderr]) stream.on("error", () => undefined);
        resolve(name);
      });
    }
  });
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const control = controlCommand(argv);
  if (control !== undefined) return control(USAGE);
  const options = parseOptions(argv);
  if (options === undefined) {
    console.log(USAGE);
    return 0;
  }
  const signal = untilSignal();
  if (options.vm) {
    const ignored = ([["--time-scale", options.timeScale !== 1], ["--address-base", options.addressBase !== DEFAULT_ADDRESS_BASE], ["--allow-version-mismatch", options.allowVersionMismatch]] as const).filter(([, set]) => set);
    if (ignored.length > 0) throw new UsageError(`${ignored.map(([flag]) => flag).join(" and ")} cannot be combined with --vm: the VMs run the plan's own timers, addresses and release`);
    return runVmTwin({ stack: options.stack, check: options.check, signal });
  }
  let twin: Twin | undefined;
  // Interrupted while booting: exiting SIGKILLs every child by PID (twin/process.ts).
  void signal.then((name) => twin === undefined && process.exit(SIGNAL_EXIT[name]));
  const log = (line: string): void => console.log(`twin: ${line}`);
  twin = await bootTwin({ ...options, log });
  try {
    await printSummary(twin, options.check);
    // Without the socket (a TMPDIR too long for a socket path, say) the twin still runs.
    const server = options.check ? undefined : await serveControl(twin, new TwinControl(twin, log)).catch((error: unknown) => {
      log(`node commands are not available: ${errorMessage(error)}`);
      return undefined;
    });
    // Printed once node commands are served: the tests and a user's script may act right after it.
    if (!options.check) console.log("\nCtrl-C stops the twin.");
    const interrupted = signal.then((name) => {
      server?.close();
      console.log(`twin: ${name}, stopping`);
      return options.check ? SIGNAL_EXIT[name] : 0;
    });
    const checked = options.check ? [runCheck(twin).then((ok) => (ok ? 0 : 1))] : [];
    return await Promise.race([interrupted, ...checked]);
  } finally {
    await twin.stop();
    console.log("twin: stopped every process it started");
  }
}

void runCli("twin", USAGE, main).then((code) => process.exit(code));
