import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // Suites that start servers (Redis, PostgreSQL, the example app, Chromium) share the machine's two cores.
    maxWorkers: 2,
  },
});
