import { AsyncLocalStorage } from "node:async_hooks";
import { subscribe } from "node:diagnostics_channel";
import type { Socket } from "node:net";

/** The sockets opened inside one {@link withOwnSockets} call, and whether it has ended. */
class OwnSockets {
  private readonly open = new Set<Socket>();
  private ended = false;

  add(socket: Socket): void {
    if (this.ended) {
      // Published before net.connect() calls socket.connect(), which would revive a socket destroyed now.
      process.nextTick(() => socket.destroy());
      return;
    }
    this.open.add(socket);
    socket.once("close", () => this.open.delete(socket));
  }

  destroyAll(): void {
    this.ended = true;
    for (const socket of this.open) socket.destroy();
    this.open.clear();
  }
}

const scopes = new AsyncLocalStorage<OwnSockets>();
let subscribed = false;

/**
 * Runs `run` and destroys every TCP client socket it opened (directly or through nats.js or
 * fetch, told by Node's `net.client.socket` diagnostics channel and the async context), when
 * `signal` aborts and when `run` settles; a socket opened after that is destroyed at once.
 * nats.js leaves the socket of a connection that timed out before the server's INFO open
 * (its transport closes only connected sockets), and one open socket keeps a CLI alive forever.
 */
export async function withOwnSockets<T>(signal: AbortSignal, run: () => Promise<T>): Promise<T> {
  if (!subscribed) {
    subscribe("net.client.socket", (message) => scopes.getStore()?.add((message as { socket: Socket }).socket));
    subscribed = true;
  }
  const own = new OwnSockets();
  const destroy = (): void => own.destroyAll();
  if (signal.aborted) destroy();
  else signal.addEventListener("abort", destroy, { once: true });
  try {
    return await scopes.run(own, run);
  } finally {
    signal.removeEventListener("abort", destroy);
    own.destroyAll();
  }
}
