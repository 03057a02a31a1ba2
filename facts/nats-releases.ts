/**
 * The nats-server releases a droplet may install, each with the SHA-256 of its Linux tarballs.
 * The install script checks the download against these values, carried in the plan: a mirror
 * (natsReleaseUrl) or a replaced release asset cannot change what is installed.
 *
 * Adding a release: take both values from a source that pins the release tarball (nats-io's
 * nats-docker Dockerfiles pin it per architecture), compare them with a second source where one
 * exists (the release's SHA256SUMS, a package manager's manifest), and record both and the date.
 */

/** Architectures of the droplet images, as `dpkg --print-architecture` names them. */
export type ReleaseArchitecture = "amd64" | "arm64";
export const RELEASE_ARCHITECTURES: readonly ReleaseArchitecture[] = ["amd64", "arm64"];

/** One supported nats-server release. */
export interface NatsRelease {
  /** X.Y.Z, without the tag's "v". */
  readonly version: string;
  /** SHA-256 of `nats-server-v<version>-linux-<arch>.tar.gz`, lowercase hex. */
  readonly sha256: Readonly<Record<ReleaseArchitecture, string>>;
  /** Where the checksums were read, and the second source that agrees (or that none was found). */
  readonly source: string;
  /** When they were read and compared (YYYY-MM-DD). */
  readonly checked: string;
}

/** Where nats-io publishes its releases: `<url>/v<version>/nats-server-v<version>-linux-<arch>.tar.gz`. */
export const NATS_IO_RELEASES = "https://github.com/nats-io/nats-server/releases/download";

/**
 * The newest release of every line the unit supports (NATS_VERSION_RANGE), oldest first.
 * 2.15.1 is not listed: no source reachable when this table was made pins its tarballs.
 */
export const NATS_RELEASES: readonly NatsRelease[] = [
  {
    version: "2.11.17",
    sha256: {
      amd64: "ad608dd0ea8bbfa58c40e3b8f58ed67478eec26166ec49c502db8d17589b51b5",
      arm64: "d21df24f262f34f8bf6d1f0bca557c08429e433fd9f60f6983105539ae517feb",
    },
    source: "nats-io/nats-docker 2.11.x/alpine3.22/Dockerfile at e6bf552 (2026-04-27); no second source found",
    checked: "2026-12-06",
  },
  {
    version: "2.12.15",
    sha256: {
      amd64: "58ab8131f819263897e2fc38e503e1b755b63bcafeecc7d12582487df48ca15e",
      arm64: "b724db99fefbf8f5c808baa82819ee50350aee9734017e4a478f7e545cef3ab6",
    },
    source: "nats-io/nats-docker 2.12.x/alpine3.22/Dockerfile at aa0caa5 (2026-08-12); no second source found",
    checked: "2026-12-06",
  },
  {
    version: "2.14.5",
    sha256: {
      amd64: "5e3b603d47c447bda1f77f9ac16dbf91c90aac4ff3681f8fbbc7201e4ed99355",
      arm64: "673a98d3faa79dde3f9ebf16d6dfac36a5f694e7ad2015e4954dd7939c85cd4c",
    },
    source: "nats-io/nats-docker 2.14.x/alpine3.22/Dockerfile at aa0caa5 (2026-08-12); cashapp/hermit-packages nats-server.hcl at f0517fd (2026-08-22) agrees",
    checked: "2026-12-06",
  },
  {
    version: "2.15.0",
    sha256: {
      amd64: "5d2c51caca950333aba84911df7d377f826f3a59ec36061c6539105084f65c92",
      arm64: "cdc208f5a3f42963a52b6ab06ef65626bb870315dc936e26ba571780c6351112",
    },
    source: "nats-io/nats-docker 2.15.x/alpine3.22/Dockerfile at 6299853 (release PR #327, 2026-09-17); a public project's pin quoting the release's SHA256SUMS agrees",
    checked: "2026-12-06",
  },
];

/** The listed release `version`, or undefined. */
export function natsRelease(version: string): NatsRelease | undefined {
  return NATS_RELEASES.find((release) => release.version === version);
}
