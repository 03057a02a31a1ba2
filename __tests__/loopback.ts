import { createServer } from "node:net";
import type { AddressInfo } from "node:net";

/** A port on `host` (127.0.0.1 by default) that was just listened on and closed: connections to it are refused. */
export async function closedPort(host = "127.0.0.1"): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
