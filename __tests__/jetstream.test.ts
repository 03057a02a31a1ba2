import { Fn, Token } from "cdktf";
import { JETSTREAM_HEALTH_PATH, dropletMemoryMib, jetStreamSettings, unusedVolumePropsWarning, validateJetStreamProps, type JetStreamProps } from "../constructs/jetstream";
import { ValidationErrors } from "../facts/validation";
import { validationProblems } from "./helpers";

/** Every problem validateJetStreamProps finds in `props`. */
function problems(props: JetStreamProps): readonly string[] {
  const errors = new ValidationErrors();
  validateJetStreamProps(props, errors);
  return validationProblems(() => errors.throwIfAny("s"));
}

test("the health path asks only whether this server has JetStream enabled", () => {
  expect(JETSTREAM_HEALTH_PATH).toBe("/healthz?js-enabled-only=true");
});

test.each([
  ["s-1vcpu-1gb", 1024],
  ["s-2vcpu-4gb", 4096],
  ["s-1vcpu-512mb-10gb", 512],
  ["c-2-4gib", undefined],
  ["s-1vcpu-1gbx", undefined],
  ["s-1vcpu-gb", undefined],
  ["1gb", undefined],
])("the memory of size %s is %s MiB, read from the slug", (size, mib) => {
  expect(dropletMemoryMib(size)).toBe(mib);
});

describe("jetStreamSettings", () => {
  test("defaults: a 10 GiB ext4 volume, 80 % of it for the file store, a quarter of 1 GiB for memory, volumes not protected", () => {
    expect(jetStreamSettings({})).toEqual({ volumeSizeGib: 10, filesystem: "ext4", maxFileStoreMib: 8192, maxMemoryStoreMib: 256, protectVolumes: false });
  });

  test("every setting given is passed on; the file store in MiB", () => {
    expect(jetStreamSettings({ volumeSizeGib: 100, volumeFilesystem: "xfs", maxFileStoreGib: 50, maxMemoryStoreMib: 700, protectVolumes: true, size: "s-4vcpu-8gb" })).toEqual({
      volumeSizeGib: 100,
      filesystem: "xfs",
      maxFileStoreMib: 51200,
      maxMemoryStoreMib: 700,
      protectVolumes: true,
    });
  });

  test("the memory store follows the droplet's memory, rounded down, and is left to nats-server for a size that does not name it", () => {
    expect(jetStreamSettings({ size: "s-1vcpu-2gb", volumeSizeGib: 3 })).toMatchObject({ maxMemoryStoreMib: 512, maxFileStoreMib: 2457 });
    expect(jetStreamSettings({ size: "s-1vcpu-1gb-amd", maxMemoryStoreMib: 100 })).toMatchObject({ maxMemoryStoreMib: 100 });
    expect(jetStreamSettings({ size: "g-2vcpu-8gb-intel" })?.maxMemoryStoreMib).toBe(2048);
    expect(jetStreamSettings({ size: "so1_5-2vcpu-16gb" })?.maxMemoryStoreMib).toBe(4096);
    expect(jetStreamSettings({ size: "custom" })?.maxMemoryStoreMib).toBeUndefined();
  });

  test("nothing with jetstream off", () => {
    expect(jetStreamSettings({ jetstream: false, volumeSizeGib: 20 })).toBeUndefined();
    expect(jetStreamSettings({ jetstream: true })).toBeDefined();
  });
});

describe("unusedVolumePropsWarning", () => {
  test("names the volume props set while jetstream is off", () => {
    expect(unusedVolumePropsWarning({ jetstream: false, volumeSizeGib: 20 })).toBe("volumeSizeGib has no effect with jetstream off: no volumes are created");
    expect(unusedVolumePropsWarning({ jetstream: false, volumeFilesystem: "xfs", maxFileStoreGib: 1, maxMemoryStoreMib: 1, protectVolumes: false })).toBe(
      "volumeFilesystem, maxFileStoreGib, maxMemoryStoreMib, protectVolumes have no effect with jetstream off: no volumes are created",
    );
  });

  test("nothing when none is set, or jetstream is on (by default too)", () => {
    expect(unusedVolumePropsWarning({ jetstream: false })).toBeUndefined();
    expect(unusedVolumePropsWarning({ volumeSizeGib: 20 })).toBeUndefined();
    expect(unusedVolumePropsWarning({ jetstream: true, volumeSizeGib: 20 })).toBeUndefined();
  });
});

describe("validateJetStreamProps", () => {
  const tooSmall = (size: number, store: number, needed: number): string =>
    `volumeSizeGib ${size} is smaller than maxFileStoreGib ${store} needs: jetstream may fill 80% of the volume, ` +
    `the rest is headroom for the filesystem and raft snapshots; use volumeSizeGib ${needed} or more, or a smaller maxFileStoreGib`;

  test("the file store may take 80 % of the volume, no more (the volume's default size is 10 GiB)", () => {
    expect(problems({ volumeSizeGib: 10, maxFileStoreGib: 8 })).toEqual([]);
    expect(problems({ maxFileStoreGib: 8 })).toEqual([]);
    expect(problems({ volumeSizeGib: 10, maxFileStoreGib: 9 })).toEqual([tooSmall(10, 9, 12)]);
    expect(problems({ maxFileStoreGib: 9 })).toEqual([tooSmall(10, 9, 12)]);
    expect(problems({ volumeSizeGib: 100, maxFileStoreGib: 81 })).toEqual([tooSmall(100, 81, 102)]);
  });

  test("a file store or volume size that is no integer gets its own problem only, never the share's", () => {
    expect(problems({ volumeSizeGib: 10, maxFileStoreGib: 9.5 })).toEqual(["maxFileStoreGib must be an integer from 1 to 16384, got 9.5"]);
    expect(problems({ volumeSizeGib: 1.5, maxFileStoreGib: 8 })).toEqual(["volumeSizeGib must be an integer from 1 to 16384 (digitalocean's volume sizes), got 1.5"]);
  });

  test("a file store or volume size that is a reference is left to Terraform", () => {
    expect(problems({ volumeSizeGib: Token.asNumber("${var.size}"), maxFileStoreGib: 9 })).toEqual([]);
    expect(problems({ volumeSizeGib: 1, maxFileStoreGib: Token.asNumber("${var.store}") })).toEqual([]);
  });

  test("the volume filesystem is ext4 or xfs; sizes from 1 to 16384 GiB", () => {
    expect(problems({ volumeFilesystem: "btrfs" as "ext4", volumeSizeGib: 0, maxFileStoreGib: 0 })).toEqual([
      "volumeSizeGib must be an integer from 1 to 16384 (digitalocean's volume sizes), got 0",
      'volumeFilesystem "btrfs" is not allowed: expected one of ext4, xfs',
      "maxFileStoreGib must be an integer from 1 to 16384, got 0",
    ]);
    expect(problems({ volumeSizeGib: 16385, volumeFilesystem: "xfs" })).toEqual(["volumeSizeGib must be an integer from 1 to 16384 (digitalocean's volume sizes), got 16385"]);
    expect(problems({ volumeSizeGib: 16384, maxFileStoreGib: 16385 })).toEqual(["maxFileStoreGib must be an integer from 1 to 16384, got 16385", tooSmall(16384, 16385, 20482)]);
    expect(problems({ volumeSizeGib: 16384, maxFileStoreGib: 1 })).toEqual([]);
  });

  test("volumes are named after the name prefix, which must then begin with a letter", () => {
    expect(problems({ namePrefix: "9nats" })).toEqual(['namePrefix "9nats" cannot name volumes: a digitalocean volume name must begin with a letter']);
    expect(problems({ namePrefix: "-nats" })).toHaveLength(1);
    expect(problems({ namePrefix: "nats9" })).toEqual([]);
    expect(problems({ namePrefix: Fn.lower("NATS") })).toEqual([]);
  });

  test("the memory store needs a size that names its memory, and takes at most 75 % of it", () => {
    expect(problems({ size: "custom" })).toEqual(['size "custom" does not name its memory (like s-1vcpu-1gb does): set maxMemoryStoreMib for jetstream\'s memory store']);
    expect(problems({ size: "custom", maxMemoryStoreMib: 1024 * 1024 })).toEqual([]);
    expect(problems({ size: "custom", maxMemoryStoreMib: 1024 * 1024 + 1 })).toEqual(["maxMemoryStoreMib must be an integer from 1 to 1048576, got 1048577"]);
    expect(problems({ maxMemoryStoreMib: 768 })).toEqual([]);
    expect(problems({ maxMemoryStoreMib: 769 })).toEqual(["maxMemoryStoreMib must be an integer from 1 to 768 (75% of the 1024 MiB of s-1vcpu-1gb), got 769"]);
    expect(problems({ size: "s-1vcpu-2gb", maxMemoryStoreMib: 0 })).toEqual(["maxMemoryStoreMib must be an integer from 1 to 1536 (75% of the 2048 MiB of s-1vcpu-2gb), got 0"]);
    expect(problems({ size: Fn.lower("S-1VCPU-1GB") })).toEqual([]);
  });

  test("nothing is checked with jetstream off", () => {
    expect(problems({ jetstream: false, volumeSizeGib: 0, namePrefix: "9", size: "custom" })).toEqual([]);
  });
});
