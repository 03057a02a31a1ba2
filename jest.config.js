// Two projects: `unit` (no process is started: in-process synthesis and pure functions, a
// few seconds per test) and `integration` (the cdktf app, the CLIs, systemd-analyze,
// cloud-init, nats-server and HAProxy run as processes; each file sets its own timeout).
// `npm run test:unit` runs the first only. A test file that starts a process belongs in
// INTEGRATION.
const INTEGRATION = [
  "cli-style",
  "cloud-init-tools",
  "death-window",
  "main-report",
  "nats-binary",
  "plan-graph-synth",
  "plan-summary",
  "pubsub",
  "readiness-gate-shell",
  "readiness-gate-twin",
  "roll-jetstream",
  "roll-terraform",
  "roll-twin",
  "secret-scan",
  "sweep",
  "stack-files",
  "synth-fresh",
  "twin-boot",
  "twin-boot-failure",
  "twin-fault",
  "twin-jetstream",
  "twin-plan",
  "twin-slow-consumer",
  "twin-tls",
  "twin-tls-issue",
  "verify-cli",
  "verify-nats",
  "verify-tutorial",
  "policy/acknowledgements-main",
  "state-lock-pg",
  "state-lock-spaces",
  "mesh-partition",
  "roll-traffic-twin",
  "twin-privileged-port",
  "twin-lb-client-port",
  "roll-terraform-real",
  "roll-resize",
  "twin-leftovers",
  "twin-control",
  "pubsub-outage",
  "verify-timeout",
  "terminal-safety",
  "run-tmpdir",
  "plan-mermaid",
  "twin-seed-noise",
  "boot-scripts",
  "vm-image-key",
  "architecture",
].map((name) => `<rootDir>/__tests__/${name}.test.ts`);

const common = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  setupFilesAfterEnv: ["<rootDir>/__tests__/stack-traces.ts"],
  // The run's temporary files go to a directory of its own, removed at the end (run-tmpdir.ts);
  // jest's cache, kept between runs on purpose, lives with the dependencies instead.
  globalSetup: "<rootDir>/__tests__/run-tmpdir.ts",
  globalTeardown: "<rootDir>/__tests__/run-tmpdir-teardown.ts",
  cacheDirectory: "<rootDir>/node_modules/.cache/jest",
  // `npm test` type-checks everything with tsc first, so jest only transpiles.
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.jest.json" }] },
};

/** @type {import('jest').Config} */
module.exports = {
  // Four files at a time. jest's default is one worker fewer than the CPUs, a single worker on this
  // 2-core machine, and the integration files spend most of their time waiting on timers (health
  // checks, lame duck, reconnects) rather than computing: run one after another they took 603 s
  // while using under a quarter of the 2 CPUs. Each file has a loopback block of its own, so files
  // running side by side never share an address. bench/RESULTS.md has the measurements.
  maxWorkers: 4,
  // package.json starts jest as `node --single-threaded`, which its workers inherit: with more workers
  // than the 2 cores, V8's own background threads (parallel GC, concurrent compilation) only compete
  // with the other workers; without them `npm run test:unit` took 16.4 s against 14.8 s (median of
  // five, bench/RESULTS.md).
  // Integration files first on a run without recorded durations (a fresh clone): __tests__/sequencer.cjs.
  testSequencer: "<rootDir>/__tests__/sequencer.cjs",
  // A unit test gets seconds; an integration file raises this with jest.setTimeout (jest 29 reads
  // testTimeout only here, not per project).
  testTimeout: 10_000,
  projects: [
    {
      ...common,
      displayName: "unit",
      testMatch: ["<rootDir>/__tests__/**/*.test.ts"],
      // __tests__/vm/: the VM tests, run by `npm run test:vm` (jest.vm.config.js), never by `npm test`.
      testPathIgnorePatterns: ["/node_modules/", "/__tests__/vm/", ...INTEGRATION.map((file) => file.replace("<rootDir>", ""))],
    },
    {
      ...common,
      displayName: "integration",
      testMatch: INTEGRATION,
      // The nats-server the plans install, found or fetched once before the twin tests run.
      globalSetup: "<rootDir>/__tests__/global-setup.ts",
    },
  ],
};
