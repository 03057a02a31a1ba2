import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { readNodeConfig, substituteMountPoints } from "./cloud-config";
import { NatsServerBinary } from "./nats-binary";
import { PlanDroplet } from "./plan";
import { pathWith } from "./process";
import { privilegedPortProblem } from "./unit-ports";
import { volumeDirectories } from "./volumes";

/** One running droplet of the twin. */
export interface TwinNode {
  /** Droplet name. */
  name: string;
  address: string;
  /** nats-server's PID; undefined while killed. */
  pid: number | undefined;
  /** The directories that play the droplet's volumes, by mount point; they survive a restart. */
  volumes: ReadonlyMap<string, string>;
  /** The nats-server binary the node runs and the version it reports. */
  server: NatsServerBinary;
  clientPort: number;
  monitorPort?: number;
}

/** How to run one droplet's nats-server as a process: its unit's command line, directory and stop rules. */
export interface NodeRuntime {
  readonly node: TwinNode;
  readonly dir: string;
  readonly argv: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly clusterPort?: number;
  readonly config?: string;
  readonly killSignal: NodeJS.Signals;
  readonly stopTimeoutMs: number;
}

/** The value following `names` in a nats-server command line. */
function flagValue(words: readonly string[], ...names: string[]): string | undefined {
  const index = words.findIndex((word) => names.includes(word));
  return index >= 0 ? words[index + 1] : undefined;
}

/** The nats-server words of an argv, looking inside `sh -c '<command>'`. */
function serverWords(argv: readonly string[]): string[] {
  const shell = /(^|\/)(ba|da)?sh$/.test(argv[0]) && argv[1] === "-c";
  return shell ? argv[2].split(/\s+/) : [...argv];
}

function portOf(value: string | undefined): number | undefined {
  const port = value === undefined ? undefined : /(?:^|:)(\d+)$/.exec(value)?.[1];
  return port === undefined ? undefined : Number(port);
}

/**
 * Writes the node's working-directory files in `dir` (its volumes' directories under
 * `workDir`) and derives how to run and reach it.
 */
export function materialiseNode(workDir: string, droplet: PlanDroplet, userData: string, dir: string, address: string, server: NatsServerBinary): NodeRuntime {
  const config = readNodeConfig(userData, droplet.name);
  const volumes = volumeDirectories(workDir, droplet, config.mountPoints);
  for (const file of substituteMountPoints(config.workingFiles, volumes)) {
    mkdirSync(dirname(join(dir, file.path)), { recursive: true });
    writeFileSync(join(dir, file.path), file.content, { mode: file.permissions === undefined ? 0o644 : parseInt(file.permissions, 8) });
  }
  if (config.environmentFile !== undefined) {
    writeFileSync(join(dir, config.environmentFile), `PRIVATE_IP=${address}\nPUBLIC_IP=${address}\n`);
  }
  const words = serverWords(config.argv);
  const command = words.find((word) => /(^|\/)nats-server$/.test(word));
  if (command !== "nats-server") {
    throw new Error(`the unit of ${droplet.name} runs ${command ?? "no nats-server"}: the twin supplies nats-server through PATH, so the unit must name it without a directory`);
  }
  const ports = {
    client: portOf(flagValue(words, "-p", "--port")) ?? 4222,
    monitor: portOf(flagValue(words, "-m", "--http_port")),
    cluster: portOf(flagValue(words, "--cluster", "--cluster_advertise")),
  };
  const privileged = privilegedPortProblem(droplet.name, config, ports);
  if (privileged !== undefined) throw new Error(privileged);
  return {
    node: {
      name: droplet.name,
      address,
      pid: undefined,
      volumes,
      server,
      clientPort: ports.client,
      monitorPort: ports.monitor,
    },
    dir,
    argv: config.argv,
    env: { PATH: pathWith(dir, "nats-server", server.path), PRIVATE_IP: address, PUBLIC_IP: address },
    clusterPort: ports.cluster,
    config: flagValue(words, "-c", "--config"),
    killSignal: config.killSignal,
    stopTimeoutMs: config.stopTimeoutSeconds * 1000,
  };
}
