import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    // The examples import the package by its name, as an app does; in this repository that name is the source
    // (the same mapping as tsconfig.json's `paths`, which tsx follows).
    alias: [
      { find: /^express-logout$/, replacement: source("./src/index.ts") },
      { find: /^express-logout\/testing$/, replacement: source("./src/testing/index.ts") },
      // The benchmark measures the built package (package.json `imports`); its harness's tests read the source.
      { find: /^#bench\/library$/, replacement: source("./src/index.ts") },
    ],
  },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // Suites that start servers (Redis, PostgreSQL, the example app, Chromium) share the machine's two cores.
    maxWorkers: 2,
  },
});
