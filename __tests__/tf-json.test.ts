import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MAX_STACK_BYTES, META_ARGUMENTS, blocks, isObject, loadPlan, num, parseJsonText, parsePlan, pick, resolveTagName, resourcesOfType, strings, text } from "../helpers/tf-json";

describe("parsePlan", () => {
  test("reads every resource with its address and body without cdktf's metadata, the outputs and the stack's name", () => {
    const plan = parsePlan(
      {
        "//": { metadata: { stackName: "nats" } },
        resource: {
          digitalocean_droplet: { a: { "//": { metadata: {} }, name: "nats-1" }, b: { name: "nats-2" } },
          digitalocean_tag: { t: { name: "nats" } },
        },
        output: { lb: { value: "x", description: "the address" }, token: { value: "y", sensitive: true }, plain: { value: 1, sensitive: "yes" }, odd: 5 },
      },
      "cdk.tf.json",
    );
    expect(plan).toEqual({
      stackName: "nats",
      resources: [
        { type: "digitalocean_droplet", name: "a", address: "digitalocean_droplet.a", body: { name: "nats-1" } },
        { type: "digitalocean_droplet", name: "b", address: "digitalocean_droplet.b", body: { name: "nats-2" } },
        { type: "digitalocean_tag", name: "t", address: "digitalocean_tag.t", body: { name: "nats" } },
      ],
      outputs: [
        { name: "lb", sensitive: false, description: "the address" },
        { name: "token", sensitive: true, description: undefined },
        { name: "plain", sensitive: false, description: undefined },
        { name: "odd", sensitive: false, description: undefined },
      ],
    });
    expect(resourcesOfType(plan, "digitalocean_droplet").map((resource) => resource.name)).toEqual(["a", "b"]);
    expect(resourcesOfType(plan, "digitalocean_volume")).toEqual([]);
  });

  test("a stack without resources, outputs or a name in its metadata: none, none, and the source as its name", () => {
    expect(parsePlan({}, "old.json")).toEqual({ stackName: "old.json", resources: [], outputs: [] });
    expect(parsePlan({ "//": { metadata: { stackName: 5 } }, output: [] }, "old.json")).toEqual({ stackName: "old.json", resources: [], outputs: [] });
  });

  test.each([
    [[], "synthesized stack s is not a JSON object"],
    [null, "synthesized stack s is not a JSON object"],
    [{ resource: [] }, 'synthesized stack s: "resource" is not an object of resource types'],
    [{ resource: { digitalocean_droplet: "x" } }, "synthesized stack s: resource type digitalocean_droplet is not an object of named resources"],
    [{ resource: { digitalocean_droplet: { a: [1] } } }, "synthesized stack s: resource digitalocean_droplet.a is not an object"],
  ])("%j is refused, naming what is wrong where", (raw, message) => {
    expect(() => parsePlan(raw, "s")).toThrow(new Error(message));
  });
});

describe("loadPlan and parseJsonText", () => {
  const dir = mkdtempSync(join(tmpdir(), "tf-json-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("loads a stack file", () => {
    const file = join(dir, "cdk.tf.json");
    writeFileSync(file, JSON.stringify({ "//": { metadata: { stackName: "nats" } }, resource: { digitalocean_tag: { t: { name: "nats" } } } }));
    expect(loadPlan(file)).toMatchObject({ stackName: "nats", resources: [{ address: "digitalocean_tag.t" }] });
  });

  test("text that is not JSON names the file and what was expected", () => {
    const file = join(dir, "broken.json");
    writeFileSync(file, "{");
    expect(() => loadPlan(file)).toThrow(new RegExp(`^synthesized stack ${file} is not JSON \\(.+\\): expected a cdk\\.tf\\.json$`));
    expect(() => parseJsonText("nope", "--diff old.json", "a plan")).toThrow(/^--diff old\.json is not JSON \(.+\): expected a plan$/);
    expect(parseJsonText('{"a":1}', "x", "y")).toEqual({ a: 1 });
  });

  test("a stack file is read up to 16 MiB, and one byte more is refused", () => {
    const file = join(dir, "large.json");
    // Spaces around an empty object: valid JSON of exactly the limit (a sparse file would hold zeros).
    writeFileSync(file, `{}${" ".repeat(16 * 1024 * 1024 - 2)}`);
    expect(MAX_STACK_BYTES).toBe(16 * 1024 * 1024);
    expect(loadPlan(file).resources).toEqual([]);
    writeFileSync(file, " ", { flag: "a" });
    expect(() => loadPlan(file)).toThrow(`synthesized stack ${file} is larger than 16777216 bytes: it cannot be what was asked for`);
  });
});

test("the meta-arguments are Terraform's, with cdktf's metadata key", () => {
  expect([...META_ARGUMENTS].sort()).toEqual(["//", "connection", "count", "depends_on", "for_each", "lifecycle", "provider", "provisioner"]);
});

describe("reading attributes", () => {
  const body = { s: "text", n: 3, list: ["a", 1, "b", null], one: { k: 1 }, many: [{ k: 1 }, "x", { k: 2 }, [1]], nested: { inner: { k: 1 }, flat: 2 } };

  test("isObject: objects only, not arrays or null", () => {
    expect([{}, { a: 1 }].map(isObject)).toEqual([true, true]);
    expect([[], null, undefined, "x", 1].map(isObject)).toEqual([false, false, false, false, false]);
  });

  test("text and num: the attribute when it has the type, else undefined", () => {
    expect([text(body, "s"), text(body, "n"), text(undefined, "s")]).toEqual(["text", undefined, undefined]);
    expect([num(body, "n"), num(body, "s"), num(undefined, "n")]).toEqual([3, undefined, undefined]);
  });

  test("strings: a list's strings; blocks: a list's objects, or a single object as one", () => {
    expect(strings(body, "list")).toEqual(["a", "b"]);
    expect(strings(body, "s")).toEqual([]);
    expect(strings(undefined, "list")).toEqual([]);
    expect(blocks(body, "many")).toEqual([{ k: 1 }, { k: 2 }]);
    expect(blocks(body, "one")).toEqual([{ k: 1 }]);
    expect(blocks(body, "s")).toEqual([]);
    expect(blocks(undefined, "many")).toEqual([]);
  });

  test("pick: a child object, else undefined", () => {
    expect(pick(body.nested, "inner")).toEqual({ k: 1 });
    expect(pick(body.nested, "flat")).toBeUndefined();
    expect(pick(["inner"], "0")).toBeUndefined();
    expect(pick(undefined, "inner")).toBeUndefined();
  });
});

describe("resolveTagName", () => {
  const names = new Map([["cluster_nodes_tag_96D8DAC5", "nats"]]);

  test.each([
    ["nats", "nats"],
    ["${digitalocean_tag.cluster_nodes_tag_96D8DAC5.name}", "nats"],
    ["${digitalocean_tag.cluster_nodes_tag_96D8DAC5.id}", "nats"],
    ["${digitalocean_tag.other.name}", undefined],
    ["${digitalocean_tag.cluster_nodes_tag_96D8DAC5.urn}", undefined],
    ["x${digitalocean_tag.cluster_nodes_tag_96D8DAC5.name}", undefined],
    ["${digitalocean_tag.cluster_nodes_tag_96D8DAC5.name}x", undefined],
    ["${var.tag}", undefined],
  ])("%s is %s", (value, name) => {
    expect(resolveTagName(value, names)).toBe(name);
  });
});
