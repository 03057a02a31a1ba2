// The VM tests (npm run test:vm): droplets booted from their user_data in QEMU (vm/). Slow (minutes
// per boot under software emulation), so not part of `npm test`; .ci/run runs them after it, one
// file at a time, with their own time budget. They need root, qemu-system-x86, qemu-utils,
// debootstrap, xorriso and iproute2.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__/vm"],
  testMatch: ["<rootDir>/__tests__/vm/**/*.test.ts"],
  setupFilesAfterEnv: ["<rootDir>/__tests__/stack-traces.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.jest.json" }] },
  testTimeout: 1_200_000,
  maxWorkers: 1,
};
