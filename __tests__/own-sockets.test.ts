// withOwnSockets against real TCP sockets to an in-process net.Server on 127.0.0.1 (no process
// is started): the sockets a run opens are destroyed when its signal aborts and when it settles,
// one opened after that is destroyed at once, and sockets opened outside the run are untouched.
import { getEventListeners, once } from "node:events";
import { connect, createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { withOwnSockets } from "../verify/own-sockets";

let server: Server;
let port: number;
/** Every socket the server accepted and every client socket a test opened, destroyed after each test. */
const sockets = new Set<Socket>();

beforeAll(async () => {
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterEach(() => {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** A client socket to the server, opened in the caller's async context. */
function open(): Socket {
  const socket = connect(port, "127.0.0.1");
  socket.on("error", () => undefined);
  sockets.add(socket);
  return socket;
}

/** A client socket to the server, resolved once connected. */
async function connected(): Promise<Socket> {
  const socket = open();
  await once(socket, "connect");
  return socket;
}

/** Resolves when `socket` closes; rejects after `ms` if it stays open. */
function closed(socket: Socket, ms = 2000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the socket is still open after ${ms} ms`)), ms);
    socket.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

describe("withOwnSockets", () => {
  test("a socket opened inside the run stays usable while the run lasts and is destroyed when it resolves, with the run's value", async () => {
    let inside: Socket | undefined;
    const value = await withOwnSockets(new AbortController().signal, async () => {
      inside = await connected();
      // Still open after a round trip through the event loop: nothing destroys it early.
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect([inside.destroyed, inside.readyState]).toEqual([false, "open"]);
      return "result";
    });
    expect(value).toBe("result");
    expect(inside?.destroyed).toBe(true);
  });

  test("a run that rejects has its sockets destroyed too, and the rejection passes through", async () => {
    let inside: Socket | undefined;
    await expect(
      withOwnSockets(new AbortController().signal, async () => {
        inside = await connected();
        throw new Error("check failed");
      }),
    ).rejects.toThrow("check failed");
    expect(inside?.destroyed).toBe(true);
  });

  test("every socket the run opened is destroyed when the signal aborts, before the run settles", async () => {
    const controller = new AbortController();
    const states = await withOwnSockets(controller.signal, async () => {
      const first = await connected();
      const second = open();
      controller.abort();
      return [first.destroyed, second.destroyed];
    });
    expect(states).toEqual([true, true]);
  });

  test("a socket opened under a signal that already aborted is destroyed at once, without waiting for the run", async () => {
    const controller = new AbortController();
    controller.abort();
    await withOwnSockets(controller.signal, async () => {
      const socket = open();
      await closed(socket);
      expect(socket.destroyed).toBe(true);
    });
  });

  test("a socket the run's code opens after the run settled (a timer it left) is destroyed at once", async () => {
    let late: Promise<Socket> | undefined;
    await withOwnSockets(new AbortController().signal, async () => {
      late = new Promise((resolve) => setTimeout(() => resolve(open()), 10));
    });
    const socket = await (late as Promise<Socket>);
    await closed(socket);
    expect(socket.destroyed).toBe(true);
  });

  test("a socket the run's code opens after the signal aborted is destroyed at once, while the run lasts", async () => {
    const controller = new AbortController();
    await withOwnSockets(controller.signal, async () => {
      controller.abort();
      const socket = open();
      await closed(socket);
    });
  });

  test("sockets opened outside the run, before and while it lasts, are untouched by its abort and its end", async () => {
    const before = await connected();
    const controller = new AbortController();
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let inside: Socket | undefined;
    const run = withOwnSockets(controller.signal, async () => {
      inside = await connected();
      await gate;
    });
    // Opened from the test's own async context while the run waits at its gate.
    const during = await connected();
    controller.abort();
    release();
    await run;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(inside?.destroyed).toBe(true);
    expect([before.destroyed, before.readyState, during.destroyed, during.readyState]).toEqual([false, "open", false, "open"]);
  });

  test("a run that ends leaves no abort listener on its signal", async () => {
    const signal = new AbortController().signal;
    await withOwnSockets(signal, async () => {
      expect(getEventListeners(signal, "abort")).toHaveLength(1);
      await connected();
    });
    expect(getEventListeners(signal, "abort")).toHaveLength(0);
  });

  test("two runs one after the other each destroy their own sockets only", async () => {
    const first = await withOwnSockets(new AbortController().signal, () => connected());
    let second: Socket | undefined;
    await withOwnSockets(new AbortController().signal, async () => {
      second = await connected();
      expect(second.destroyed).toBe(false);
    });
    expect([first.destroyed, second?.destroyed]).toEqual([true, true]);
  });
});
