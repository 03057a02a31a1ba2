import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validateCloudConfig } from "../twin/cloud-config";

// validateCloudConfig's side around `cloud-init schema --config-file`, with execFile replaced by a
// jest mock so that no process starts: what it writes, the command line it runs, and the error it
// makes of cloud-init's answer. The mock models cloud-init 24's exit status and output as read
// from a real run (`Error:` and the schema errors on stderr, a `Cloud config schema deprecations:`
// line on stdout, status 1) and Node's promisified execFile, which rejects with an Error carrying
// stdout and stderr. Where it could differ: another cloud-init version words its output
// differently; twin-plan.test.ts runs the real cloud-init against a rejected user_data.
jest.mock("node:child_process", () => ({ execFile: jest.fn() }));

const execFileMock = execFile as unknown as jest.Mock;

/** Makes the mocked execFile call back with `error` (undefined: success, with empty output). */
function answer(error?: Error): void {
  execFileMock.mockImplementation((_file: string, _args: string[], callback: (error: Error | null, result?: object) => void) => {
    if (error === undefined) callback(null, { stdout: "", stderr: "" });
    else callback(error);
  });
}

/** The Error Node's promisified execFile rejects with when the command exits with `code`. */
function failed(code: number, stdout: string, stderr: string): Error {
  return Object.assign(new Error("Command failed: cloud-init schema --config-file user-data.yaml"), { code, stdout, stderr });
}

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "twin-cloud-config-"));
  execFileMock.mockReset();
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const USER_DATA = "#cloud-config\nwrite_files:\n  - path: /etc/nats/nats.conf\n    content: 'authorization { token: \"secret\" }'\n";

describe("validateCloudConfig", () => {
  test("writes the user_data, secrets and all, readable by its owner only, and runs cloud-init schema on that file", async () => {
    answer();
    const file = join(dir, "user-data.yaml");
    await validateCloudConfig("/usr/bin/cloud-init", file, USER_DATA, "nats-1");
    expect(readFileSync(file, "utf8")).toBe(USER_DATA);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(execFileMock.mock.calls.map(([command, args]) => [command, args])).toEqual([["/usr/bin/cloud-init", ["schema", "--config-file", file]]]);
  });

  test("a rejected user_data fails naming the droplet, with cloud-init's errors then its other output, trimmed", async () => {
    answer(failed(1, "Cloud config schema deprecations: \n", "Error:\nCloud config schema errors: write_files: [] is too short\n"));
    await expect(validateCloudConfig("cloud-init", join(dir, "user-data.yaml"), USER_DATA, "nats-2")).rejects.toThrow(
      new Error("cloud-init rejects the user_data of nats-2: Error:\nCloud config schema errors: write_files: [] is too short\nCloud config schema deprecations:"),
    );
  });

  test("without any output (cloud-init missing, or silent) the error's own message is given", async () => {
    answer(Object.assign(new Error("spawn /opt/cloud-init ENOENT"), { code: "ENOENT" }));
    await expect(validateCloudConfig("/opt/cloud-init", join(dir, "user-data.yaml"), USER_DATA, "nats-3")).rejects.toThrow(
      new Error("cloud-init rejects the user_data of nats-3: spawn /opt/cloud-init ENOENT"),
    );
    answer(failed(1, " \n", "\n"));
    await expect(validateCloudConfig("cloud-init", join(dir, "user-data.yaml"), USER_DATA, "nats-3")).rejects.toThrow(
      new Error("cloud-init rejects the user_data of nats-3: Command failed: cloud-init schema --config-file user-data.yaml"),
    );
  });
});
