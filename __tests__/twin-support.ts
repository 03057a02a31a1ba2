import type { NatsConnection } from "@nats-io/nats-core";
import { childPids } from "../twin/probe";
import { identify } from "../twin/leftovers";
import type { Twin } from "../twin/twin";
import type { CheckResult } from "../verify/types";
import { verify } from "../verify/verify";

/** A test file's twin, the processes it started and the NATS connections the tests opened. */
export class TwinUnderTest {
  private booted: Twin | undefined;
  /** PID → its start time: a PID that has ended may be reused by another file's process (files run side by side). */
  private readonly started = new Map<number, number | undefined>();
  private readonly connections: NatsConnection[] = [];

  /** The twin, once `beforeAll` has booted it. */
  get twin(): Twin {
    if (this.booted === undefined) throw new Error("the twin has not booted");
    return this.booted;
  }

  /** Every PID {@link remember} has noted. */
  get startedPids(): ReadonlySet<number> {
    return new Set(this.started.keys());
  }

  /** The remembered processes still running: the same PID with the same start time. */
  stillRunning(): number[] {
    return [...this.started].filter(([pid, startTime]) => startTime !== undefined && identify(pid)?.startTime === startTime).map(([pid]) => pid);
  }

  /** Boots the twin and remembers its processes. */
  async boot(start: () => Promise<Twin>): Promise<void> {
    this.booted = await start();
    this.remember();
  }

  /** Notes the PIDs of the nodes and of every child process; call again after a node restarts. */
  remember(): void {
    const note = (pid: number): void => {
      const startTime = identify(pid)?.startTime;
      if (startTime !== undefined || !this.started.has(pid)) this.started.set(pid, startTime);
    };
    this.booted?.nodes.forEach((node) => node.pid !== undefined && note(node.pid));
    childPids().forEach(note);
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
    expect(this.stillRunning()).toEqual([]);
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
