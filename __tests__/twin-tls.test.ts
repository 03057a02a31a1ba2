import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { readNodeConfig, substituteReferences } from "../twin/cloud-config";
import { peerCount } from "../twin/monitor";
import { freshStackFile } from "../plan/synth";
import { readPlan } from "../twin/plan";
import { childPids, connectNats } from "../twin/probe";
import { findExecutable, isAlive, pathWith, poll, startProcess, stopProcess } from "../twin/process";
import { issueTls } from "../twin/tls";
import { connectDistinct } from "../verify/connection";
import { Twin, bootTwin } from "../twin/twin";
import { verifyTwin } from "./twin-support";

// Integration test: boots twins and a rogue nats-server, and runs openssl.
jest.setTimeout(120_000);

// Loopback block of this file: the load balancer on .10, nodes on .11 and up, the rogue node on .20.
const BASE = "127.0.14.10";
const ROGUE = "127.0.14.20";

/** What a raw TCP client that never starts TLS gets: everything the server sent until it closed. */
function plaintextSession(host: string, port: number, token: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = "";
    const socket = tcpConnect({ host, port });
    socket.setTimeout(10_000, () => socket.destroy(new Error(`the server kept a plaintext client open 10 s; it sent ${JSON.stringify(received)}`)));
    socket.on("data", (chunk: Buffer) => {
      if (received === "") socket.write(`CONNECT {"verbose":false,"auth_token":"${token}"}\r\nPING\r\n`);
      received += chunk.toString();
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(received));
  });
}

describe("TLS through the default stack's twin", () => {
  const plan = readPlan(freshStackFile("nats"));
  const secrets = Object.fromEntries(plan.passwords.map((id) => [id, `tls${id.replace(/[^A-Za-z0-9]/g, "")}`]));
  const work = mkdtempSync(join(tmpdir(), "twin-tls-"));
  let twin: Twin | undefined;
  const started: number[] = [];
  const log: string[] = [];

  beforeAll(async () => {
    twin = await bootTwin({ stack: "nats", addressBase: BASE, timeScale: 0.2, secrets, log: (line) => log.push(line) });
    started.push(...childPids());
  });

  afterAll(async () => {
    await Promise.all(started.map((pid) => stopProcess(pid)));
    await twin?.stop();
    rmSync(work, { recursive: true, force: true });
    expect(started.filter(isAlive)).toEqual([]);
    expect(childPids()).toEqual([]);
  });

  function lb(): { twin: Twin; server: string } {
    if (twin === undefined) throw new Error("the twin did not boot");
    return { twin, server: `${twin.lbAddress}:${twin.clientPort}` };
  }

  test("the twin runs the plan's TLS: the CA and the server name it outputs", () => {
    const { twin } = lb();
    expect(twin.credentials.tls?.serverName).toBe("nats.internal");
    expect(twin.credentials.tls?.ca).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    const text = execFileSync("openssl", ["x509", "-noout", "-text"], { input: twin.credentials.tls?.ca }).toString();
    expect(text).toMatch(/Public Key Algorithm: id-ecPublicKey[\s\S]*NIST CURVE: P-256/);
    expect(text).toMatch(/CA:TRUE/);
    expect(log.join("\n")).toMatch(/tls: issued 4 keys and 4 certificates with openssl/);
    expect(log.join("\n")).not.toMatch(/PRIVATE KEY/);
  });

  test("a plaintext client is told TLS is required and dropped before its CONNECT is answered", async () => {
    const { twin } = lb();
    const received = await plaintextSession(twin.lbAddress, twin.clientPort, twin.credentials.token as string);
    expect(received).toMatch(/^INFO \{.*"tls_required":true/);
    expect(received).not.toMatch(/PONG|\+OK/);
  });

  test("a client that trusts another CA is rejected", async () => {
    const { twin, server } = lb();
    const otherCa = join(work, "other-ca.pem");
    execFileSync("openssl", ["req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", join(work, "other-ca.key"), "-out", otherCa, "-days", "1", "-subj", "/CN=other CA"], { stdio: "ignore" });
    const tls = { ca: readFileSync(otherCa, "utf8"), serverName: "nats.internal" };
    await expect(connectNats(server, { ...twin.credentials, tls })).rejects.toThrow(/verify|certificate/i);
    const reached = await connectDistinct({ server, credentials: { ...twin.credentials, tls }, wanted: 1, timeoutMs: 2000 });
    expect(reached.byServer.size).toBe(0);
    expect(reached.lastError).toMatch(/does not chain to the CA in NATS_CA/);
  });

  test("a client that asks for a wrong server name is rejected", async () => {
    const { twin, server } = lb();
    const tls = { ca: twin.credentials.tls?.ca as string, serverName: "wrong.internal" };
    await expect(connectNats(server, { ...twin.credentials, tls })).rejects.toThrow(/altnames/i);
    const reached = await connectDistinct({ server, credentials: { ...twin.credentials, tls }, wanted: 1, timeoutMs: 2000 });
    expect(reached.lastError).toMatch(/set NATS_TLS_SERVER_NAME to the cluster's server name/);
  });

  test("a client without a CA gets an error naming NATS_CA", async () => {
    const { twin, server } = lb();
    const reached = await connectDistinct({ server, credentials: { token: twin.credentials.token }, wanted: 1, timeoutMs: 2000 });
    expect(reached.lastError).toMatch(/NATS_CA is not set: set NATS_CA to the CA certificate/);
  });

  test("verify passes over TLS: round robin, mesh, request/reply, health, jetstream (a replicated stream)", async () => {
    const { twin } = lb();
    const result = await verifyTwin(twin);
    expect(result.verdicts).toEqual([["round robin", true], ["mesh", true], ["pub/sub", true], ["health", true], ["jetstream", true]]);
    expect(result.checks[4].detail).not.toMatch(/not checked/);
    const nc = await connectNats(lb().server, twin.credentials);
    try {
      expect(nc.info?.tls_required).toBe(true);
    } finally {
      await nc.close();
    }
  });

  test("a node with the route password but a certificate from another CA cannot join", async () => {
    const { twin } = lb();
    const dir = join(work, "rogue");
    const foreign = await issueTls(plan.tls, findExecutable("openssl", "apt-get install openssl"), join(work, "foreign"));
    // The rogue trusts the cluster's CA (so it accepts the seed) but presents a certificate from its own CA.
    const caKey = [...twin.pems.keys()].find((key) => key.startsWith("tls_self_signed_cert.")) as string;
    const pems = new Map([...foreign, [caKey, twin.pems.get(caKey) as string]]);
    const droplet = plan.droplets[1];
    const addresses = new Map(plan.droplets.map((d, i) => [d.id, twin.nodes[i].address]));
    const userData = substituteReferences(droplet.userData, { addresses, loadBalancers: twin.loadBalancerAddresses, secrets: new Map(Object.entries(secrets)), pems }, "rogue");
    const config = readNodeConfig(userData, "rogue");
    for (const file of config.workingFiles) {
      mkdirSync(dirname(join(dir, file.path)), { recursive: true });
      writeFileSync(join(dir, file.path), file.content);
    }
    const [command, ...args] = config.argv;
    const logFile = join(dir, "nats-server.log");
    const rogue = await startProcess({ command, args, cwd: dir, env: { PATH: pathWith(dir, "nats-server", twin.nodes[1].server.path), PRIVATE_IP: ROGUE, PUBLIC_IP: ROGUE }, logFile });
    started.push(rogue.pid);
    // Evidence that it tried: the seed dropped its route twice (with TLS 1.3 the dialler finishes
    // its side of the handshake first, so the seed's refusal shows as a closed connection).
    const refusals = (): number => (readFileSync(logFile, "utf8").match(/Route connection created\n.*(Router connection closed|TLS route handshake error)/g) ?? []).length;
    await poll(() => refusals() >= 2, 15_000, 100, "the seed to drop the rogue's route twice").catch((error: Error) => {
      throw new Error(`${error.message}; the rogue's log:\n${readFileSync(logFile, "utf8")}`);
    });
    expect(await peerCount(`http://${ROGUE}:8222`)).toBe(0);
    const seed = twin.nodes[0];
    expect(await peerCount(`http://${seed.address}:${seed.monitorPort}`)).toBe(twin.nodes.length - 1);
  });
});
