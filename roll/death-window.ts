import type { Twin } from "../twin/twin";
import { connectNats } from "../twin/probe";
import { sleep } from "../helpers/retry";

/** How a dead node looked to new clients of the load balancer. */
export interface DeathWindow {
  /** From the kill to the last new connection that failed, milliseconds (0 when none failed). */
  readonly windowMs: number;
  readonly attempts: number;
  readonly failures: number;
}

/** New connections after the node is DOWN that must all succeed before the window is closed. */
const CLEAN_AFTER_DOWN = 20;

/**
 * Kills node `index` as a dead droplet dies (SIGKILL) and opens a new connection through the
 * load balancer every `everyMs` until the load balancer has marked it DOWN and
 * {@link CLEAN_AFTER_DOWN} connections in a row have succeeded. The window is how long new
 * clients could still be sent to the dead node.
 */
export async function measureDeathWindow(twin: Twin, index: number, everyMs = 100): Promise<DeathWindow> {
  const name = twin.nodes[index].name;
  const server = `${twin.lbAddress}:${twin.clientPort}`;
  const killedAt = Date.now();
  await twin.kill(index);
  let lastFailure = killedAt;
  let attempts = 0;
  let failures = 0;
  let cleanAfterDown = 0;
  while (cleanAfterDown < CLEAN_AFTER_DOWN) {
    const down = (await twin.serverState())[name] === "DOWN";
    attempts++;
    try {
      const nc = await connectNats(server, twin.credentials, { timeout: 2000 });
      await nc.close();
      if (down) cleanAfterDown++;
    } catch {
      failures++;
      lastFailure = Date.now();
      cleanAfterDown = 0;
    }
    await sleep(everyMs);
  }
  return { windowMs: failures === 0 ? 0 : lastFailure - killedAt, attempts, failures };
}
