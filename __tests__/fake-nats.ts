import { createServer, type AddressInfo, type Server, type Socket } from "node:net";

// A node:net server that speaks just enough of the NATS client protocol (INFO, PING/PONG, SUB,
// UNSUB, PUB with an optional reply subject → MSG, subjects with * and > wildcards) for verify's
// checks and the pub/sub app. It models the protocol's framing, not nats-server: no
// authorization, no headers (HPUB), no queue groups, no slow consumers.

const servers: Server[] = [];
const sockets = new Set<Socket>();

/** One server behind the fake NATS port. */
export interface NatsNode {
  readonly id: string;
  /** @default - the id */
  readonly name?: string;
}

export interface FakeNats {
  readonly url: string;
  /** Client connections still open. */
  open(): number;
  /** UNSUBs received, from all connections. */
  unsubscribed(): number;
}

/** True when `subject` matches the subscription `pattern` (`*` one token, `>` the rest). */
function matches(pattern: string, subject: string): boolean {
  const want = pattern.split(".");
  const have = subject.split(".");
  for (const [i, token] of want.entries()) {
    if (token === ">") return have.length > i;
    if (i >= have.length || (token !== "*" && token !== have[i])) return false;
  }
  return want.length === have.length;
}

/**
 * A NATS port on `host` in front of `nodes`: connection k lands on node k mod n and gets its
 * INFO. PUBs reach every matching SUB, except from a node to one `cut` says is not routed to
 * it (a node cut from itself does not echo).
 */
export async function fakeNats(nodes: readonly NatsNode[], cut: (from: string, to: string) => boolean = () => false, host = "127.0.0.1"): Promise<FakeNats> {
  interface Client {
    readonly socket: Socket;
    readonly node: string;
    /** sid → subject */
    readonly subs: Map<string, string>;
  }
  const clients = new Set<Client>();
  let next = 0;
  let unsubscribed = 0;
  const deliver = (from: Client, subject: string, reply: string | undefined, payload: Buffer): void => {
    for (const to of clients) {
      if (cut(from.node, to.node)) continue;
      for (const [sid, subscribed] of to.subs) {
        if (!matches(subscribed, subject)) continue;
        const head = `MSG ${subject} ${sid}${reply === undefined ? "" : ` ${reply}`} ${payload.length}\r\n`;
        to.socket.write(Buffer.concat([Buffer.from(head), payload, Buffer.from("\r\n")]));
      }
    }
  };
  const server = createServer((socket) => {
    sockets.add(socket);
    const node = nodes[next++ % nodes.length];
    const client: Client = { socket, node: node.id, subs: new Map() };
    clients.add(client);
    socket.on("close", () => {
      clients.delete(client);
      sockets.delete(socket);
    });
    socket.on("error", () => undefined);
    const info = { server_id: node.id, server_name: node.name ?? node.id, version: "2.10.22", proto: 1, go: "go1.22.8", host: "127.0.0.1", port: 4222, headers: true, max_payload: 1048576 };
    socket.write(`INFO ${JSON.stringify(info)}\r\n`);
    let buffer = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const eol = buffer.indexOf("\r\n");
        if (eol < 0) return;
        const [verb, ...args] = buffer.subarray(0, eol).toString().split(" ");
        const op = verb.toUpperCase();
        if (op === "PUB") {
          const size = Number(args[args.length - 1]);
          if (buffer.length < eol + 2 + size + 2) return;
          const payload = Buffer.from(buffer.subarray(eol + 2, eol + 2 + size));
          buffer = buffer.subarray(eol + 4 + size);
          deliver(client, args[0], args.length === 3 ? args[1] : undefined, payload);
          continue;
        }
        buffer = buffer.subarray(eol + 2);
        if (op === "PING") socket.write("PONG\r\n");
        else if (op === "SUB") client.subs.set(args[args.length - 1], args[0]);
        else if (op === "UNSUB") {
          unsubscribed++;
          client.subs.delete(args[0]);
        }
      }
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { url: `nats://${host}:${(server.address() as AddressInfo).port}`, open: () => clients.size, unsubscribed: () => unsubscribed };
}

/** Closes every fake NATS port and the connections they hold. */
export async function stopFakeNats(): Promise<void> {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await Promise.all(servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
}
