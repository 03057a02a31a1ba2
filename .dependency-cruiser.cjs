// The rooms of the project and the arrows between them, as drawn in the README ("Architecture").
// __tests__/architecture.test.ts runs dependency-cruiser with these rules over the product code.
// A room may import itself and every room its arrows reach, directly or through other rooms;
// any other import of the project's own code is a violation, and so is any cycle.
const ARROWS = {
  "main.ts": ["constructs"],
  bench: ["constructs", "roll"],
  scripts: ["roll", "sweep", "vm"],
  constructs: ["policy"],
  policy: ["plan"],
  roll: ["twin"],
  vm: ["twin"],
  twin: ["plan", "verify"],
  sweep: ["facts"],
  plan: ["facts"],
  verify: ["helpers"],
  facts: ["helpers"],
  helpers: [],
};

/** The rooms `room` reaches by following the arrows. */
function below(room, seen = new Set()) {
  for (const next of ARROWS[room]) {
    if (!seen.has(next)) {
      seen.add(next);
      below(next, seen);
    }
  }
  return [...seen];
}

/** A path pattern for the rooms named: a folder, or main.ts. */
const paths = (rooms) => `^(?:${rooms.map((room) => (room === "main.ts" ? "main\\.ts$" : `${room}/`)).join("|")})`;

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
    ...Object.keys(ARROWS).map((room) => {
      const allowed = below(room);
      return {
        name: `${room}-imports-${allowed.length === 0 ? "nothing" : `only-${allowed.join("-")}`}`,
        severity: "error",
        comment: `${room} imports ${allowed.length === 0 ? "nothing else of the project" : `only from ${allowed.join(", ")}`}`,
        from: { path: paths([room]) },
        to: { path: paths(Object.keys(ARROWS)), pathNot: paths([room, ...allowed]) },
      };
    }),
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(?:^|/)node_modules/" },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: [".ts", ".js", ".json"] },
  },
};
