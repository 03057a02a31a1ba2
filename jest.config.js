/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json", diagnostics: { warnOnly: false } }] },
  setupFilesAfterEnv: ["<rootDir>/setup.js"],
  // The nats-server the plans install, found or fetched once before the twin tests run.
  globalSetup: "<rootDir>/__tests__/global-setup.ts",
  // Integration tests boot real nats-server and HAProxy processes on loopback.
  testTimeout: 120000,
};
