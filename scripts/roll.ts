/**
 * `npm run roll -- --stack nats [--dry-run] [--force]`: replaces the nodes whose droplet differs
 * from the synthesized plan one at a time (lame duck, a terraform plan limited to the droplet and
 * its readiness gate, checked, then applied; ready), after refusing any other pending change.
 * `--twin [--from-version U] [--to-version V] [--to-size S]` runs the same roll against the local
 * twin under request/reply and pub/sub traffic. Exit status 0 when done, 1 when refused or stopped, 2 on
 * bad arguments.
 */
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { UsageError, integerArg } from "../verify/args";
import { dropletSize } from "../facts/validation";
import { errorMessage } from "../helpers/errors";
import { STACKS, defaultOutdir, isStackStale, stackFile } from "../plan/synth";
import { DEFAULT_ADDRESS_BASE } from "../twin/addresses";
import { RollRefused, planRoll, roll } from "../roll/driver";
import { readRollPlan } from "../roll/plan";
import { TerraformTarget } from "../roll/terraform-target";
import { p99 } from "../roll/traffic";
import { TwinPlanView } from "../roll/twin-target";
import { rollTwin, summaryLine, synthesizeRollPlans } from "../roll/twin-roll";

/** Pause after each node, so clients that moved settle before the next lame duck. */
const DEFAULT_SETTLE_SECONDS = 5;

export const USAGE = `usage: npm run roll -- --stack NAME [--dry-run] [--force] [--settle S]
       npm run roll -- --stack NAME --twin [--from-version U] [--to-version V] [--to-size S] [--time-scale X] [--address-base A] [--dry-run] [--force] [--settle S]

  --stack         ${STACKS.join(" or ")} (required)
  --dry-run       print the steps, change nothing
  --force         replace the next node even when another node is unhealthy
  --settle        seconds to wait after a node is ready, before the next one, 0 to 600 (default ${DEFAULT_SETTLE_SECONDS})
  --twin          roll the local twin instead of the deployed stack, under traffic
  --from-version  nats-server version the twin boots (default: the plan's)
  --to-version    nats-server version to roll to (default: the plan's)
  --to-size       droplet size to roll to, e.g. s-2vcpu-4gb (default: the plan's); the twin stops
                  each node in lame duck mode and restarts it with its volume, as a replacement does
  --time-scale    multiplies the twin's health check timers (default 1)
  --address-base  the twin's load balancer address (default ${DEFAULT_ADDRESS_BASE})

Without --twin it runs terraform in cdktf.out/stacks/NAME (DIGITALOCEAN_TOKEN must be set): first
a full plan that must change nothing (apply other changes with cdktf deploy), then per node a plan
limited to its droplet and the readiness gate, checked to replace only that node, then applied.
Exit status: 0 every differing node replaced, 1 refused or stopped, 2 bad arguments.`;

const VERSION = /^\d+\.\d+\.\d+$/;

interface Command {
  readonly stack: string;
  readonly dryRun: boolean;
  readonly force: boolean;
  readonly settleMs: number;
  readonly twin?: { fromVersion?: string; toVersion?: string; toSize?: string; timeScale: number; addressBase?: string };
}

function parse(argv: string[]): Command | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      stack: { type: "string" },
      "dry-run": { type: "boolean", default: false },
      force: { type: "boolean", default: false },
      settle: { type: "string" },
      twin: { type: "boolean", default: false },
      "from-version": { type: "string" },
      "to-version": { type: "string" },
      "to-size": { type: "string" },
      "time-scale": { type: "string" },
      "address-base": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) return undefined;
  if (values.stack === undefined || !(STACKS as readonly string[]).includes(values.stack)) {
    throw new UsageError(`--stack ${JSON.stringify(values.stack ?? "")} is not allowed: expected one of ${STACKS.join(", ")}`);
  }
  for (const name of ["from-version", "to-version"] as const) {
    const value = values[name];
    if (value !== undefined && !VERSION.test(value)) throw new UsageError(`--${name} ${JSON.stringify(value)} is not a version such as 2.15.1`);
  }
  const size = dropletSize("--to-size", values["to-size"]);
  if (size !== undefined) throw new UsageError(size);
  const twinOnly = (["from-version", "to-version", "to-size", "time-scale", "address-base"] as const).filter((name) => values[name] !== undefined);
  if (!values.twin && twinOnly.length > 0) throw new UsageError(`--${twinOnly[0]} needs --twin`);
  const timeScale = values["time-scale"] === undefined ? 1 : Number(values["time-scale"]);
  if (!(timeScale > 0 && timeScale <= 10)) throw new UsageError(`--time-scale ${JSON.stringify(values["time-scale"])} is not a number above 0 and at most 10`);
  return {
    stack: values.stack,
    dryRun: values["dry-run"],
    force: values.force,
    settleMs: 1000 * (values.settle === undefined ? DEFAULT_SETTLE_SECONDS : integerArg("--settle", values.settle, 0, 600)),
    twin: values.twin ? { fromVersion: values["from-version"], toVersion: values["to-version"], toSize: values["to-size"], timeScale, addressBase: values["address-base"] } : undefined,
  };
}

/** Rolls the deployed stack through terraform; refuses a plan older than its sources. */
async function rollDeployed(command: Command, log: (line: string) => void, signal: AbortSignal): Promise<boolean> {
  if (isStackStale(command.stack)) {
    throw new RollRefused(
      `the synthesized plan of ${command.stack} is missing or stale (older than main.ts, constructs/, policy/ or templates/, or synthesized with other NATS_* settings): ` +
        `run npx cdktf synth ${command.stack}, review it (npm run plan:summary -- --diff), and roll again`,
    );
  }
  const file = stackFile(defaultOutdir(), command.stack);
  const target = new TerraformTarget(dirname(file), readRollPlan(file), log);
  const result = await roll(target, { dryRun: command.dryRun, force: command.force, settleMs: command.settleMs, log, signal, resumeHint: resumeHint(command) });
  if (!command.dryRun) log(`roll: ${result.replaced.length} nodes replaced`);
  return true;
}

async function rollTwinCommand(command: Command, log: (line: string) => void, signal: AbortSignal): Promise<boolean> {
  const twin = command.twin as NonNullable<Command["twin"]>;
  const plans = synthesizeRollPlans(command.stack, twin.fromVersion, twin.toVersion, twin.toSize);
  try {
    if (command.dryRun) {
      await planRoll(new TwinPlanView(readRollPlan(plans.fromPlan), readRollPlan(plans.toPlan)), { dryRun: true, settleMs: command.settleMs, log });
      return true;
    }
    const report = await rollTwin({ ...plans, timeScale: twin.timeScale, addressBase: twin.addressBase, force: command.force, settleMs: command.settleMs, log, signal, resumeHint: resumeHint(command) });
    const [from, to] = report.versions;
    log(`nats-server ${from === to ? `${from} (unchanged)` : `${from} → ${to}`}; per node ${report.durationsMs.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(", ")}`);
    log(`request p99 ${p99(report.during).toFixed(1)} ms during the roll, ${p99(report.atRest).toFixed(1)} ms at rest; subscriber ${report.subscribed ? "still subscribed" : "LOST its subscription"}; mesh ${report.meshWhole ? "whole" : "NOT whole"}`);
    for (const error of report.during.errors) log(`failed: ${error}`);
    const summary = summaryLine(report);
    console.log(summary.line);
    return summary.ok;
  } finally {
    rmSync(plans.dir, { recursive: true, force: true });
  }
}

function resumeHint(command: Command): string {
  return `npm run roll -- --stack ${command.stack}${command.twin ? " --twin" : ""}`;
}

async function main(): Promise<number> {
  const command = parse(process.argv.slice(2));
  if (command === undefined) {
    console.log(USAGE);
    return 0;
  }
  const interrupt = new AbortController();
  process.once("SIGINT", () => {
    console.error("roll: interrupted: finishing the node in progress, then stopping (Ctrl-C again to abort at once)");
    interrupt.abort();
  });
  const log = (line: string): void => console.log(line);
  const ok = command.twin ? await rollTwinCommand(command, log, interrupt.signal) : await rollDeployed(command, log, interrupt.signal);
  return ok ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError || (error as { code?: string }).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      console.error(`roll: ${errorMessage(error)}\n\n${USAGE}`);
      process.exitCode = UsageError.EXIT_CODE;
    } else {
      console.error(`roll: ${errorMessage(error)}`);
      process.exitCode = 1;
    }
  },
);
