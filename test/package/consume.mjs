// Packs the library as npm would publish it, installs the tarball into throw-away ESM, CommonJS and
// TypeScript projects, and checks that each can import it and run a logout. Exits non-zero on any failure.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { brokenLinks } from "./links.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const work = mkdtempSync(join(tmpdir(), "express-logout-consume-"));
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" });

let failed = 0;
function check(name, fn) {
  try {
    fn();
    console.log(`ok - ${name}`);
  } catch (error) {
    failed += 1;
    console.log(`not ok - ${name}\n${String(error?.stdout ?? "")}${String(error?.message ?? error)}`);
  }
}

try {
  run("npm", ["pack", "--silent", "--pack-destination", work], root);
  const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"));
  const pkgDir = join(work, "node_modules", "express-logout");
  mkdirSync(pkgDir, { recursive: true });
  run("tar", ["-xzf", join(work, tarball), "-C", pkgDir, "--strip-components=1"], work);
  // The consumer's other dependencies come from this checkout's install: no network needed.
  for (const dep of ["express", "jsonwebtoken", "otplib", "@otplib", "@noble", "@scure", "supertest", "@types", "typescript", "vitest", "tsx", "cookie-parser", "pg", "cookie-signature", "connect-redis", "redis", "@redis", "jose", "openid-client", "oauth4webapi", "oidc-provider"]) {
    try {
      symlinkSync(join(root, "node_modules", dep), join(work, "node_modules", dep));
    } catch {
      // already linked
    }
  }
  const program = (importLine) => `${importLine}
const store = new MemorySessionStore();
const app = express();
app.get("/logout", createLogoutHandler({ store, shape: shapes.problem }));
const { token } = await issueSession(store, { userId: "u1" });
const server = app.listen(0);
const port = server.address().port;
const res = await fetch("http://127.0.0.1:" + port + "/logout", { headers: { authorization: "Bearer " + token } });
const body = await res.json();
server.close();
store.close();
if (res.status !== 200 || body.ended !== 1) throw new Error("unexpected " + res.status + " " + JSON.stringify(body));
if (typeof assertSessionStore !== "function") throw new Error("assertSessionStore missing");
console.log("logout ok");`;

  check("imports from an ESM project", () => {
    const dir = join(work, "esm");
    mkdirSync(dir);
    writeFileSync(join(dir, "package.json"), '{"type":"module"}');
    writeFileSync(join(dir, "main.js"), program(`import express from "express";\nimport { MemorySessionStore, createLogoutHandler, issueSession, shapes, assertSessionStore } from "express-logout";\nimport { describeSessionStoreConformance } from "express-logout/testing";\nif (typeof describeSessionStoreConformance !== "function") throw new Error("testing subpath");`));
    if (!run("node", ["main.js"], dir).includes("logout ok")) throw new Error("no output");
  });

  check("requires from a CommonJS project", () => {
    const dir = join(work, "cjs");
    mkdirSync(dir);
    writeFileSync(join(dir, "package.json"), '{"type":"commonjs"}');
    writeFileSync(join(dir, "main.js"), `(async () => {\n${program(`const express = require("express");\nconst { MemorySessionStore, createLogoutHandler, issueSession, shapes, assertSessionStore } = require("express-logout");`)}\n})().catch((e) => { console.error(e); process.exit(1); });`);
    if (!run("node", ["main.js"], dir).includes("logout ok")) throw new Error("no output");
  });

  check("type-checks from a TypeScript project (NodeNext)", () => {
    const dir = join(work, "ts");
    mkdirSync(dir);
    writeFileSync(join(dir, "package.json"), '{"type":"module"}');
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", strict: true, noEmit: true, skipLibCheck: false, types: [] } }));
    writeFileSync(join(dir, "main.ts"), `import { MemorySessionStore, createLogoutHandler, shapes, type SessionStore, type Shape } from "express-logout";
import type { ConformanceOptions } from "express-logout/testing";
const store: SessionStore = new MemorySessionStore();
const shape: Shape = shapes.endor;
export const handler = createLogoutHandler({ store, shape, target: "all" });
export const options: ConformanceOptions = { createStore: () => store };
`);
    run("node", [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "."], dir);
  });

  check("stands on its own: LICENSE, repository, homepage and bugs", () => {
    if (!readFileSync(join(pkgDir, "LICENSE"), "utf8").startsWith("MIT License")) throw new Error("no MIT LICENSE in the tarball");
    const manifest = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
    for (const field of ["repository", "homepage", "bugs"]) if (manifest[field] === undefined) throw new Error(`package.json has no ${field}`);
  });

  check("every relative link of the packed README and docs resolves inside the package", () => {
    const { broken, checked } = brokenLinks(pkgDir);
    if (broken.length > 0) throw new Error(`broken links:\n  ${broken.join("\n  ")}`);
    if (checked < 10) throw new Error(`only ${checked} relative links found: the README's links were not read`);
  });

  check("the packed examples import the package by name and type-check in a strict project", () => {
    const dir = join(work, "examples");
    mkdirSync(dir);
    writeFileSync(join(dir, "package.json"), '{"type":"module"}');
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", lib: ["ES2023"], strict: true, noEmit: true, skipLibCheck: true, types: ["node"], esModuleInterop: true } }));
    const examples = readdirSync(join(pkgDir, "examples")).filter((f) => f.endsWith(".ts"));
    if (!examples.includes("quick-start.ts") || !examples.includes("postgres-store.ts")) throw new Error(`examples shipped: ${examples.join(", ")}`);
    for (const file of examples) {
      const text = readFileSync(join(pkgDir, "examples", file), "utf8");
      if (/from "\.\.?\//.test(text.replace(/from "\.\/[\w-]+\.js"/g, ""))) throw new Error(`examples/${file} imports a path outside its folder`);
      copyFileSync(join(pkgDir, "examples", file), join(dir, file));
    }
    run("node", [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "."], dir);
  });

  check("the packed quick start runs with tsx and ends a session", () => {
    const dir = join(work, "examples");
    if (!existsSync(join(dir, "quick-start.ts"))) throw new Error("no quick start copied");
    if (!run("node", [join(root, "test", "package", "drive-quick-start.mjs")], dir).includes("quick start ok")) throw new Error("no output");
  });
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.log(`${failed === 0 ? "package consumers: all passed" : `package consumers: ${failed} failed`}`);
process.exit(failed === 0 ? 0 : 1);
