import { DEFAULT_STACK, TUTORIAL_STACK } from "../constructs/stacks";
import type { ResourceChange } from "../plan/change";
import { PlanDiff, diffPlans } from "../plan/diff";
import { renderDiagram } from "../plan/mermaid";
import { DROPLET } from "../plan/nodes";
import { dropletVerdict } from "../plan/replacement";
import { reviewTerraformPlan } from "../plan/terraform-plan";
import { VOLUME } from "../plan/volumes";
import { Plan, parsePlan } from "../helpers/tf-json";
import { TerraformJson, synthJson, testStack } from "./helpers";
import { TEST_PRICES, dropletChange, terraformPlanFixture } from "./plan-fixtures";

// Unit test: the diagram's text, from stacks synthesized in-process (cdktf Testing, without the
// readiness gate, whose bundling runs esbuild) and from a Terraform plan fixture. That mermaid
// parses these diagrams is checked by plan-mermaid.test.ts (an integration file: it runs mermaid).

/** The default stack's synthesized JSON, as `nats` with the settings of `props`. */
function natsJson(props: Parameters<typeof testStack>[0] = {}): TerraformJson {
  return synthJson(testStack({ ...DEFAULT_STACK, readinessGate: false, ...props }, "nats"));
}

const natsPlan = (json: TerraformJson = natsJson()): Plan => parsePlan(json, "nats");

/** A diagram as renderDiagram writes it: the fenced block, Mermaid's settings, the clients, then `body`. */
const diagram = (...body: readonly string[]): string =>
  `${["```mermaid", "---", "config:", "  flowchart:", "    wrappingWidth: 400", "---", "flowchart LR", '  clients(["clients"])', ...body, "```"].join("\n")}\n`;

const BALANCERS = ['  lb1["load balancer nats-cluster-lb<br/>tcp 4222 → tcp 4222"]', '  lb2["seed load balancer nats-cluster-seed<br/>tcp 6222 → tcp 6222"]'];
const FIREWALL_OPENINGS =
  "tcp 4222 ← load balancer nats-cluster-lb<br/>tcp 8222 ← load balancer nats-cluster-lb<br/>tcp 8222 ← load balancer nats-cluster-seed<br/>tcp 6222 ← tag nats-cluster<br/>tcp 6222 ← load balancer nats-cluster-seed";
const FIREWALL = [
  '  subgraph droplets["droplets behind firewall nats-cluster-fw"]',
  `    fw["inbound:<br/>${FIREWALL_OPENINGS}"]`,
  "    style fw fill:#ffffff,stroke:#999999,stroke-dasharray:3 3,text-align:left",
];
/** Node `i` of the default stack (nats-server 2.15.0, 10 GiB volume), with what happens to it. */
const node = (i: number, ...what: readonly string[]): string[] => [
  `    n${i}["nats-${i}${i === 1 ? " (seed)" : ""}<br/>s-1vcpu-1gb · nyc3<br/>nats-server 2.15.0${what.map((line) => `<br/>${line}`).join("")}"]`,
  `    n${i}v1[("nats-${i}-data<br/>10 GiB")]`,
  `    n${i} --- n${i}v1`,
];
const EDGES = ['  clients -->|"tcp 4222"| lb1', "  lb1 --> n1", "  lb1 --> n2", "  lb1 --> n3", "  lb2 --> n1", "  n2 -.->|routes| lb2", "  n3 -.->|routes| lb2"];

const diffOf = (changes: readonly ResourceChange[]): PlanDiff => ({
  changes,
  replacedDroplets: [],
  rolledDroplets: [],
  refusedDroplets: [],
  stoppedByDeploy: [],
  directRoutes: [],
  volumeWarnings: [],
});

describe("the diagram of a synthesized stack", () => {
  test("the default stack: clients reach the load balancer, which targets every droplet, each with its volume; nodes 2 and 3 route through the seed load balancer", () => {
    expect(renderDiagram(natsPlan())).toBe(diagram(...BALANCERS, ...FIREWALL, ...node(1), ...node(2), ...node(3), "  end", ...EDGES));
  });

  test("the tutorial stack: no firewall, so every port open to the world; node 2 routes straight to node 1's address", () => {
    const plan = parsePlan(synthJson(testStack({ ...TUTORIAL_STACK, readinessGate: false }, "nats-tutorial")), "nats-tutorial");
    expect(renderDiagram(plan)).toBe(
      diagram(
        '  lb1["load balancer nats-lb<br/>tcp 4222 → tcp 4222<br/>http 8222 → http 8222"]',
        '  subgraph droplets["droplets: no firewall, every port open to the world"]',
        "    style droplets fill:#f8d7da,stroke:#b02a37,color:#58151c",
        '    n1["nats-droplet-1 (seed)<br/>s-1vcpu-1gb · blr1<br/>nats-server 2.15.0"]',
        '    n2["nats-droplet-2<br/>s-1vcpu-1gb · blr1<br/>nats-server 2.15.0"]',
        "  end",
        '  clients -->|"tcp 4222<br/>http 8222"| lb1',
        "  lb1 --> n1",
        "  lb1 --> n2",
        "  n2 -.->|routes| n1",
      ),
    );
  });

  test("a volume whose size is not a number (a variable) reads size unknown", () => {
    const json = natsJson();
    Object.values(json.resource.digitalocean_volume)[1].size = "${var.volume_size}";
    expect(renderDiagram(natsPlan(json))).toContain('    n2v1[("nats-2-data<br/>size unknown")]\n    n2 --- n2v1\n');
  });

  test("quotes, angle brackets and ampersands in a name become Mermaid entities", () => {
    const json = natsJson();
    Object.values(json.resource.digitalocean_droplet)[1].name = 'a "quoted" <b>name</b> & more';
    expect(renderDiagram(natsPlan(json))).toContain('    n2["a #quot;quoted#quot; #lt;b#gt;name#lt;/b#gt; #amp; more<br/>s-1vcpu-1gb · nyc3<br/>nats-server 2.15.0"]\n');
  });

  test("droplets behind two firewalls: the box names both, and the note lists the openings of each", () => {
    const json = natsJson();
    json.resource.digitalocean_firewall.admin = {
      name: "nats-admin-fw",
      tags: ["nats-cluster"],
      inbound_rule: [{ protocol: "tcp", port_range: "22", source_addresses: ["203.0.113.0/24"] }],
    };
    expect(renderDiagram(natsPlan(json))).toContain(
      [
        '  subgraph droplets["droplets behind firewall nats-cluster-fw, nats-admin-fw"]',
        `    fw["inbound:<br/>${FIREWALL_OPENINGS}<br/>tcp 22 ← 203.0.113.0/24"]`,
      ].join("\n"),
    );
  });
});

describe("the diagram of a --diff review", () => {
  test("from five nodes on an older nats-server to three: the three left are rolled, the two removed drawn as destroyed, the removed volumes not drawn", () => {
    const diff = diffPlans(natsPlan(natsJson({ nodeCount: 5, natsVersion: "2.14.5" })), natsPlan());
    const removed = diff.changes.filter((change) => change.action === "remove" && [DROPLET, VOLUME].includes(change.type));
    expect(removed.map((change) => change.label)).toEqual(["nats-4", "nats-5", "nats-4-data", "nats-5-data"]);
    const rolled = "replaced by npm run roll, one at a time";
    expect(renderDiagram(natsPlan(), diff)).toBe(
      diagram(
        ...BALANCERS,
        ...FIREWALL,
        ...node(1, rolled),
        ...node(2, rolled),
        ...node(3, rolled),
        '    gone1["nats-4<br/>destroyed by cdktf deploy"]',
        '    gone2["nats-5<br/>destroyed by cdktf deploy"]',
        "  end",
        ...EDGES,
        '  subgraph legend["legend"]',
        '    key_destroyed["destroyed"]',
        '    key_rolled["rolled"]',
        "  end",
        "  classDef destroyed fill:#e9ecef,stroke:#6c757d,stroke-width:3px,stroke-dasharray:5 5,color:#495057",
        "  class gone1,gone2,key_destroyed destroyed",
        "  classDef rolled fill:#fff3cd,stroke:#b58105,stroke-width:3px,color:#523b00",
        "  class n1,n2,n3,key_rolled rolled",
      ),
    );
  });

  test("replaced, changed in place and refused droplets each get their colour; a droplet the plan does not hold gets no box, only its legend entry", () => {
    const diff = diffOf([
      dropletChange("nats-1", "replace", dropletVerdict(["image"])),
      dropletChange("nats-2", "update", dropletVerdict(["tags"])),
      dropletChange("nats-3", "refuse", dropletVerdict(["region"], ["region"])),
      dropletChange("nats-9", "add"),
    ]);
    expect(renderDiagram(natsPlan(), diff)).toBe(
      diagram(
        ...BALANCERS,
        ...FIREWALL,
        ...node(1, "replaced by cdktf deploy"),
        ...node(2, "changed in place by cdktf deploy"),
        ...node(3, "refused: every plan fails"),
        "  end",
        ...EDGES,
        '  subgraph legend["legend"]',
        '    key_replaced["replaced"]',
        '    key_in_place["in place"]',
        '    key_refused["refused"]',
        '    key_added["added"]',
        "  end",
        "  classDef replaced fill:#f8d7da,stroke:#b02a37,stroke-width:3px,color:#58151c",
        "  class n1,key_replaced replaced",
        "  classDef in_place fill:#cfe2ff,stroke:#0a58ca,stroke-width:3px,color:#052c65",
        "  class n2,key_in_place in_place",
        "  classDef refused fill:#58151c,stroke:#58151c,stroke-width:3px,color:#ffffff",
        "  class n3,key_refused refused",
        "  classDef added fill:#d1e7dd,stroke:#146c43,stroke-width:3px,color:#0a3622",
        "  class key_added added",
      ),
    );
  });

  test("a diff that changes no droplet (the firewall opened to an admin block) colours nothing and draws no legend", () => {
    const after = natsPlan(natsJson({ adminCidrs: ["203.0.113.0/24"] }));
    const diff = diffPlans(natsPlan(), after);
    expect(diff.changes.map((change) => [change.action, change.label])).toEqual([["update", "nats-cluster-fw"]]);
    expect(renderDiagram(after, diff)).toBe(renderDiagram(after));
  });
});

describe("the diagram of a --terraform-plan review", () => {
  const plan = terraformPlanFixture("size-change");
  const text = renderDiagram(plan.after, reviewTerraformPlan(plan, TEST_PRICES).diff);

  test("the seed load balancer, told apart by its network alone, is internal: clients reach only the public one", () => {
    expect(text).toContain('  lb2["internal load balancer nats-cluster-seed<br/>tcp 6222 → tcp 6222"]\n');
    expect(text).toContain('  end\n  clients -->|"tcp 4222"| lb1\n  lb1 --> n1\n  lb1 --> n2\n  lb1 --> n3\n  lb2 --> n1\n  subgraph legend');
  });

  test("each resized droplet is changed in place by the deploy, which powers it off", () => {
    expect(text).toContain('    n1["nats-1<br/>s-2vcpu-4gb · nyc3<br/>nats-server unknown<br/>changed in place by cdktf deploy (powers it off)"]\n');
    expect(text).toContain('  subgraph legend["legend"]\n    key_in_place["in place"]\n  end\n');
    expect(text).toContain("  class n1,n2,n3,key_in_place in_place\n");
  });

  test("the firewall's openings read as in a synthesized plan: the state's IDs named as their load balancers, a tag's name as a tag", () => {
    expect(text).toContain(`    fw["inbound:<br/>${FIREWALL_OPENINGS}"]\n`);
  });
});
