import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadPrices } from "../plan/cost";
import { PlanDiff, diffPlans } from "../plan/diff";
import { renderSummary } from "../plan/markdown";
import { renderDiagram } from "../plan/mermaid";
import { PROJECT_ROOT, stackFile, synthesize } from "../plan/synth";
import { reviewTerraformPlan } from "../plan/terraform-plan";
import { renderTerraformPlanReview } from "../plan/terraform-plan-markdown";
import { Plan, loadPlan, parsePlan } from "../helpers/tf-json";
import { dropletChange, terraformPlanFixture } from "./plan-fixtures";

// Integration test: synthesizes the app, and parses each diagram with the real mermaid library in a
// child process (mermaid is ESM only; __tests__/mermaid-parse.mjs gives it jsdom's DOM). Parsing is
// what GitHub's renderer does first: a diagram it rejects shows as an error box in the review. What
// this cannot show: the layout, which needs a browser (see the PNG in the closing note).
jest.setTimeout(120_000);

const work = mkdtempSync(join(tmpdir(), "plan-mermaid-"));
let base: Plan;
let older: Plan;

beforeAll(() => {
  base = loadPlan(stackFile(synthesize({ outdir: join(work, "base") }).outdir, "nats"));
  older = loadPlan(stackFile(synthesize({ outdir: join(work, "older"), env: { NATS_VERSION: "2.14.5", NATS_NODE_COUNT: "4" } }).outdir, "nats"));
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** What mermaid.parse says of `diagram` (the content of a ```mermaid block, or the block itself). */
function parse(diagram: string): { status: number | null; said: string } {
  const source = diagram.replace(/^```mermaid\n/, "").replace(/```\n$/, "");
  const run = spawnSync(process.execPath, [join(__dirname, "mermaid-parse.mjs")], { cwd: PROJECT_ROOT, input: source, encoding: "utf8" });
  return { status: run.status, said: `${run.stdout}${run.stderr}` };
}

/** The ```mermaid block of a review. */
function block(markdown: string): string {
  const found = /```mermaid\n[\s\S]*?```\n/.exec(markdown);
  if (found === null) throw new Error("the review has no mermaid block");
  return found[0];
}

test("the default stack's diagram: clients → load balancer → droplets with their volumes, the seed load balancer, the firewall's openings; mermaid parses it", () => {
  const diagram = block(renderSummary(base, loadPrices()));
  expect(parse(diagram)).toEqual({ status: 0, said: "flowchart-v2\n" });
  expect(diagram).toContain('  clients -->|"tcp 4222"| lb1\n  lb1 --> n1\n  lb1 --> n2\n  lb1 --> n3\n');
  expect(diagram).toContain('  lb2["seed load balancer nats-cluster-seed<br/>tcp 6222 → tcp 6222"]');
  expect(diagram).toContain("  lb2 --> n1\n  n2 -.->|routes| lb2\n  n3 -.->|routes| lb2\n");
  expect(diagram).toContain('    n2v1[("nats-2-data<br/>10 GiB")]\n    n2 --- n2v1\n');
  expect(diagram).toContain('  subgraph droplets["droplets behind firewall nats-cluster-fw"]\n');
  expect(diagram).toContain("<br/>tcp 6222 ← tag nats-cluster<br/>tcp 6222 ← load balancer nats-cluster-seed\"]");
  expect(diagram).not.toContain("classDef");
});

test("the tutorial stack's diagram: nodes routing to node 1's address, no firewall marked; mermaid parses it", () => {
  const diagram = renderDiagram(loadPlan(stackFile(join(work, "base"), "nats-tutorial")));
  expect(parse(diagram).status).toBe(0);
  expect(diagram).toContain("  n2 -.->|routes| n1\n");
  expect(diagram).toContain('  subgraph droplets["droplets: no firewall, every port open to the world"]\n    style droplets fill:#f8d7da');
});

test("a --diff review colours the droplets that change: a new version rolled, a node removed destroyed, with a legend; mermaid parses it", () => {
  const diff = diffPlans(older, base);
  const diagram = block(renderSummary(base, loadPrices(), { diff }));
  expect(parse(diagram)).toEqual({ status: 0, said: "flowchart-v2\n" });
  expect(diagram).toContain('    n1["nats-1 (seed)<br/>s-1vcpu-1gb · nyc3<br/>nats-server 2.15.0<br/>replaced by npm run roll, one at a time"]');
  expect(diagram).toContain('    gone1["nats-4<br/>destroyed by cdktf deploy"]');
  expect(diagram).toContain("  class n1,n2,n3,key_rolled rolled\n");
  expect(diagram).toContain("  class gone1,key_destroyed destroyed\n");
});

test("every kind of change has its colour and legend entry, and mermaid parses them all", () => {
  const diff: PlanDiff = {
    ...diffPlans(base, base),
    changes: [dropletChange("nats-1", "replace"), dropletChange("nats-2", "update"), dropletChange("nats-3", "refuse"), dropletChange("nats-9", "add"), dropletChange("nats-4", "remove")],
  };
  const diagram = renderDiagram(base, diff);
  expect(parse(diagram).status).toBe(0);
  for (const [id, kind] of [["n1", "replaced"], ["n2", "in_place"], ["n3", "refused"], ["gone1", "destroyed"]]) {
    expect(diagram).toContain(`  class ${id},key_${kind} ${kind}\n`);
  }
  // A droplet the diff adds but this plan does not hold has no node: only its legend entry.
  expect(diagram).toContain("  class key_added added\n");
});

test("quotes and angle brackets in names become entities: mermaid still parses the diagram", () => {
  const json = JSON.parse(readFileSync(stackFile(join(work, "base"), "nats"), "utf8")) as { resource: Record<string, Record<string, { name: string }>> };
  const first = Object.values(json.resource.digitalocean_droplet)[0];
  first.name = 'a "quoted" <b>name</b> & more';
  const diagram = renderDiagram(parsePlan(json, "nats"));
  expect(diagram).toContain("a #quot;quoted#quot; #lt;b#gt;name#lt;/b#gt; #amp; more (seed)");
  expect(parse(diagram).status).toBe(0);
});

test("the check can fail: mermaid rejects a diagram with a subgraph left open, and a label with a bare quote", () => {
  const diagram = renderDiagram(base);
  expect(parse(diagram).status).toBe(0);
  const unclosed = parse(diagram.replace("\n  end\n", "\n"));
  expect(unclosed.status).toBe(1);
  expect(unclosed.said).toMatch(/^Parse error on line \d+:/);
  expect(parse(diagram.replace("nats-1 (seed)", 'nats-1 "seed"')).status).toBe(1);
});

test("a --terraform-plan review draws the stack after Terraform's plan: the seed load balancer internal (no clients), the resized droplets coloured; mermaid parses it", () => {
  const plan = terraformPlanFixture("size-change");
  const diagram = block(renderTerraformPlanReview(plan, reviewTerraformPlan(plan, loadPrices()), "nats"));
  expect(parse(diagram)).toEqual({ status: 0, said: "flowchart-v2\n" });
  expect(diagram).toContain('  lb2["internal load balancer nats-cluster-seed<br/>tcp 6222 → tcp 6222"]');
  expect(diagram).not.toMatch(/clients -->.* lb2/);
  expect(diagram).toContain("changed in place by cdktf deploy (powers it off)");
  expect(diagram).toContain("  class n1,n2,n3,key_in_place in_place\n");
});
