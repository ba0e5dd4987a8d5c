// Lambda build only: iconv-lite with just its GBK codec, instead of every encoding table it ships (~480 KB minified).
//
// iconv-lite loads its codec definitions in one place: getCodec() in lib/index.js does `require("../encodings")` on
// first use and merges that object into iconv.encodings. This plugin answers that one import with a module exporting
// exactly what `iconv.encode(text, 'gbk')` and `iconv.decode(bytes, 'gbk')` reach: the "gbk" entry of
// encodings/dbcs-data.js and the "_dbcs" codec of encodings/dbcs-codec.js, required from the iconv-lite being bundled
// so they cannot drift. Any other encoding name then fails loudly ("Encoding not recognized"). dbcs-data.js names
// every double-byte table (in functions run on first use); all but GBK's two become a module that throws if loaded.
// iconv-lite documents no way to choose encodings (pillarjs/iconv-lite#291), so the build checks its assumptions:
// the definitions exist, the redirect happened, and no other table or the full encoding list was bundled.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Metafile, OnEndResult, Plugin } from 'esbuild';

const PLUGIN = 'gbk-only-iconv';
const ENCODINGS_NAMESPACE = 'gbk-only-iconv';
const LEFT_OUT_NAMESPACE = 'gbk-only-iconv-left-out';
/** The tables iconv-lite's gbk definition reads (dbcs-data.js: cp936.json concatenated with gbk-added.json). */
const GBK_TABLES: ReadonlySet<string> = new Set(['./tables/cp936.json', './tables/gbk-added.json']);

/** Stands in for iconv-lite/encodings/index.js; resolved from iconv-lite's encodings/ folder. */
const GBK_ONLY_ENCODINGS = `"use strict";
// GBK only (infra/build/gbk-only-iconv.ts): iconv-lite's own gbk definition and double-byte codec.
module.exports = {
  _dbcs: require("./dbcs-codec.js")._dbcs,
  gbk: require("./dbcs-data.js").gbk,
};
`;

const IGNORE_CASE = process.platform === 'win32';
const normal = (p: string) => (IGNORE_CASE ? path.normalize(p).toLowerCase() : path.normalize(p));
/** True when `file` is `<…>/node_modules/iconv-lite/<inPackage>`. */
function isIconvFile(file: string, inPackage: string): boolean {
  return normal(file).endsWith(normal(path.join('node_modules', 'iconv-lite', inPackage)));
}

/** Fails the build, at bundle time, if iconv-lite no longer has the definitions the stand-in module takes. */
function checkIconvDefinitions(encodingsDir: string): void {
  const load = createRequire(path.join(encodingsDir, 'index.js'));
  const codec = (load('./dbcs-codec.js') as Record<string, unknown>)._dbcs;
  const gbk = (load('./dbcs-data.js') as Record<string, unknown>).gbk as { type?: unknown; table?: unknown } | undefined;
  if (typeof codec !== 'function' || typeof gbk !== 'object' || gbk === null || gbk.type !== '_dbcs' || typeof gbk.table !== 'function') {
    throw new Error(
      `${encodingsDir}: iconv-lite no longer defines "gbk" as a _dbcs codec with a table in dbcs-data.js and "_dbcs" in dbcs-codec.js; ` +
        'update infra/build/gbk-only-iconv.ts for this iconv-lite version (or build without it)',
    );
  }
}

/** After the build: iconv-lite's full encoding list or another table must not have slipped in. */
function checkInputs(metafile: Metafile | undefined, redirected: boolean): OnEndResult {
  if (!metafile) return { errors: [{ text: `${PLUGIN}: needs metafile: true to check what was bundled` }] };
  // Files only: the stand-in module and the left-out tables are in this plugin's namespaces ("<namespace>:<path>").
  const inputs = Object.keys(metafile.inputs).filter((f) => !f.startsWith(`${ENCODINGS_NAMESPACE}:`) && !f.startsWith(`${LEFT_OUT_NAMESPACE}:`));
  const errors: string[] = [];
  if (inputs.some((f) => isIconvFile(f, 'lib/index.js')) && !redirected) {
    errors.push('iconv-lite is bundled but its `require("../encodings")` was not redirected: iconv-lite has changed how it loads encodings');
  }
  const fullList = inputs.filter((f) => isIconvFile(f, 'encodings/index.js'));
  const otherTables = inputs.filter((f) => /iconv-lite[\\/]encodings[\\/]tables[\\/]/.test(f) && !GBK_TABLES.has(`./tables/${path.basename(f)}`));
  for (const f of [...fullList, ...otherTables]) errors.push(`${f} is in a GBK-only bundle`);
  return { errors: errors.map((text) => ({ text: `${PLUGIN}: ${text}` })) };
}

/** The esbuild plugin. Only for the Lambda bundles: the local stack and the tests use the full iconv-lite. */
export function gbkOnlyIconv(): Plugin {
  return {
    name: PLUGIN,
    setup(build) {
      build.initialOptions.metafile = true;
      let redirected = false;
      build.onStart(() => {
        redirected = false;
      });

      build.onResolve({ filter: /^\.\.\/encodings$/ }, (args) => {
        if (!isIconvFile(args.importer, 'lib/index.js')) return undefined;
        const encodingsDir = path.join(path.dirname(args.importer), '..', 'encodings');
        checkIconvDefinitions(encodingsDir);
        redirected = true;
        return { path: path.join(encodingsDir, 'index.gbk-only.js'), namespace: ENCODINGS_NAMESPACE };
      });
      build.onLoad({ filter: /.*/, namespace: ENCODINGS_NAMESPACE }, (args) => ({
        contents: GBK_ONLY_ENCODINGS,
        loader: 'js',
        resolveDir: path.dirname(args.path),
      }));

      // dbcs-data.js names every double-byte table inside functions that run on first use of that encoding.
      build.onResolve({ filter: /^\.\/tables\/[^/]+\.json$/ }, (args) => {
        if (!isIconvFile(args.importer, 'encodings/dbcs-data.js') || GBK_TABLES.has(args.path)) return undefined;
        return { path: path.join(path.dirname(args.importer), args.path), namespace: LEFT_OUT_NAMESPACE };
      });
      build.onLoad({ filter: /.*/, namespace: LEFT_OUT_NAMESPACE }, (args) => ({
        contents: `throw new Error(${JSON.stringify(`iconv-lite's ${path.basename(args.path)} is left out of this GBK-only Lambda build (infra/build/gbk-only-iconv.ts)`)});\n`,
        loader: 'js',
      }));

      // GBK's two tables, as a string that JSON.parse reads on first use: a JavaScript engine scans one long string
      // literal far faster than the same data as an array literal of thousands of tokens, and every cold start pays
      // for scanning the whole bundle, GBK or not.
      build.onLoad({ filter: /[\\/]iconv-lite[\\/]encodings[\\/]tables[\\/](cp936|gbk-added)\.json$/ }, async (args) => {
        const json = JSON.stringify(JSON.parse(await readFile(args.path, 'utf8')));
        return { contents: `module.exports = JSON.parse(${JSON.stringify(json)});\n`, loader: 'js' };
      });

      build.onEnd((result) => (result.errors.length > 0 ? undefined : checkInputs(result.metafile, redirected)));
    },
  };
}
