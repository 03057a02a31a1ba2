import { Socket, createConnection } from "node:net";
import { poll } from "../twin/process";

/** What a command run in the guest returned. */
export interface GuestResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `sh -c <script>` in the guest through the QEMU guest agent (qemu-guest-agent in the image,
 * on a virtio-serial channel) and returns its output. The user_data is not involved: nothing is
 * added to what cloud-init runs. Fails when the agent does not answer within `timeoutMs`.
 */
export async function guestExec(socketPath: string, script: string, timeoutMs = 60_000): Promise<GuestResult> {
  const agent = await AgentConnection.open(socketPath, Math.min(timeoutMs, 10_000));
  try {
    const { pid } = (await agent.call("guest-exec", { path: "/bin/sh", arg: ["-c", script], "capture-output": true })) as { pid: number };
    const status = await poll(async () => {
      const answer = (await agent.call("guest-exec-status", { pid })) as { exited: boolean; exitcode?: number; "out-data"?: string; "err-data"?: string };
      return answer.exited ? answer : undefined;
    }, timeoutMs, 250, `the guest to finish ${JSON.stringify(script.slice(0, 60))}`);
    const text = (data: string | undefined): string => Buffer.from(data ?? "", "base64").toString("utf8");
    return { exitCode: status.exitcode ?? -1, stdout: text(status["out-data"]), stderr: text(status["err-data"]) };
  } finally {
    agent.close();
  }
}

/** True once the guest agent answers a ping (the guest has booted far enough to start it). */
export async function agentAnswers(socketPath: string): Promise<boolean> {
  try {
    const agent = await AgentConnection.open(socketPath, 3000);
    agent.close();
    return true;
  } catch {
    return false;
  }
}

/** One connection to the agent's socket: JSON commands, one answer line each. */
class AgentConnection {
  private buffer = "";
  private waiting?: { resolve: (value: unknown) => void; reject: (error: Error) => void };

  private constructor(private readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.buffer += chunk.toString("latin1");
      this.deliver();
    });
    socket.on("error", (error) => this.waiting?.reject(error));
    socket.on("close", () => this.waiting?.reject(new Error("the guest agent closed its channel")));
  }

  /** Connects and synchronises (guest-sync-delimited drops whatever an earlier client left unread). */
  public static async open(path: string, timeoutMs: number): Promise<AgentConnection> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const connection = createConnection(path, () => resolve(connection));
      connection.once("error", reject);
    });
    const agent = new AgentConnection(socket);
    const id = Math.floor(Math.random() * 1e9);
    const synced = agent.call("guest-sync-delimited", { id });
    const timer = new Promise<never>((_resolve, reject) => setTimeout(() => reject(new Error(`the guest agent did not answer within ${timeoutMs} ms`)), timeoutMs).unref());
    try {
      if ((await Promise.race([synced, timer])) !== id) throw new Error("the guest agent answered another sync");
    } catch (error) {
      agent.close();
      throw error;
    }
    return agent;
  }

  public call(command: string, args: Record<string, unknown>): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.socket.write(`${JSON.stringify({ execute: command, arguments: args })}\n`);
    });
  }

  public close(): void {
    this.waiting = undefined;
    this.socket.destroy();
  }

  private deliver(): void {
    // The agent's 0xFF sync marker and anything before it are dropped.
    const marker = this.buffer.lastIndexOf("\xff");
    if (marker >= 0) this.buffer = this.buffer.slice(marker + 1);
    const end = this.buffer.indexOf("\n");
    if (end < 0 || this.waiting === undefined) return;
    const line = this.buffer.slice(0, end);
    this.buffer = this.buffer.slice(end + 1);
    const waiting = this.waiting;
    this.waiting = undefined;
    const answer = JSON.parse(line) as { return?: unknown; error?: { desc: string } };
    if (answer.error !== undefined) waiting.reject(new Error(`guest agent: ${answer.error.desc}`));
    else waiting.resolve(answer.return);
  }
}
