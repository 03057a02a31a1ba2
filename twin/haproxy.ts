import { createConnection } from "node:net";
import { PlanLoadBalancer } from "./plan";

/** A backend server: a droplet carrying the load balancer's tag. */
export interface HaproxyServer {
  readonly name: string;
  readonly address: string;
}

/** The health check as HAProxy runs it, timers already scaled. */
export interface HaproxyCheck {
  readonly protocol: string;
  readonly port: number;
  readonly path?: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly rise: number;
  readonly fall: number;
}

/** Scales the plan's health check timers by `timeScale` (milliseconds, at least 1). */
export function scaledCheck(lb: PlanLoadBalancer, timeScale: number): HaproxyCheck {
  if (!(timeScale > 0 && Number.isFinite(timeScale))) throw new Error(`time scale ${timeScale} is not valid: expected a finite number above 0`);
  const check = lb.healthCheck;
  if (check.protocol !== "http" && check.protocol !== "tcp") {
    throw new Error(`health check protocol ${check.protocol} is not supported by the twin: expected http or tcp`);
  }
  return {
    protocol: check.protocol,
    port: check.port,
    path: check.path,
    intervalMs: Math.max(1, Math.round(check.intervalSeconds * 1000 * timeScale)),
    timeoutMs: Math.max(1, Math.round(check.timeoutSeconds * 1000 * timeScale)),
    rise: check.healthyThreshold,
    fall: check.unhealthyThreshold,
  };
}

/** Backend name used for the forwarding rule entering on `entryPort`. */
function backendName(entryPort: number): string {
  return `rule_${entryPort}`;
}

/**
 * An HAProxy configuration equivalent to the load balancer: one frontend per forwarding
 * rule on `address`, round robin over `servers` at the rule's target port, and the one
 * health check on every server of every backend.
 */
export function renderHaproxyConfig(lb: PlanLoadBalancer, address: string, servers: readonly HaproxyServer[], check: HaproxyCheck, statsSocket: string): string {
  const lines = [
    "global",
    `  stats socket ${statsSocket} mode 600 level admin`,
    "",
    "defaults",
    "  timeout connect 5s",
    "  timeout client 1h",
    "  timeout server 1h",
    `  timeout check ${check.timeoutMs}ms`,
  ];
  for (const rule of lb.forwardingRules) {
    const mode = ruleMode(rule.entryProtocol);
    const backend = backendName(rule.entryPort);
    lines.push("", `frontend entry_${rule.entryPort}`, `  mode ${mode}`, `  bind ${address}:${rule.entryPort}`, `  default_backend ${backend}`);
    lines.push("", `backend ${backend}`, `  mode ${mode}`, "  balance roundrobin", ...checkOptions(check));
    const serverOptions = `check port ${check.port} inter ${check.intervalMs}ms rise ${check.rise} fall ${check.fall}`;
    lines.push(...servers.map((server) => `  server ${server.name} ${server.address}:${rule.targetPort} ${serverOptions}`));
  }
  return `${lines.join("\n")}\n`;
}

function ruleMode(protocol: string): "tcp" | "http" {
  if (protocol === "tcp" || protocol === "http") return protocol;
  throw new Error(`forwarding rule entry_protocol ${protocol} is not supported by the twin: expected tcp or http`);
}

function checkOptions(check: HaproxyCheck): string[] {
  if (check.protocol === "tcp") return [];
  return [`  option httpchk GET ${check.path ?? "/"}`, "  http-check expect status 200"];
}

/**
 * Each server's state from the stats socket (`show stat`), by server name. A server in
 * several backends reports UP only when UP in all of them, else its first other state
 * (e.g. "DOWN", "UP 1/3" while failing checks).
 */
export async function queryServerStates(statsSocket: string): Promise<Record<string, string>> {
  const csv = await statsCommand(statsSocket, "show stat");
  const states: Record<string, string> = {};
  const rows = csv.split("\n").filter((line) => line !== "" && !line.startsWith("#"));
  for (const row of rows) {
    const [proxy, server, ...fields] = row.split(",");
    if (server === "FRONTEND" || server === "BACKEND" || !proxy.startsWith("rule_")) continue;
    const status = fields[15];
    if (states[server] === undefined || states[server] === "UP") states[server] = status;
  }
  return states;
}

function statsCommand(statsSocket: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(statsSocket);
    let output = "";
    socket.setEncoding("utf8");
    socket.on("connect", () => socket.end(`${command}\n`));
    socket.on("data", (chunk: string) => (output += chunk));
    socket.on("end", () => resolve(output));
    socket.on("error", reject);
  });
}
