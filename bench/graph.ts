import { join } from "node:path";
import { deployFacts } from "../plan/graph";
import { stackFile, synthesize } from "../plan/synth";
import { loadPlan } from "../helpers/tf-json";
import { Figure } from "./figure";

export function graphFigures(work: string): Figure[] {
  const sizes = [3, 10, 25];
  const facts = sizes.map((nodes) => {
    const outdir = synthesize({ outdir: join(work, `graph-${nodes}`), env: { NATS_NODE_COUNT: String(nodes) } }).outdir;
    return deployFacts(loadPlan(stackFile(outdir, "nats")));
  });
  const depths = facts.map((f) => f.depth);
  const waves = facts.map((f) => f.dropletWaves);
  const waiting = [...new Set(facts.flatMap((f) => f.waitingForDroplets))];
  return [
    {
      name: `deploy critical path depth at ${sizes.join(" / ")} nodes`,
      result: depths.join(" / "),
      goal: "same at every size",
      pass: new Set(depths).size === 1,
    },
    { name: "droplet creation waves", result: waves.join(" / "), goal: "≤ 2", pass: waves.every((w) => w <= 2) },
    {
      name: "load balancer / firewall waiting for a droplet",
      result: waiting.length === 0 ? "none" : waiting.join(", "),
      goal: "none",
      pass: waiting.length === 0,
    },
  ];
}
