import { basename } from "node:path";
import { parse } from "yaml";
import { CloudInitProps, renderCloudInit } from "../constructs/cloud-init";

// What renderCloudInit says of a broken template. The templates are files of the project: each
// case edits one as node:fs's readFileSync returns it (the module is mocked for this file only).
const edits = new Map<string, (text: string) => string>();
jest.mock("node:fs", () => {
  const fs = jest.requireActual<typeof import("node:fs")>("node:fs");
  return {
    ...fs,
    readFileSync: (path: string, options?: BufferEncoding) => {
      const text = fs.readFileSync(path, options);
      const edit = typeof path === "string" ? edits.get(basename(path)) : undefined;
      return edit === undefined ? text : edit(String(text));
    },
  };
});
afterEach(() => edits.clear());

const BASE: CloudInitProps = { serverName: "nats-1", clusterName: "nats", clientPort: 4222, monitorPort: 8222, clusterPort: 6222, natsVersion: "2.15.0" };
const WITH_JETSTREAM: CloudInitProps = { ...BASE, jetstream: { volumeName: "nats-1", settings: { volumeSizeGib: 10, filesystem: "ext4", maxFileStoreMib: 8192, protectVolumes: false } } };

test("the templates as shipped render", () => {
  expect(renderCloudInit(BASE)).toMatch(/^#cloud-config\n/);
});

test("a placeholder with no value names it and every known one", () => {
  edits.set("nats-server.conf", (text) => `${text}# {{nope}}\n`);
  expect(() => renderCloudInit(BASE)).toThrow(
    /^template placeholder \{\{nope\}\} has no value; known: serverName, clusterName, flags, natsVersion, releaseUrl, sha256Amd64, sha256Arm64, lameDuckSeconds, stopTimeoutSeconds, authorization, volumeDevice, mountPoint, filesystem, jetstream, mountDependency, volumeAccess$/,
  );
});

test("a template that renders into invalid yaml", () => {
  edits.set("cloud-init.yaml", (text) => `${text}\nwrite_files: [\n`);
  expect(() => renderCloudInit(BASE)).toThrow(/^rendered cloud-init is not valid yaml: /);
});

test.each([
  ["write_files", BASE, "templates/cloud-init.yaml has no write_files or runcmd list"],
  ["runcmd", BASE, "templates/cloud-init.yaml has no write_files or runcmd list"],
  // With JetStream the mount script stays: the includes find no list.
  ["write_files", WITH_JETSTREAM, "templates/cloud-init.yaml has no write_files list"],
])("a template without its %s list", (list, props, message) => {
  edits.set("cloud-init.yaml", (text) => text.replace(new RegExp(`^${list}:`, "m"), "renamed:"));
  expect(() => renderCloudInit(props)).toThrow(message);
});

test.each(["see {{file:nats-server.conf}}", "{{file:nats-server.conf}} here"])("a file's content %j is kept as written: only the include alone is replaced by a template", (content) => {
  edits.set("cloud-init.yaml", (text) => text.replace('"{{file:nats-server.conf}}"', JSON.stringify(content)));
  const config = parse(renderCloudInit(BASE)) as { write_files: { content: string }[] };
  expect(config.write_files.map((file) => file.content)).toContain(content);
});
