import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { compileSnippets, tsSnippets, type Problem, type Snippet } from "./helpers/markdown-snippets.js";

/**
 * Every ```ts block of the README and of docs/*.md is compiled under `strict` against the source, as a user
 * pasting it into an app would. A block is one module. The convention for fragments (a block that shows a few
 * routes, not a whole file): it may use every export of `express-logout`, `express`, and the host's own objects
 * declared in `test/snippets/given.ts` (`app`, `store`, `users`, `db`, ...) without importing them; anything
 * else it imports or declares itself. A failure names the Markdown file and line of the snippet.
 */
const root = fileURLToPath(new URL("..", import.meta.url));
const files = ["README.md", ...readdirSync(new URL("../docs", import.meta.url)).filter((f) => f.endsWith(".md")).sort().map((f) => `docs/${f}`)];
const snippets = files.flatMap((file) => tsSnippets(root, file));
const typeTests = ["test/types/user-directory.types.ts"];

// A snippet with two mistakes, compiled in the same program, proves that a failure would be reported.
const broken: Snippet = { file: "docs/example.md", line: 40, code: 'const n: number = "one";\napp.get("/", requireSession({ store, users: { findUser: () => 1 } }));\n' };

let results: Map<Snippet | string, Problem[]>;
beforeAll(() => {
  results = compileSnippets([...snippets, broken], { root, given: "test/snippets/given.ts", extraFiles: typeTests });
}, 120_000);

const report = (problems: readonly Problem[]) => problems.map((p) => `${p.where} ${p.message}`).join("\n");

describe("the documentation's TypeScript compiles under strict", () => {
  it("finds the snippets of the README and of docs/rocket-chat.md", () => {
    expect(snippets.filter((s) => s.file === "README.md").length).toBeGreaterThanOrEqual(15);
    expect(snippets.some((s) => s.file === "docs/rocket-chat.md")).toBe(true);
  });

  for (const snippet of snippets) {
    it(`${snippet.file}:${snippet.line}`, () => {
      expect(report(results.get(snippet) ?? [{ where: `${snippet.file}:${snippet.line}`, message: "not compiled" }])).toBe("");
    });
  }

  it("the host objects the fragments take as given type-check", () => {
    expect(report(results.get("test/snippets/given.ts") ?? [])).toBe("");
  });
});

describe("type tests", () => {
  for (const file of typeTests) {
    it(`${file} compiles: every inference holds and every refusal is refused`, () => {
      expect(results.has(file)).toBe(true);
      expect(report(results.get(file) ?? [])).toBe("");
    });
  }
});

describe("the snippet compiler itself", () => {
  it("reports a snippet's type error at its Markdown file, line and column, with the diagnostic", () => {
    const problems = results.get(broken) ?? [];
    expect(problems.map((p) => p.where)).toEqual(["docs/example.md:40:7", expect.stringMatching(/^docs\/example\.md:41:/)]);
    expect(problems[0]?.message).toMatch(/^TS2322: Type 'string' is not assignable to type 'number'/);
  });
});
