// The VM tests (npm run test:vm): droplets booted from their user_data in QEMU (vm/). Slow (minutes
// per boot under software emulation), so not part of `npm test`; .ci/run runs them after it, with
// their own time budget. They need root, qemu-system-x86, qemu-utils, debootstrap, xorriso and
// iproute2. The two files run side by side, one VM each on its own CPU: each VmTwin has a network
// namespace of its own (named by its process) and the guest image is built once, under a lock. One
// after the other they took 637 s in .ci/run; side by side 440 s (bench/RESULTS.md).
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__/vm"],
  testMatch: ["<rootDir>/__tests__/vm/**/*.test.ts"],
  setupFilesAfterEnv: ["<rootDir>/__tests__/stack-traces.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.jest.json" }] },
  testTimeout: 1_200_000,
  maxWorkers: 2,
};
