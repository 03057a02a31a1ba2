import type { NatsConnection } from "@nats-io/nats-core";
import { childPids } from "../twin/probe";
import { isAlive } from "../twin/process";
import type { Twin } from "../twin/twin";
import type { CheckResult } from "../verify/types";
import { verify } from "../verify/verify";

/** A test file's twin, the processes it started and the NATS connections the tests opened. */
export class TwinUnderTest {
  private booted: Twin | undefined;
  private readonly started = new Set<number>();
  private readonly connections: NatsConnection[] = [];

  /** The twin, once `beforeAll` has booted it. */
  get twin(): Twin {
    if (this.booted === undefined) throw new Error("the twin has not booted");
    return this.booted;
  }

  /** Every PID {@link remember} has noted. */
  get startedPids(): ReadonlySet<number> {
    return this.started;
  }

  /** Boots the twin and remembers its processes. */
  async boot(start: () => Promise<Twin>): Promise<void> {
    this.booted = await start();
    this.remember();
  }

  /** Notes the PIDs of the nodes and of every child process; call again after a node restarts. */
  remember(): void {
    this.booted?.nodes.forEach((node) => node.pid !== undefined && this.started.add(node.pid));
    childPids().forEach((pid) => this.started.add(pid));
  }

  /** Closes `nc` when the test (or, with `keepConnections`, the file) ends. */
  track<T extends NatsConnection>(nc: T): T {
    this.connections.push(nc);
    return nc;
  }

  async closeConnections(): Promise<void> {
    await Promise.all(this.connections.splice(0).map((nc) => nc.close()));
  }

  /** Stops the twin; afterwards no process it or the tests started may still run. */
  async stop(): Promise<void> {
    await this.closeConnections();
    this.remember();
    await this.booted?.stop();
    expect([...this.started].filter(isAlive)).toEqual([]);
    expect(childPids()).toEqual([]);
  }
}

/** What {@link useTwin} does besides booting and stopping. */
export interface UseTwinOptions {
  /** Keep connections open from one test to the next (closed after the last). @default false */
  readonly keepConnections?: boolean;
  /** Runs after the twin has stopped, also when a test failed. */
  readonly cleanup?: () => void;
}

/**
 * One twin for a test file: booted in `beforeAll`, the tests' connections closed after each test,
 * and in `afterAll` the twin stopped, by PID, with a check that nothing it started still runs.
 */
export function useTwin(start: () => Promise<Twin>, options: UseTwinOptions = {}): TwinUnderTest {
  const under = new TwinUnderTest();
  beforeAll(() => under.boot(start));
  if (options.keepConnections !== true) afterEach(() => under.closeConnections());
  afterAll(async () => {
    try {
      await under.stop();
    } finally {
      options.cleanup?.();
    }
  });
  return under;
}

/**
 * verify against the twin's load balancer on its client entry port, with every check a deploy's
 * gate runs on a 3-node JetStream stack: each check's name and whether it passed, and the checks.
 */
export async function verifyTwin(twin: Twin): Promise<{ verdicts: [string, boolean][]; checks: CheckResult[] }> {
  const result = await verify({
    lb: twin.lbAddress,
    expectNodes: 3,
    clientPort: twin.clientPort,
    nodeMonitors: twin.nodes.map((node) => `http://${node.address}:${node.monitorPort}`),
    timeoutSeconds: 20,
    credentials: twin.credentials,
    jetstream: true,
  });
  return { verdicts: result.checks.map((check) => [check.name, check.ok]), checks: result.checks };
}
