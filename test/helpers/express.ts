import express5 from "express";
import express4 from "express4";

/**
 * The suite runs on both majors the library supports. Use with `describe.each(expressVersions)`.
 * Express 4's types are close enough to 5's for tests, so both are typed as Express 5's factory.
 */
export const expressVersions = [
  { name: "express 5", express: express5 },
  { name: "express 4", express: express4 },
] as const;

export type ExpressFactory = typeof express5;
