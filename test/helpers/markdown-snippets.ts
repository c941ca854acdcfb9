import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";

/** One ```ts fenced block of a Markdown file. */
export interface Snippet {
  /** The Markdown file, relative to the repository. */
  readonly file: string;
  /** The 1-based line of the snippet's first line of code (the line after the opening fence). */
  readonly line: number;
  readonly code: string;
}

/** Every ```ts (or ```typescript) block of a Markdown file, with the line it starts on. */
export function tsSnippets(root: string, file: string): Snippet[] {
  const lines = readFileSync(join(root, file), "utf8").split("\n");
  const snippets: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[i] ?? "")) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end] ?? "")) end++;
    snippets.push({ file, line: start + 1, code: lines.slice(start, end).join("\n") + "\n" });
    i = end;
  }
  return snippets;
}

/** A diagnostic of a compiled file, as `file:line:column message`. */
export interface Problem {
  readonly where: string;
  readonly message: string;
}

/** The value and the type exports of a module, for the implicit imports. */
function exportsOf(program: ts.Program, file: string): { values: string[]; types: string[] } {
  const source = program.getSourceFile(file);
  const checker = program.getTypeChecker();
  const symbol = source === undefined ? undefined : checker.getSymbolAtLocation(source);
  if (symbol === undefined) throw new Error(`cannot read the exports of ${file}`);
  const values: string[] = [];
  const types: string[] = [];
  for (const s of checker.getExportsOfModule(symbol)) {
    const flags = (s.flags & ts.SymbolFlags.Alias) !== 0 ? checker.getAliasedSymbol(s).flags : s.flags;
    if ((flags & ts.SymbolFlags.Value) !== 0) values.push(s.name);
    else types.push(s.name);
  }
  return { values, types };
}

/** The names a snippet declares or imports at its top level; the implicit imports leave them alone. */
function ownNames(code: string): Set<string> {
  const file = ts.createSourceFile("snippet.ts", code, ts.ScriptTarget.ES2022, true);
  const names = new Set<string>();
  const bind = (name: ts.BindingName): void => {
    if (ts.isIdentifier(name)) names.add(name.text);
    else for (const element of name.elements) if (!ts.isOmittedExpression(element)) bind(element.name);
  };
  for (const statement of file.statements) {
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      if (clause?.name !== undefined) names.add(clause.name.text);
      const bindings = clause?.namedBindings;
      if (bindings !== undefined && ts.isNamespaceImport(bindings)) names.add(bindings.name.text);
      if (bindings !== undefined && ts.isNamedImports(bindings)) for (const e of bindings.elements) names.add(e.name.text);
    } else if (ts.isVariableStatement(statement)) {
      for (const d of statement.declarationList.declarations) bind(d.name);
    } else if ((ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement) || ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement)) && statement.name !== undefined) {
      names.add(statement.name.text);
    }
  }
  return names;
}

export interface CompileOptions {
  readonly root: string;
  /** The module of what a fragment may take as given (`app`, `store`, `users`, ...), relative to `root`. */
  readonly given: string;
  /** Further files compiled in the same program (type tests), reported the same way. */
  readonly extraFiles?: readonly string[];
}

/**
 * Type-checks each snippet as its own module under the repository's `tsconfig.json` (`strict`, with
 * `express-logout` mapped to the source), in one program. A snippet may use every export of `express-logout`,
 * `express` and the names of the `given` module without importing them; its relative imports resolve to the
 * `given` module. Everything else it must import or declare, as an app would. Answers the problems of each
 * snippet (and of each extra file), with the Markdown file's own `file:line:column`.
 */
export function compileSnippets(snippets: readonly Snippet[], options: CompileOptions): Map<Snippet | string, Problem[]> {
  const { root } = options;
  const config = ts.getParsedCommandLineOfConfigFile(join(root, "tsconfig.json"), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    },
  });
  if (config === undefined) throw new Error("cannot read tsconfig.json");
  const compilerOptions: ts.CompilerOptions = { ...config.options, noEmit: true, strict: true };
  const indexFile = join(root, "src/index.ts");
  const givenFile = join(root, options.given);
  // First pass: the names the implicit imports bring in.
  const first = ts.createProgram([indexFile, givenFile], compilerOptions);
  const library = exportsOf(first, indexFile);
  const given = exportsOf(first, givenFile);
  const givenSpecifier = "./" + relative(join(root, ".snippets"), givenFile).replace(/\.ts$/, ".js");

  // Each snippet becomes a file of a directory under the repository, so `paths` and node_modules resolve as
  // for any source file there. The implicit imports take one line, so line n of a snippet is line n + 1.
  const virtual = new Map<string, { snippet: Snippet; text: string }>();
  snippets.forEach((snippet, index) => {
    const own = ownNames(snippet.code);
    const pick = (names: readonly string[]) => names.filter((name) => !own.has(name)).join(", ");
    const header = [
      own.has("express") ? "" : 'import express from "express";',
      `import { ${pick(library.values)} } from "express-logout";`,
      `import type { ${pick(library.types)} } from "express-logout";`,
      `import { ${pick(given.values)} } from "${givenSpecifier}";`,
      `import type { ${pick(given.types)} } from "${givenSpecifier}";`,
      "export {};",
    ].join(" ");
    virtual.set(join(root, ".snippets", `${snippet.file.replace(/[^\w]/g, "_")}_${index}.ts`), { snippet, text: `${header}\n${snippet.code}` });
  });
  const host = ts.createCompilerHost(compilerOptions, true);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (f) => virtual.get(f)?.text ?? readFile(f);
  host.fileExists = (f) => virtual.has(f) || fileExists(f);
  host.getSourceFile = (f, language, onError, shouldCreate) => {
    const v = virtual.get(f);
    return v === undefined ? getSourceFile(f, language, onError, shouldCreate) : ts.createSourceFile(f, v.text, language, true);
  };
  // A snippet's relative import stands for a file of the host's own: the given module.
  host.resolveModuleNameLiterals = (literals, containingFile, _redirected, resolutionOptions, containingSource) =>
    literals.map((literal) => {
      const name = literal.text;
      const asked = virtual.has(containingFile) && name.startsWith(".") && name !== givenSpecifier ? givenSpecifier : name;
      const mode = ts.getModeForUsageLocation(containingSource, literal, resolutionOptions);
      return ts.resolveModuleName(asked, containingFile, resolutionOptions, host, undefined, undefined, mode);
    });
  const extra = (options.extraFiles ?? []).map((f) => join(root, f));
  const program = ts.createProgram([...virtual.keys(), ...extra], compilerOptions, host, first);

  const results = new Map<Snippet | string, Problem[]>();
  const describe = (d: ts.Diagnostic, where: (line: number, column: number) => string): Problem => {
    const at = d.file !== undefined && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : { line: 0, character: 0 };
    return { where: where(at.line, at.character), message: `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}` };
  };
  const elsewhere = (d: ts.Diagnostic) => (line: number, column: number) => `${d.file === undefined ? "(no file)" : relative(root, d.file.fileName)}:${line + 1}:${column + 1}`;
  const diagnostics = (path: string): readonly ts.Diagnostic[] => {
    const sf = program.getSourceFile(path);
    if (sf === undefined) throw new Error(`${path} was not compiled`);
    return [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
  };
  for (const [path, v] of virtual) {
    results.set(
      v.snippet,
      diagnostics(path).map((d) =>
        d.file?.fileName === path ? describe(d, (line, column) => `${v.snippet.file}:${v.snippet.line + line - 1}:${column + 1}`) : describe(d, elsewhere(d)),
      ),
    );
  }
  for (const path of [givenFile, ...extra]) results.set(relative(root, path), diagnostics(path).map((d) => describe(d, elsewhere(d))));
  return results;
}
