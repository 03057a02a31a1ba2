// The rooms of the project and the arrows allowed between them (README, "Architecture").
// __tests__/architecture.test.ts runs dependency-cruiser with these rules over the product code.
// Each room may import itself and the rooms listed for it; everything else is a violation.
const ROOMS = {
  helpers: [],
  facts: ["helpers"],
  verify: ["helpers"],
  plan: ["facts", "helpers"],
  policy: ["plan", "facts", "helpers"],
  sweep: ["facts", "helpers"],
  twin: ["plan", "verify", "facts", "helpers"],
  roll: ["twin", "plan", "verify", "facts", "helpers"],
  constructs: ["policy", "facts", "helpers"],
  scripts: ["roll", "twin", "sweep", "plan", "verify", "facts", "helpers"],
  bench: ["constructs", "roll", "twin", "policy", "plan", "verify", "facts", "helpers"],
};

// The project's own code: every room, and the app's entry point main.ts.
const PROJECT = `^(?:${Object.keys(ROOMS).join("|")})/|^main\\.ts$`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "no two modules import each other, directly or in a ring",
      from: {},
      to: { circular: true },
    },
    ...Object.entries(ROOMS).map(([room, allowed]) => ({
      name: `${room}-imports-only-${allowed.length === 0 ? "itself" : allowed.join("-")}`,
      severity: "error",
      comment: `${room}/ imports ${allowed.length === 0 ? "nothing else of the project" : `only ${allowed.map((a) => `${a}/`).join(", ")}`}`,
      from: { path: `^${room}/` },
      to: { path: PROJECT, pathNot: `^(?:${[room, ...allowed].join("|")})/` },
    })),
    {
      name: "main-imports-only-constructs-helpers",
      severity: "error",
      comment: "the cdktf app builds the stacks from the constructs",
      from: { path: "^main\\.ts$" },
      to: { path: PROJECT, pathNot: "^(?:constructs|facts|helpers)/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(?:^|/)node_modules/" },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: [".ts", ".js", ".json"] },
  },
};
