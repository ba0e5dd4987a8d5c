// `npm run build`: one esbuild bundle per Lambda function (dist/<name>/index.js) and its zip (dist/<name>.zip).
// `npm run build -- --full-iconv` bundles every iconv-lite encoding instead of GBK only, to compare sizes.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { LAMBDA_FUNCTIONS, type LambdaFunction } from './functions.ts';
import { gbkOnlyIconv } from './gbk-only-iconv.ts';
import { writeZip } from './zip.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DIST = path.join(ROOT, 'dist');

export interface BuildOptions {
  /** Bundle only iconv-lite's GBK codec (default true). */
  gbkOnly?: boolean;
  /** Where the artifacts go (default dist/ in the repo); emptied first. */
  outDir?: string;
  /** Print nothing (default: one line per function, as `npm run build` shows). */
  quiet?: boolean;
}

export interface FunctionArtifact {
  fn: LambdaFunction;
  /** dist/<name>/index.js: what the zip holds. */
  bundlePath: string;
  /** dist/<name>/index.js.map, kept beside the bundle and not put in the zip. */
  mapPath: string;
  /** dist/<name>.zip: index.js at its root, nothing else. */
  zipPath: string;
  bundleBytes: number;
  zipBytes: number;
  /** Bytes each bundled file contributes to index.js (esbuild's metafile, paths relative to the repo root). */
  inputs: Record<string, number>;
  /** The same, summed per npm package ("(this repo)" for our own code), biggest first. */
  packages: { name: string; bytes: number }[];
}

export class BuildError extends Error {
  override readonly name = 'BuildError';
}

/** The settings every Lambda bundle is built with (the bench builds its comparison bundles with them too). */
export function esbuildOptions(fn: LambdaFunction, outDir: string, opts: BuildOptions): esbuild.BuildOptions & { metafile: true } {
  return {
    absWorkingDir: ROOT,
    entryPoints: [fn.entry],
    outfile: path.join(outDir, fn.name, 'index.js'),
    bundle: true,
    platform: 'node',
    target: 'node22',
    // CommonJS, so the handler is `index.handler` in a plain index.js. A warning (e.g. import.meta, which is empty in
    // CommonJS) fails the build below; top-level await is an esbuild error in this format.
    format: 'cjs',
    minify: true,
    mainFields: ['module', 'main'],
    // No externals: the AWS SDK is bundled too (it loaded faster than the runtime's copy when measured).
    sourcemap: true,
    legalComments: 'none',
    // Keep non-ASCII text (the GBK table's characters) as UTF-8 instead of \uXXXX escapes: about 40 KB less per bundle.
    charset: 'utf8',
    metafile: true,
    logLevel: 'silent',
    plugins: opts.gbkOnly === false ? [] : [gbkOnlyIconv()],
  };
}

async function format(messages: esbuild.Message[], kind: 'error' | 'warning'): Promise<string> {
  return (await esbuild.formatMessages(messages, { kind, color: false })).join('').trimEnd();
}

/** The npm package a bundled file belongs to, from its path ("(this repo)" outside node_modules). */
function packageOf(input: string): string {
  const parts = input.split(/[\\/]/);
  const at = parts.lastIndexOf('node_modules');
  if (at < 0) return '(this repo)';
  const name = parts[at + 1] ?? '';
  return name.startsWith('@') ? `${name}/${parts[at + 2] ?? ''}` : name;
}

function byPackage(inputs: Record<string, number>): { name: string; bytes: number }[] {
  const sums = new Map<string, number>();
  for (const [input, bytes] of Object.entries(inputs)) sums.set(packageOf(input), (sums.get(packageOf(input)) ?? 0) + bytes);
  return [...sums].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name));
}

async function buildFunction(fn: LambdaFunction, outDir: string, opts: BuildOptions): Promise<FunctionArtifact> {
  const options = esbuildOptions(fn, outDir, opts);
  let result: esbuild.BuildResult<typeof options>;
  try {
    result = await esbuild.build(options);
  } catch (err) {
    const errors = (err as Partial<esbuild.BuildFailure>).errors;
    throw new BuildError(`${fn.name} (${fn.entry}):\n${errors?.length ? await format(errors, 'error') : String(err)}`);
  }
  if (result.warnings.length > 0) {
    throw new BuildError(`${fn.name} (${fn.entry}): esbuild warnings are errors here (a CommonJS Lambda bundle must not need them):\n${await format(result.warnings, 'warning')}`);
  }

  const bundlePath = options.outfile!;
  const output = Object.entries(result.metafile.outputs).find(([file]) => path.resolve(ROOT, file) === bundlePath)?.[1];
  if (!output) throw new BuildError(`${fn.name}: esbuild's metafile does not list ${bundlePath}`);
  const inputs = Object.fromEntries(Object.entries(output.inputs).map(([input, { bytesInOutput }]) => [input, bytesInOutput]));

  const bundle = await readFile(bundlePath);
  const zip = writeZip([{ name: 'index.js', data: bundle }]);
  const zipPath = path.join(outDir, `${fn.name}.zip`);
  await writeFile(zipPath, zip);
  return { fn, bundlePath, mapPath: `${bundlePath}.map`, zipPath, bundleBytes: bundle.length, zipBytes: zip.length, inputs, packages: byPackage(inputs) };
}

/** Empties the output folder and builds every function; rejects with a BuildError naming what failed. */
export async function build(opts: BuildOptions = {}): Promise<FunctionArtifact[]> {
  const started = Date.now();
  const outDir = path.resolve(opts.outDir ?? DIST);
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const settled = await Promise.allSettled(LAMBDA_FUNCTIONS.map((fn) => buildFunction(fn, outDir, opts)));
  const failed = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
  if (failed.length > 0) {
    // Nothing half-built is left to be deployed by mistake.
    await rm(outDir, { recursive: true, force: true });
    throw new BuildError(failed.map((err) => (err instanceof Error ? err.message : String(err))).join('\n\n'));
  }
  const artifacts = settled.map((s) => (s as PromiseFulfilledResult<FunctionArtifact>).value);
  if (!opts.quiet) {
    console.log(summary(artifacts));
    console.log(`built ${artifacts.length} functions in ${((Date.now() - started) / 1000).toFixed(1)} s${opts.gbkOnly === false ? ' (full iconv-lite)' : ''}`);
  }
  return artifacts;
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

export function summary(artifacts: readonly FunctionArtifact[]): string {
  const where = (file: string) => (path.relative(process.cwd(), file).startsWith('..') ? file : path.relative(process.cwd(), file));
  const width = Math.max(...artifacts.map((a) => a.fn.name.length));
  const lines = artifacts.map((a) =>
    `${a.fn.name.padEnd(width)}  ${kb(a.bundleBytes).padStart(9)}  (zip ${kb(a.zipBytes).padStart(9)})  largest: ` +
      a.packages.slice(0, 3).map((p) => `${p.name} ${kb(p.bytes)}`).join(', '),
  );
  const first = artifacts[0];
  if (first) {
    const dir = where(path.dirname(first.zipPath));
    lines.push(`each ${dir}/<name>.zip holds only index.js; the source maps stay beside the bundles (${dir}/<name>/index.js.map), not in the zips`);
  }
  return lines.join('\n');
}

async function main(args: readonly string[]): Promise<void> {
  const unknown = args.filter((a) => a !== '--full-iconv');
  if (unknown.length > 0) throw new BuildError(`unknown argument ${unknown.join(' ')} (usage: npm run build [-- --full-iconv])`);
  await build({ gbkOnly: !args.includes('--full-iconv') });
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(`build failed: ${err instanceof BuildError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exitCode = 1;
  });
}
