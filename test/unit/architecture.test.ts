import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../helpers/daemon.js";

/**
 * The dependency rules of ARCHITECTURE.md, checked on the sources: every import (static, dynamic, re-export)
 * is resolved to the folder it reaches, so a new file that crosses a boundary fails here by name.
 */
interface ImportEdge {
  from: string;
  to: string;
  /**
   * `import type …` / `export type … from`: erased at build, never loaded. Not `import { type X }`: under
   * `verbatimModuleSyntax` that still loads the module (`import {} from …`).
   */
  typeOnly: boolean;
  names: string[];
}

function sourceFiles(dir: string): string[] {
  const root = path.join(REPO_ROOT, dir);
  return fs
    .readdirSync(root, { recursive: true, encoding: "utf8" })
    .filter((file) => /\.[mc]?ts$/.test(file) && !/\.d\.[mc]?ts$/.test(file))
    .filter((file) => !file.split(path.sep).some((part) => part === "node_modules" || part === "dist"))
    .map((file) => path.join(dir, file));
}

function importsOf(file: string): ImportEdge[] {
  const text = fs.readFileSync(path.join(REPO_ROOT, file), "utf8");
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const edges: ImportEdge[] = [];
  const add = (specifier: string, typeOnly: boolean, names: string[]) => {
    if (!specifier.startsWith(".")) return; // packages: not ours
    const to = path.relative(REPO_ROOT, path.resolve(path.dirname(path.join(REPO_ROOT, file)), specifier));
    edges.push({ from: file, to, typeOnly, names });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const bindings = clause?.namedBindings;
      const named = bindings && ts.isNamedImports(bindings) ? bindings.elements : undefined;
      add(
        node.moduleSpecifier.text,
        clause?.isTypeOnly === true,
        named?.map((element) => element.name.text) ?? [],
      );
    } else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      add(node.moduleSpecifier.text, node.isTypeOnly, []);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [specifier] = node.arguments;
      if (specifier && ts.isStringLiteralLike(specifier)) add(specifier.text, false, []);
      else edges.push({ from: file, to: UNKNOWN_TARGET, typeOnly: false, names: [] });
    } else if (ts.isCallExpression(node) && isRequireCall(node)) {
      // `require(…)`, `createRequire(…)(…)`: followed like an import when the module is named literally.
      const [specifier] = node.arguments;
      if (specifier && ts.isStringLiteralLike(specifier)) add(specifier.text, false, []);
      else edges.push({ from: file, to: UNKNOWN_TARGET, typeOnly: false, names: [] });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      const literal = node.argument.literal;
      if (ts.isStringLiteral(literal)) add(literal.text, true, []);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return edges;
}

/** Where a computed `import(…)` or a `require` call leads: unknown, so never allowed where the rules apply. */
const UNKNOWN_TARGET = "<computed import or require>";

function isRequireCall(node: ts.CallExpression): boolean {
  const callee = node.expression;
  if (ts.isIdentifier(callee)) return callee.text === "require";
  return (
    ts.isCallExpression(callee) &&
    ts.isIdentifier(callee.expression) &&
    callee.expression.text === "createRequire"
  );
}

const within = (target: string, folder: string) => target === folder || target.startsWith(`${folder}/`);
const describeEdge = (edge: ImportEdge) => `${edge.from} → ${edge.to}${edge.typeOnly ? " (type)" : ""}`;

const CLIENT_DIRS = ["clients/core", "clients/cli", "clients/openclaw/src"];
const SERVER_LOWER_LAYERS = ["server/runtime", "server/ledger", "server/policy", "server/privacy"];

describe("dependency rules of ARCHITECTURE.md", () => {
  it("finds the imports it checks (the scanner sees static, dynamic and type imports)", () => {
    const edges = sourceFiles("server/daemon/commands").flatMap(importsOf);
    expect(edges.some((edge) => !edge.typeOnly && edge.to === "server/daemon/lifecycle.js")).toBe(true);
    expect(edges.some((edge) => edge.typeOnly && edge.to === "server/ledger/maintenance.js")).toBe(true);
    const clientEdges = CLIENT_DIRS.flatMap(sourceFiles).flatMap(importsOf);
    expect(clientEdges.some((edge) => edge.typeOnly && edge.names.includes("AppRouter"))).toBe(true);
  });

  it("clients load only clients/ and contract/ code; their only server import is `import type { AppRouter }`", () => {
    const crossing = CLIENT_DIRS.flatMap(sourceFiles)
      .flatMap(importsOf)
      .filter((edge) => !(within(edge.to, "clients") || within(edge.to, "contract")))
      .filter(
        (edge) =>
          !(
            within(edge.to, "server") &&
            edge.typeOnly &&
            edge.names.length > 0 &&
            edge.names.every((name) => name === "AppRouter")
          ),
      );
    expect(crossing.map(describeEdge)).toEqual([]);
  });

  it("contract imports nothing of ours outside contract/", () => {
    const crossing = sourceFiles("contract")
      .flatMap(importsOf)
      .filter((edge) => !within(edge.to, "contract"));
    expect(crossing.map(describeEdge)).toEqual([]);
  });

  it("the server never imports clients or the executable's composition root", () => {
    const crossing = sourceFiles("server")
      .flatMap(importsOf)
      .filter((edge) => within(edge.to, "clients") || within(edge.to, "bin"));
    expect(crossing.map(describeEdge)).toEqual([]);
  });

  it("runtime, ledger, policy and privacy never reach up into the router, HTTP or daemon layers", () => {
    const crossing = SERVER_LOWER_LAYERS.flatMap(sourceFiles)
      .flatMap(importsOf)
      .filter(
        (edge) =>
          !edge.typeOnly &&
          (within(edge.to, "server/router") ||
            within(edge.to, "server/http") ||
            within(edge.to, "server/daemon")),
      );
    expect(crossing.map(describeEdge)).toEqual([]);
  });
});
