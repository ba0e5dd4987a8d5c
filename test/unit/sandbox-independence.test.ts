// The sandbox plays Alipay, so it must not run the product's protocol code (issue #10): no file in
// infra/local/sandbox/ may load shared/alipay at run time, directly or through another module of ours.
// `import type` is erased before anything runs, so it is allowed; `import { type X }` still loads the module.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SANDBOX = path.join(ROOT, 'infra/local/sandbox');
const PRODUCT_PROTOCOL = path.join(ROOT, 'shared/alipay') + path.sep;

/** The modules a source loads when it runs: imports and re-exports that are not `type`-only, import() and require(). */
function runtimeImports(source: string): string[] {
  const file = ts.createSourceFile('module.ts', source, ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && !node.isTypeOnly && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push(node.moduleSpecifier.text);
    } else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === 'require'))
    ) {
      const [arg] = node.arguments;
      found.push(arg && ts.isStringLiteralLike(arg) ? arg.text : '(a computed module name)');
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/** Every chain of run-time imports from `start` that reaches shared/alipay, as "a.ts → b.ts → shared/alipay/x.ts". */
function chainsToProductProtocol(start: string): string[] {
  const chains: string[] = [];
  const seen = new Set<string>();
  const walk = (file: string, via: string[]): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const specifier of runtimeImports(readFileSync(file, 'utf8'))) {
      const chain = [...via, specifier];
      if (specifier === '(a computed module name)') chains.push(`${chain.join(' → ')}: cannot be checked, name the module`);
      if (!specifier.startsWith('.')) continue; // packages and node: built-ins
      const target = path.resolve(path.dirname(file), specifier);
      if (target.startsWith(PRODUCT_PROTOCOL)) chains.push(chain.join(' → '));
      else if (existsSync(target)) walk(target, chain);
    }
  };
  walk(start, [path.relative(ROOT, start)]);
  return chains;
}

describe('the sandbox runs none of the product\'s Alipay code', () => {
  test('no infra/local/sandbox/*.ts file loads shared/alipay at run time, directly or through another module', () => {
    const files = readdirSync(SANDBOX).filter((f) => f.endsWith('.ts')).map((f) => path.join(SANDBOX, f));
    assert.ok(files.length > 10, `the sandbox's files are found in ${SANDBOX}`);
    assert.deepEqual(files.flatMap(chainsToProductProtocol), []);
  });

  test('what counts as loading a module', () => {
    assert.deepEqual(runtimeImports("import type { Charset } from '../../../shared/alipay/charset.ts';"), []);
    assert.deepEqual(runtimeImports("export type { Charset } from './charset.ts';"), []);
    assert.deepEqual(runtimeImports("import { type Charset } from './charset.ts';"), ['./charset.ts'], 'kept as import {} under verbatimModuleSyntax');
    assert.deepEqual(runtimeImports("import {\n  signBytes,\n} from './sign.ts';"), ['./sign.ts']);
    assert.deepEqual(runtimeImports("import './side-effect.ts';"), ['./side-effect.ts']);
    assert.deepEqual(runtimeImports("export { md5Hex } from './sign.ts';"), ['./sign.ts']);
    assert.deepEqual(runtimeImports("const m = await import('./sign.ts');"), ['./sign.ts']);
    assert.deepEqual(runtimeImports("// import { x } from './commented.ts';\nconst s = \"import { y } from './in-a-string.ts'\";"), []);
  });
});
