import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "./image";

/** The local release: nats-io's layout below the mirror's root, and the tarball's SHA-256. */
export interface LocalRelease {
  /** Where the tarball is, relative to the mirror's root: `v<version>/nats-server-v<version>-linux-amd64.tar.gz`. */
  readonly path: string;
  readonly sha256: string;
}

/**
 * Packs `binary` (Debian's nats-server of the pinned line, as twin/nats-binary.ts fetches it)
 * as nats-io packs a release, `nats-server-v<version>-linux-amd64/nats-server` in a tarball, under
 * `root/v<version>/`. The tarball differs from nats-io's, so the plan's pinned SHA-256 is replaced
 * by this one: a substitution the VM twin lists.
 */
export async function packRelease(root: string, version: string, binary: string, log: (line: string) => void): Promise<LocalRelease> {
  const name = `nats-server-v${version}-linux-amd64`;
  const build = join(root, ".build", name);
  mkdirSync(build, { recursive: true });
  copyFileSync(binary, join(build, "nats-server"));
  mkdirSync(join(root, `v${version}`), { recursive: true });
  const path = join(`v${version}`, `${name}.tar.gz`);
  await run("tar", ["-czf", join(root, path), "-C", join(root, ".build"), name], log);
  return { path, sha256: createHash("sha256").update(readFileSync(join(root, path))).digest("hex") };
}

/** The install script's release base and amd64 checksum lines, as the plan renders them. */
const BASE_LINE = /^(\s*)base="([^"]*)\/v\$version"$/m;
const AMD64_LINE = /^(\s*)amd64\) sha256="([0-9a-f]{64})" ;;$/m;

/** A substitution made in a user_data, for the list the VM twin prints. */
export interface Substitution {
  readonly what: string;
  readonly from: string;
  readonly to: string;
}

/**
 * The user_data with the release base pointing at the mirror and the amd64 checksum replaced by
 * the local tarball's; fails when the install script does not have exactly those lines.
 */
export function pointAtMirror(userData: string, mirrorUrl: string, release: LocalRelease, droplet: string): { userData: string; substitutions: Substitution[] } {
  const base = BASE_LINE.exec(userData);
  const amd64 = AMD64_LINE.exec(userData);
  if (base === null || amd64 === null) throw new Error(`the install script of ${droplet} has no release base or no pinned amd64 SHA-256: the VM twin cannot point it at its mirror`);
  return {
    userData: userData.replace(BASE_LINE, `$1base="${mirrorUrl}/v$$version"`).replace(AMD64_LINE, `$1amd64) sha256="${release.sha256}" ;;`),
    substitutions: [
      { what: "natsReleaseUrl (the release mirror)", from: base[2], to: mirrorUrl },
      { what: "pinned amd64 SHA-256 (the local tarball of Debian's binary)", from: amd64[2], to: release.sha256 },
    ],
  };
}
