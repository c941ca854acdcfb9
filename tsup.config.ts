import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src/index.ts", testing: "src/testing/index.ts" },
  format: ["esm", "cjs"],
  dts: true,
  clean: true,
  target: "node20",
  platform: "node",
  sourcemap: false,
  splitting: false,
  // The conformance kit imports vitest; it stays the consumer's own copy.
  external: ["vitest", "express"],
});
