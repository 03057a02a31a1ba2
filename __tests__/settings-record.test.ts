import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SETTINGS_RECORD, differingVariables, readSettingsRecord, settingsRecordFile, type SettingsRecord } from "../plan/settings-record";

const record: SettingsRecord = {
  settings: [{ setting: "nodeCount", source: "NATS_NODE_COUNT", value: 5 }],
  variables: { NATS_NODE_COUNT: "5", NATS_REGION: null, NATS_SIZE: "s-1vcpu-2gb" },
};

describe("differingVariables", () => {
  test("names each variable set here to another value than in the plan, or set here while unset in the plan", () => {
    expect(differingVariables(record, { NATS_NODE_COUNT: "7", NATS_REGION: "ams3", NATS_SIZE: "s-1vcpu-2gb", OTHER: "x" })).toEqual([
      'NATS_NODE_COUNT is "7" here, "5" in the plan',
      'NATS_REGION is "ams3" here, unset in the plan',
    ]);
  });

  test("a variable unset here, or set to the plan's value, is no difference", () => {
    expect(differingVariables(record, {})).toEqual([]);
    expect(differingVariables(record, { NATS_NODE_COUNT: "5", NATS_SIZE: "s-1vcpu-2gb" })).toEqual([]);
    expect(differingVariables(record, { NATS_SIZE: "" })).toEqual(['NATS_SIZE is "" here, "s-1vcpu-2gb" in the plan']);
  });
});

describe("the record beside a stack's plan", () => {
  const outdir = mkdtempSync(join(tmpdir(), "settings-record-"));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  test("is nats-settings.json in the stack's directory", () => {
    expect(SETTINGS_RECORD).toBe("nats-settings.json");
    expect(settingsRecordFile("cdktf.out", "nats")).toBe(join("cdktf.out", "stacks", "nats", "nats-settings.json"));
  });

  test("is read when there, and undefined for a plan made before records were written", () => {
    mkdirSync(join(outdir, "stacks", "nats"), { recursive: true });
    writeFileSync(settingsRecordFile(outdir, "nats"), JSON.stringify(record));
    expect(readSettingsRecord(outdir, "nats")).toEqual(record);
    expect(readSettingsRecord(outdir, "nats-tutorial")).toBeUndefined();
  });
});
