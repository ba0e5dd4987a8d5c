// The Lambda build's GBK-only iconv-lite (infra/build/gbk-only-iconv.ts): bundled with the plugin, it must encode and
// decode GBK exactly as the full library does, and refuse every other encoding name instead of guessing.
import assert from 'node:assert/strict';
import { createRequire, isBuiltin } from 'node:module';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import iconv from 'iconv-lite';
import { gbkOnlyIconv } from '../../infra/build/gbk-only-iconv.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
type Iconv = typeof iconv;

/** Bundles `source` (CommonJS, resolved from the repo root) with the plugin, as the Lambda build does. */
async function bundle(source: string): Promise<{ code: string; inputs: string[] }> {
  const result = await esbuild.build({
    stdin: { contents: source, resolveDir: ROOT, sourcefile: 'entry.cjs', loader: 'js' },
    bundle: true, platform: 'node', target: 'node22', format: 'cjs', mainFields: ['module', 'main'],
    write: false, metafile: true, logLevel: 'silent', plugins: [gbkOnlyIconv()],
  });
  return { code: result.outputFiles[0]!.text, inputs: Object.keys(result.metafile.inputs) };
}

/** Runs a CommonJS bundle that may require Node built-ins only, and returns its exports. */
function load(code: string): unknown {
  const module = { exports: {} as unknown };
  const builtinOnly = (id: string) => {
    if (!isBuiltin(id)) throw new Error(`the bundle requires "${id}", which is not bundled`);
    return createRequire(import.meta.url)(id) as unknown;
  };
  new Function('module', 'exports', 'require', code)(module, module.exports, builtinOnly);
  return module.exports;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const cp = (unit: number) => `U+${unit.toString(16).toUpperCase().padStart(4, '0')}`;

describe('iconv-lite in the Lambda bundles (GBK only)', () => {
  let gbkOnly: Iconv;
  let inputs: string[];
  let code: string;

  before(async () => {
    const built = await bundle('module.exports = require("iconv-lite");');
    gbkOnly = load(built.code) as Iconv;
    inputs = built.inputs;
    code = built.code;
  });

  test('keeps both tables as JSON text parsed on first use, not as array literals every cold start scans', () => {
    // The first rows of each table, as they appear inside the JSON text (string-escaped once more).
    assert.match(code, /module\d*\.exports = JSON\.parse\((["'`])\[\[\\?"0\\?",/, 'cp936.json');
    assert.match(code, /module\d*\.exports = JSON\.parse\((["'`])\[\[\\?"a140\\?",/, 'gbk-added.json');
    assert.doesNotMatch(code, /module\d*\.exports = \[\[/, 'no table as an array literal');
  });

  test('bundles the GBK tables (cp936 + gbk-added) and no other table or encoding module', () => {
    // Files from disk; the plugin's stand-in modules are "<namespace>:<path>".
    assert.deepEqual(inputs.filter((f) => f.startsWith('node_modules/iconv-lite/encodings/')).sort(), [
      'node_modules/iconv-lite/encodings/dbcs-codec.js',
      'node_modules/iconv-lite/encodings/dbcs-data.js',
      'node_modules/iconv-lite/encodings/tables/cp936.json',
      'node_modules/iconv-lite/encodings/tables/gbk-added.json',
    ]);
    assert.ok(inputs.some((f) => f.startsWith('gbk-only-iconv:') && f.endsWith('index.gbk-only.js')), 'the stand-in for encodings/index.js');
  });

  test('encodes every BMP code unit to the same GBK bytes as the full iconv-lite', () => {
    const differences: string[] = [];
    for (let unit = 0; unit <= 0xffff; unit++) {
      const ch = String.fromCharCode(unit);
      const want = hex(iconv.encode(ch, 'gbk'));
      const got = hex(gbkOnly.encode(ch, 'gbk'));
      if (got !== want) differences.push(`${cp(unit)}: ${got} instead of ${want}`);
    }
    assert.deepEqual(differences.slice(0, 20), []);
    // A sample the tests of shared/alipay/charset.ts also use, as one string (the encoder keeps state between chars).
    assert.equal(hex(gbkOnly.encode('测试商品·中文标题 ¥88.88', 'gbk')), hex(iconv.encode('测试商品·中文标题 ¥88.88', 'gbk')));
  });

  test('decodes every single byte and every byte pair to the same text as the full iconv-lite', () => {
    const differences: string[] = [];
    const check = (bytes: Buffer) => {
      const want = iconv.decode(bytes, 'gbk');
      const got = gbkOnly.decode(bytes, 'gbk');
      if (got !== want) differences.push(`${hex(bytes)}: ${JSON.stringify(got)} instead of ${JSON.stringify(want)}`);
    };
    for (let first = 0; first <= 0xff; first++) {
      check(Buffer.of(first));
      for (let second = 0; second <= 0xff; second++) check(Buffer.of(first, second));
    }
    assert.deepEqual(differences.slice(0, 20), []);
  });

  test('any other encoding name fails loudly, never falls back to another codec', () => {
    assert.equal(gbkOnly.encodingExists('gbk'), true);
    assert.equal(gbkOnly.encodingExists('GBK'), true, 'names are canonicalised as in the full library');
    // gb2312/cp936 are read as gbk by shared/alipay/charset.ts before iconv-lite sees them; here they are unknown.
    for (const name of ['utf8', 'utf-8', 'latin1', 'shiftjis', 'big5', 'gb18030', 'gb2312', 'cp936', 'xgbk', 'euc-kr', 'nope']) {
      assert.equal(gbkOnly.encodingExists(name), false, name);
      assert.throws(() => gbkOnly.encode('a', name), /Encoding not recognized/, name);
      assert.throws(() => gbkOnly.decode(Buffer.of(0x61), name), /Encoding not recognized/, name);
    }
    assert.deepEqual(Object.keys(gbkOnly.encodings ?? {}).sort(), ['_dbcs', 'gbk']);
  });

  test('a bundle that reaches past the redirect for other encodings does not build', async () => {
    await assert.rejects(bundle('require("iconv-lite/encodings");'), /iconv-lite[\\/]encodings[\\/]index\.js is in a GBK-only bundle/);
    await assert.rejects(bundle('require("iconv-lite/encodings/tables/shiftjis.json");'), /tables[\\/]shiftjis\.json is in a GBK-only bundle/);
  });
});
