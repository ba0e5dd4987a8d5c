// `alipay sign|verify|explain`: Alipay MD5 signatures from the shell, no AWS and no store.
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { InputError, type Io, UsageError } from './command.ts';
import { type Charset, parseCharset } from '../../shared/alipay/charset.ts';
import { md5KeyWarning } from '../../shared/alipay/credentials.ts';
import { AlipayError } from '../../shared/alipay/errors.ts';
import { byteParamsFromStrings } from '../../shared/alipay/params.ts';
import { signParams, verifyBytes } from '../../shared/alipay/sign.ts';
import { explain, formatDiagnosis } from '../../shared/alipay/explain.ts';

export const SIGNATURE_COMMANDS = ['sign', 'verify', 'explain'] as const;

export const SIGNATURES_USAGE = `signatures (no AWS, no store):
  sign    --key K [--charset utf-8|gbk]   stdin: a JSON object of string parameters
                                          stdout: {"presign": "...", "sign": "..."}
  verify  --key K [--charset utf-8|gbk]   stdin: a JSON object including sign and sign_type
                                          stdout: {"valid": true|false, "reason": "..."}; exit 0 valid, 1 invalid, 2 bad input
  sign --jsonl | verify --jsonl           stdin: one {"params": {...}, "key": "...", "charset": "utf-8"|"gbk"} per line
                                          stdout: one result per line, in order; a bad line gives {"error": "..."}
  explain --key K [--charset utf-8|gbk]   stdin: a gateway URL, a form body or a JSON object
                                          prints what was signed, the expected sign and the likely cause of a mismatch

The key may also come from the ALIPAY_KEY environment variable, which keeps it out of the process list.
Without --charset, the parameters' own _input_charset is used, else utf-8.`;

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function parseParams(text: string, what = 'stdin'): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new AlipayError('INVALID_INPUT', `${what} is not a JSON object: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new AlipayError('INVALID_INPUT', `${what} must be one JSON object`);
  return value as Record<string, unknown>;
}

function charsetFor(option: unknown, params: Record<string, unknown>): Charset {
  if (option !== undefined) return parseCharset(option, 'charset');
  return params._input_charset === undefined ? 'utf-8' : parseCharset(params._input_charset);
}

function sign(params: Record<string, unknown>, key: unknown, charset: Charset): { presign: string; sign: string } {
  if (typeof key !== 'string' || key === '') throw new AlipayError('INVALID_INPUT', 'a key is required', 'key');
  for (const [k, v] of Object.entries(params)) {
    if (typeof v !== 'string') throw new AlipayError('INVALID_INPUT', `parameter "${k}" must be a string, got ${v === null ? 'null' : typeof v}`, k);
  }
  return signParams(params as Record<string, string>, key, charset);
}

function verify(params: Record<string, unknown>, key: unknown, charset: Charset): { valid: boolean; reason: string } {
  if (typeof key !== 'string' || key === '') throw new AlipayError('INVALID_INPUT', 'a key is required', 'key');
  const result = verifyBytes(byteParamsFromStrings(params, charset), key);
  if (result.valid) return { valid: true, reason: 'sign matches (MD5)' };
  if (result.reason !== 'mismatch') return { valid: false, reason: `${result.reason}: ${result.message}` };
  const cause = explain(JSON.stringify(params), key, charset).causes[0];
  return { valid: false, reason: `mismatch: ${result.message}${cause ? `; likely cause: ${cause.message}` : ''}` };
}

async function jsonl(run: (params: Record<string, unknown>, key: unknown, charset: Charset) => object, io: Io): Promise<void> {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    let out: object;
    try {
      const item = parseParams(line, 'the line');
      const params = item.params;
      if (params === null || typeof params !== 'object' || Array.isArray(params)) throw new AlipayError('INVALID_INPUT', 'each line needs "params": an object of string parameters');
      out = run(params as Record<string, unknown>, item.key, item.charset === undefined ? charsetFor(undefined, params as Record<string, unknown>) : parseCharset(item.charset, 'charset'));
    } catch (err) {
      out = { error: err instanceof Error ? err.message : String(err) };
    }
    io.out(JSON.stringify(out));
  }
}

/** Runs sign, verify or explain; input that cannot be read is an InputError (exit 2), as wrong arguments are. */
export async function runSignatures(command: string, rest: string[], io: Io): Promise<number> {
  try {
    return await signatures(command, rest, io);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new InputError(err instanceof Error ? err.message : String(err));
  }
}

async function signatures(command: string, rest: string[], io: Io): Promise<number> {
  let values: { key?: string; charset?: string; jsonl?: boolean };
  try {
    ({ values } = parseArgs({ args: rest, options: { key: { type: 'string' }, charset: { type: 'string' }, jsonl: { type: 'boolean' } }, strict: true }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const key = values.key ?? process.env.ALIPAY_KEY;
  const run = command === 'sign' ? sign : command === 'verify' ? verify : undefined;

  if (run && values.jsonl) {
    await jsonl(run, io);
    return 0;
  }
  if (values.jsonl) throw new UsageError('--jsonl goes with sign or verify');
  if (key === undefined || key === '') throw new UsageError(`${command} needs --key K (or ALIPAY_KEY in the environment)`);
  // Signing with a malformed key is allowed (tests use odd keys), but never silently.
  const keyWarning = md5KeyWarning(key, values.key === undefined ? 'ALIPAY_KEY' : '--key');
  if (keyWarning) io.err(`warning: ${keyWarning}`);
  const input = await readStdin();

  if (command === 'explain') {
    const charset = values.charset === undefined ? undefined : parseCharset(values.charset, 'charset');
    const d = explain(input, key, charset);
    io.out(formatDiagnosis(d));
    return d.valid ? 0 : 1;
  }
  const params = parseParams(input.toString('utf8'));
  const result = run!(params, key, charsetFor(values.charset, params));
  io.out(JSON.stringify(result));
  return 'valid' in result && result.valid === false ? 1 : 0;
}
