// Parameters as the signature sees them: name -> value BYTES, whatever charset they came in.
import { AlipayError } from './errors.ts';
import { type Charset, encodeText, decodeText } from './charset.ts';
import { type FormPair } from './form.ts';

/** Parameter name (its bytes read as Latin-1, so byte order = string order) -> value bytes. */
export type ByteParams = ReadonlyMap<string, Buffer>;

/** Collects form pairs into parameters; a name given twice is refused (which one would be signed?). */
export function byteParamsFromForm(pairs: readonly FormPair[]): ByteParams {
  if (pairs === null || typeof pairs !== 'object' || typeof pairs[Symbol.iterator] !== 'function') {
    throw new AlipayError('INVALID_INPUT', 'byteParamsFromForm expects the pairs from parseFormBytes');
  }
  const params = new Map<string, Buffer>();
  for (const pair of pairs) {
    if (!Buffer.isBuffer(pair?.name) || !Buffer.isBuffer(pair.value)) {
      throw new AlipayError('INVALID_INPUT', 'byteParamsFromForm expects { name, value } pairs of Buffers, as parseFormBytes returns');
    }
    addParam(params, pair.name, pair.value);
  }
  return params;
}

function addParam(params: Map<string, Buffer>, name: Buffer, value: Buffer): void {
  const key = name.toString('latin1');
  if (key === '') throw new AlipayError('MALFORMED_FORM', 'a parameter has an empty name');
  const size = params.size;
  // A name given twice does not grow the map (one lookup instead of has() then set(); the map is thrown away then).
  if (params.set(key, value).size === size) throw new AlipayError('MALFORMED_FORM', `parameter "${key}" appears more than once`, key);
}

/** Encodes string parameters in `charset`; every value must be a string (numbers lose money to float formatting). */
export function byteParamsFromStrings(params: Readonly<Record<string, unknown>>, charset: Charset): ByteParams {
  if (params === null || typeof params !== 'object' || Array.isArray(params)) {
    throw new AlipayError('INVALID_INPUT', 'parameters must be an object of string values');
  }
  const out = new Map<string, Buffer>();
  for (const [name, value] of Object.entries(params)) {
    if (typeof value !== 'string') {
      const hint = typeof value === 'number' ? ` (write amounts as strings like "${Number(value).toFixed(2)}": a float can sign as "1000.0")` : '';
      throw new AlipayError('INVALID_INPUT', `parameter "${name}" must be a string, got ${value === null ? 'null' : typeof value}${hint}`, name);
    }
    out.set(encodeText(name, charset, name).toString('latin1'), encodeText(value, charset, name));
  }
  return out;
}

function checkParams(params: unknown, fn: string): asserts params is ByteParams {
  if (!(params instanceof Map)) throw new AlipayError('INVALID_INPUT', `${fn} expects a Map of name -> bytes (ByteParams)`);
}

/** Reads one parameter as text in `charset`; undefined when absent. */
export function textParam(params: ByteParams, name: string, charset: Charset): string | undefined {
  checkParams(params, 'textParam');
  const v = params.get(name);
  return v === undefined ? undefined : decodeText(v, charset);
}

/** Decodes every parameter to text in `charset`. */
export function decodeParams(params: ByteParams, charset: Charset): Record<string, string> {
  checkParams(params, 'decodeParams');
  const out: Record<string, string> = {};
  for (const [name, value] of params) out[decodeText(Buffer.from(name, 'latin1'), charset)] = decodeText(value, charset);
  return out;
}
