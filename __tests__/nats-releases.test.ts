import { NATS_RELEASES, RELEASE_ARCHITECTURES, natsRelease } from "../facts/nats-releases";

test("one release per supported line, oldest first, each pinned for both architectures with where and when the checksums were read", () => {
  expect(NATS_RELEASES.map((release) => release.version)).toEqual(["2.11.17", "2.12.15", "2.14.5", "2.15.0"]);
  expect(RELEASE_ARCHITECTURES).toEqual(["amd64", "arm64"]);
  for (const release of NATS_RELEASES) {
    expect(Object.keys(release.sha256)).toEqual(["amd64", "arm64"]);
    for (const sha of Object.values(release.sha256)) expect(sha).toMatch(/^[0-9a-f]{64}$/);
    expect(release.sha256.amd64).not.toBe(release.sha256.arm64);
    // The source names the file and commit the values were read from.
    expect(release.source).toMatch(/^nats-io\/nats-docker \d+\.\d+\.x\/alpine3\.22\/Dockerfile at [0-9a-f]{7} \(.+\); .+$/);
    expect(release.source).toContain(`${release.version.split(".").slice(0, 2).join(".")}.x/`);
    expect(release.checked).toMatch(/^20\d\d-[01]\d-[0-3]\d$/);
  }
});

test("a release is found by its exact version only", () => {
  expect(natsRelease("2.15.0")?.sha256.amd64).toBe("5d2c51caca950333aba84911df7d377f826f3a59ec36061c6539105084f65c92");
  expect(natsRelease("2.14.5")?.version).toBe("2.14.5");
  expect(natsRelease("2.15")).toBeUndefined();
  expect(natsRelease("v2.15.0")).toBeUndefined();
  expect(natsRelease("2.15.1")).toBeUndefined();
});
