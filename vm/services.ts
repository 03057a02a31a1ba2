/**
 * `node --import tsx vm/services.ts <config.json>`, run inside the VM twin's network namespace:
 * DigitalOcean's metadata service on 169.254.169.254:80 (each VM's own addresses, told apart by
 * the address it asks from) and the release mirror (a directory in nats-io's layout) over http.
 * Each request is one line on stdout.
 */
import { createReadStream, readFileSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { join, normalize } from "node:path";

/** What one VM's metadata service answers. */
export interface MetadataAnswers {
  readonly privateAddress: string;
  readonly publicAddress: string;
  readonly hostname: string;
}

export interface ServicesConfig {
  /** Link-local address a VM asks from → its answers. */
  readonly metadata: Readonly<Record<string, MetadataAnswers>>;
  /** The metadata service listens once this address exists in the namespace (the VM twin may add it late). */
  readonly metadataAddress: string;
  /** The release mirror: its directory, address and port. */
  readonly mirror: { readonly dir: string; readonly address: string; readonly port: number };
}

/** DigitalOcean's metadata paths the user_data reads, and a few a droplet's tools read. */
export function metadataAnswer(answers: MetadataAnswers, path: string): string | undefined {
  const paths: Record<string, string> = {
    "/metadata/v1/interfaces/private/0/ipv4/address": answers.privateAddress,
    "/metadata/v1/interfaces/public/0/ipv4/address": answers.publicAddress,
    "/metadata/v1/hostname": answers.hostname,
  };
  return paths[path];
}

function main(configFile: string): void {
  const config = JSON.parse(readFileSync(configFile, "utf8")) as ServicesConfig;
  const metadata = createServer((request, response) => {
    const answers = config.metadata[(request.socket.remoteAddress ?? "").replace(/^::ffff:/, "")];
    const body = answers === undefined ? undefined : metadataAnswer(answers, request.url ?? "");
    response.statusCode = body === undefined ? 404 : 200;
    response.end(body ?? "not found\n");
    console.log(`metadata ${request.socket.remoteAddress} ${request.url} ${response.statusCode}`);
  });
  const listen = (): void => void metadata.listen(80, config.metadataAddress);
  metadata.once("listening", () => console.log(`metadata listening on ${config.metadataAddress}:80`));
  metadata.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EADDRNOTAVAIL") throw error;
    setTimeout(listen, 200);
  });
  listen();
  const root = normalize(config.mirror.dir);
  const mirror = createServer((request, response) => {
    const file = normalize(join(root, decodeURIComponent(new URL(request.url ?? "/", "http://mirror").pathname)));
    const found = file.startsWith(`${root}/`) && statSync(file, { throwIfNoEntry: false })?.isFile() === true;
    response.statusCode = found ? 200 : 404;
    console.log(`mirror ${request.socket.remoteAddress} ${request.url} ${response.statusCode}`);
    if (found) createReadStream(file).pipe(response);
    else response.end("not found\n");
  });
  mirror.listen(config.mirror.port, config.mirror.address, () => console.log(`mirror listening on ${config.mirror.address}:${config.mirror.port}`));
}

if (require.main === module) main(process.argv[2]);
