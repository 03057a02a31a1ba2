import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { PlanDroplet } from "./plan";

/**
 * A directory per volume the droplet attaches, for the mount points its unit requires (in
 * order). It lives outside the node's own directory, under `workDir` and keyed by the volume,
 * so it outlives the node as a DigitalOcean volume outlives its droplet.
 */
export function volumeDirectories(workDir: string, droplet: PlanDroplet, mountPoints: readonly string[]): Map<string, string> {
  if (mountPoints.length !== droplet.volumes.length) {
    throw new Error(
      `droplet ${droplet.name} requires ${mountPoints.length} mounts (${mountPoints.join(", ") || "none"}) but attaches ${droplet.volumes.length} volumes: ` +
        "the unit must require exactly one mount point per volume",
    );
  }
  return new Map(
    mountPoints.map((mountPoint, i) => {
      const directory = join(workDir, "volumes", droplet.volumes[i]);
      mkdirSync(directory, { recursive: true, mode: 0o700 });
      return [mountPoint, directory];
    }),
  );
}
