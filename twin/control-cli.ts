import { NODE_ACTIONS, type ControlRequest, type NodeAction, sendControl } from "./control";
import { HELP_OPTION, UsageError, parseCli } from "../verify/args";

/** The control commands' lines in the twin's usage. */
export const CONTROL_USAGE = [
  "While a twin runs, from another terminal:",
  `  npm run twin -- node <${NODE_ACTIONS.join("|")}> <node> [--address-base A]`,
  "    stop: systemctl stop (lame duck); kill: a dead droplet (SIGKILL); freeze: a hung droplet",
  "    (SIGSTOP); start: resume a frozen node, or boot a stopped one again with its volume.",
  "    Prints what the load balancers and the mesh do next, with timings.",
  "  npm run twin -- nodes [--address-base A]",
  "    the nodes, each load balancer's view of them (HAProxy's health checks) and their routes",
];

/**
 * The control command `argv` asks for (`node <action> <name>` or `nodes`, then options), as a
 * function that runs it and returns the exit status; undefined when `argv` boots a twin.
 */
export function controlCommand(argv: readonly string[]): ((usage: string) => Promise<number>) | undefined {
  const [command] = argv;
  if (command !== "node" && command !== "nodes") return undefined;
  return async (usage) => {
    const positionals = command === "node" ? 3 : 1;
    const values = parseCli(argv.slice(positionals), { "address-base": { type: "string" }, ...HELP_OPTION });
    if (values.help) {
      console.log(usage);
      return 0;
    }
    const ok = await sendControl(controlRequest(argv), (line) => console.log(line), values["address-base"]);
    return ok ? 0 : 1;
  };
}

function controlRequest(argv: readonly string[]): ControlRequest {
  if (argv[0] === "nodes") return { command: "nodes" };
  const [, action, node] = argv;
  if (!NODE_ACTIONS.includes(action as NodeAction)) {
    throw new UsageError(`node ${JSON.stringify(action ?? "")} is not an action: expected node <${NODE_ACTIONS.join("|")}> <node>`);
  }
  if (node === undefined || !/^[\w.-]{1,64}$/.test(node)) {
    throw new UsageError(`${JSON.stringify(node ?? "")} is not a node name: expected one such as nats-2 (npm run twin -- nodes lists them)`);
  }
  return { command: action as NodeAction, node };
}
