import { existsSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { peerCount } from "./monitor";
import { liveTwins } from "./leftovers";
import { poll } from "./process";
import type { TwinNode } from "./node";
import type { Twin } from "./twin";
import { errorMessage } from "../helpers/errors";

/** The control socket's name in the twin's working directory. */
export const CONTROL_SOCKET = "control.sock";

/**
 * What can be done to a node while the twin runs, as a droplet can fail:
 * stop (systemctl stop: the lame duck), kill (a dead droplet), freeze (SIGSTOP: a hung
 * droplet), start (a frozen node resumes, a stopped or killed one boots again with its volume).
 */
export const NODE_ACTIONS = ["stop", "kill", "freeze", "start"] as const;
export type NodeAction = (typeof NODE_ACTIONS)[number];

/** A request on the control socket: the node table, or an action on one node. */
export type ControlRequest = { readonly command: "nodes" } | { readonly command: NodeAction; readonly node: string };

/** Where an action is while its effects are watched. */
type ActionPhase = "running" | "done" | "failed";

/** How long an action waits for the load balancers and the mesh to settle before it reports what is still pending. */
const SETTLE_BUDGET_MS = 90_000;
const MAX_REQUEST_BYTES = 1024;

/** The running twin's side: acts on its nodes and reports what the load balancers and the mesh do next. */
export class TwinControl {
  private readonly frozen = new Set<string>();
  private busy = false;

  constructor(
    private readonly twin: Twin,
    /** Every line an action reports is also printed by the twin itself. */
    private readonly echo: (line: string) => void = () => undefined,
  ) {}

  /** Runs one request, passing each line of its report to `emit`; fails on a bad request or a failed action. */
  public async run(request: ControlRequest, emit: (line: string) => void): Promise<void> {
    if (request.command === "nodes") {
      (await this.table()).forEach(emit);
      return;
    }
    if (this.busy) throw new Error("another action is still running: wait for its report");
    this.busy = true;
    try {
      await this.act(request.command, this.indexOf(request.node), (line) => {
        this.echo(line);
        emit(line);
      });
    } finally {
      this.busy = false;
    }
  }

  private indexOf(name: string): number {
    const index = this.twin.nodes.findIndex((node) => node.name === name);
    if (index < 0) throw new Error(`no node ${JSON.stringify(name)}: the twin runs ${this.twin.nodes.map((node) => node.name).join(", ")}`);
    return index;
  }

  private async act(action: NodeAction, index: number, emit: (line: string) => void): Promise<void> {
    const node = this.twin.nodes[index];
    // What the load balancers and the mesh show before: the report names only changes.
    const before = { balancers: await this.balancerView(node), mesh: (await this.meshView()).text };
    const started = Date.now();
    const after = (): string => `after ${((Date.now() - started) / 1000).toFixed(1)} s`;
    let done: Promise<void>;
    if (action === "start") {
      if (this.frozen.delete(node.name)) {
        process.kill(node.pid as number, "SIGCONT");
        emit(`${node.name}: SIGCONT, the frozen nats-server (pid ${node.pid}) resumes`);
        done = Promise.resolve();
      } else {
        if (node.pid !== undefined) throw new Error(`${node.name} is running (pid ${node.pid}): nothing to start`);
        emit(`${node.name}: starting nats-server with its volume, as the droplet boots again`);
        done = this.twin.restart(index).then(() => emit(`${node.name}: nats-server pid ${node.pid} healthy ${after()}`));
      }
    } else {
      if (node.pid === undefined) throw new Error(`${node.name} is not running: start it first`);
      const pid = node.pid;
      if (action === "freeze") {
        if (this.frozen.has(node.name)) throw new Error(`${node.name} is already frozen: start resumes it`);
        process.kill(pid, "SIGSTOP");
        this.frozen.add(node.name);
        emit(`${node.name}: SIGSTOP, nats-server (pid ${pid}) hangs with its connections open, as a hung droplet`);
        emit("mesh: its peers keep their routes until nats-server's ping timeout (ping_interval 2 min × ping_max 2)");
        done = Promise.resolve();
      } else {
        this.frozen.delete(node.name);
        emit(action === "kill" ? `${node.name}: SIGKILL to nats-server (pid ${pid}), a dead droplet` : `${node.name}: systemctl stop, lame duck mode (SIGUSR2 to pid ${pid}); it exits once its clients have left`);
        done = (action === "kill" ? this.twin.kill(index, "SIGKILL") : this.twin.stopNode(index)).then(() => emit(`${node.name}: nats-server exited ${after()}`));
      }
    }
    let phase: ActionPhase = "running";
    const watching = this.watch(node, before, action === "start" ? "UP" : "DOWN", action !== "freeze", () => phase, after, emit);
    const outcome = await done.then(() => undefined, (error: unknown) => ({ error }));
    // A failed action ends the watch at its next look: nothing is reported after the error.
    phase = outcome === undefined ? "done" : "failed";
    await watching;
    if (outcome !== undefined) throw outcome.error;
  }

  /**
   * Reports each load balancer's view of `node` and the other nodes' route counts as they
   * change, until every load balancer that targets it reports `state` and (with `meshSettles`)
   * the mesh is as it will stay: whole when the node is up, without it when it is down; never
   * before the action itself is done (the node has exited, or is healthy again), and at once
   * when it failed.
   */
  private async watch(
    node: TwinNode,
    before: { balancers: Map<string, string>; mesh: string },
    state: "UP" | "DOWN",
    meshSettles: boolean,
    phase: () => ActionPhase,
    after: () => string,
    emit: (line: string) => void,
  ): Promise<void> {
    const seen = before.balancers;
    let mesh = before.mesh;
    const settled = async (): Promise<boolean> => {
      if (phase() === "failed") return true;
      let balancersDone = true;
      for (const [lb, now] of await this.balancerView(node)) {
        // Transitional states ("UP 1/3" while failing checks) are not reported.
        if ((now === "UP" || now === "DOWN") && seen.get(lb) !== now) {
          emit(`${lb}: haproxy marked ${node.name} ${now} ${after()}`);
          seen.set(lb, now);
        }
        balancersDone &&= now === state;
      }
      const routes = await this.meshView();
      if (routes.text !== mesh) emit(`mesh: ${routes.text} ${after()}`);
      mesh = routes.text;
      return phase() === "done" && balancersDone && (!meshSettles || routes.counts.every((count) => count === routes.running - 1));
    };
    await poll(settled, SETTLE_BUDGET_MS, 100, `${node.name} to be ${state} on every load balancer`).catch((error: unknown) => {
      emit(`still waiting ${after()}: ${errorMessage(error)}`);
    });
  }

  /** Each load balancer that targets `node` (by name) and its HAProxy state for it. */
  private async balancerView(node: TwinNode): Promise<Map<string, string>> {
    const states = await this.twin.loadBalancerStates();
    return new Map([...states].flatMap(([lb, servers]) => (servers[node.name] === undefined ? [] : [[lb, servers[node.name]]])));
  }

  /** "nats-1 routes to 1 of 2, nats-3 routes to 1 of 2": the running, unfrozen nodes' peers. */
  private async meshView(): Promise<{ text: string; running: number; counts: number[] }> {
    const watched = this.twin.nodes.filter((node) => node.pid !== undefined && !this.frozen.has(node.name) && node.monitorPort !== undefined);
    const running = this.twin.nodes.filter((node) => node.pid !== undefined).length;
    const counts = await Promise.all(watched.map((node) => peerCount(`http://${node.address}:${node.monitorPort}`).catch(() => -1)));
    const others = this.twin.nodes.length - 1;
    // A node that does not answer (booting, or just killed) is left out rather than guessed.
    const text = watched.flatMap((node, i) => (counts[i] < 0 ? [] : [`${node.name} routes to ${counts[i]} of ${others}`])).join(", ") || "no node answers";
    return { text, running, counts };
  }

  /** The node table: process, each load balancer's view, routes. */
  public async table(): Promise<string[]> {
    const states = await this.twin.loadBalancerStates();
    const others = this.twin.nodes.length - 1;
    const rows = await Promise.all(this.twin.nodes.map(async (node) => {
      const frozen = this.frozen.has(node.name);
      const server = node.pid === undefined ? "stopped" : `${frozen ? "frozen" : "running"} (pid ${node.pid})`;
      const lbs = [...states.values()].map((servers) => servers[node.name] ?? "-");
      const reachable = node.pid !== undefined && !frozen && node.monitorPort !== undefined;
      const routes = reachable ? await peerCount(`http://${node.address}:${node.monitorPort}`).then((count) => `${count} of ${others}`, () => "?") : "-";
      return [node.name, node.address, server, ...lbs, routes];
    }));
    return alignColumns([["node", "address", "nats-server", ...[...states.keys()].map((lb) => `${lb} (haproxy)`), "routes"], ...rows]);
  }
}

/** Rows as text columns, each as wide as its widest cell. */
export function alignColumns(table: readonly (readonly string[])[]): string[] {
  const widths = table[0].map((_title, column) => Math.max(...table.map((row) => row[column].length)));
  return table.map((row) => row.map((cell, column) => cell.padEnd(widths[column])).join("  ").trimEnd());
}

/** Checks a request read from the socket: anything else is refused with what is allowed. */
export function parseRequest(text: string): ControlRequest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error("a request is one line of JSON");
  }
  const { command, node } = (typeof value === "object" && value !== null ? value : {}) as { command?: unknown; node?: unknown };
  if (command === "nodes") return { command };
  if (!NODE_ACTIONS.includes(command as NodeAction)) throw new Error(`unknown command ${JSON.stringify(command)}: expected nodes, ${NODE_ACTIONS.join(", ")}`);
  if (typeof node !== "string" || !/^[\w.-]{1,64}$/.test(node)) throw new Error(`node ${JSON.stringify(node)} is not a node name`);
  return { command: command as NodeAction, node };
}

/**
 * Serves `control` on a unix socket in the twin's working directory (mode 0600 through the
 * directory's 0700): one JSON request per connection, answered with `{"line": …}` lines and a
 * final `{"ok": …}`.
 */
export async function serveControl(twin: Twin, control: TwinControl): Promise<Server> {
  const server = createServer((socket) => void answer(socket, control));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(join(twin.workDir, CONTROL_SOCKET), () => resolve());
  });
  return server;
}

async function answer(socket: Socket, control: TwinControl): Promise<void> {
  const send = (message: object): void => {
    if (!socket.destroyed) socket.write(`${JSON.stringify(message)}\n`);
  };
  socket.on("error", () => undefined);
  try {
    const line = await firstLine(socket);
    await control.run(parseRequest(line), (text) => send({ line: text }));
    send({ ok: true });
  } catch (error) {
    send({ ok: false, error: errorMessage(error) });
  }
  socket.end();
}

function firstLine(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      buffered += chunk;
      const end = buffered.indexOf("\n");
      if (end >= 0) resolve(buffered.slice(0, end));
      else if (buffered.length > MAX_REQUEST_BYTES) reject(new Error(`a request is at most ${MAX_REQUEST_BYTES} bytes`));
    });
    socket.on("end", () => reject(new Error("the request ended before its newline")));
  });
}

/**
 * The client side (`npm run twin -- node kill nats-2`): finds the running twin (the one on
 * `lbAddress` when given), sends `request` and passes each line of its report to `print`.
 * Resolves true when the action succeeded.
 */
export async function sendControl(request: ControlRequest, print: (line: string) => void, lbAddress?: string): Promise<boolean> {
  // Twins booted by the library (tests, the roll) serve no socket.
  const twins = liveTwins()
    .filter((twin) => existsSync(join(twin.dir, CONTROL_SOCKET)))
    .filter((twin) => lbAddress === undefined || twin.manifest.lbAddress === lbAddress);
  if (twins.length === 0) throw new Error(`no twin is running${lbAddress === undefined ? "" : ` on ${lbAddress}`}: start one with npm run twin`);
  if (twins.length > 1) throw new Error(`${twins.length} twins are running (on ${twins.map((twin) => twin.manifest.lbAddress).join(", ")}): choose one with --address-base`);
  const socket = createConnection(join(twins[0].dir, CONTROL_SOCKET));
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", (error) => reject(new Error(`the twin on ${twins[0].manifest.lbAddress} does not answer: ${errorMessage(error)}`)));
  });
  socket.write(`${JSON.stringify(request)}\n`);
  let ok = false;
  for await (const line of createInterface({ input: socket })) {
    const message = JSON.parse(line) as { line?: string; ok?: boolean; error?: string };
    if (message.line !== undefined) print(message.line);
    if (message.ok !== undefined) {
      ok = message.ok;
      if (message.error !== undefined) print(`error: ${message.error}`);
    }
  }
  return ok;
}
