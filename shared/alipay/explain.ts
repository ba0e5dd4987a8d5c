// Diagnostics for a failing signature: what was signed, what was expected, and the likely cause of a mismatch.
// Modelled on stripe-node's webhook errors, which tell the user what to fix rather than just "invalid".
import { AlipayError } from './errors.ts';
import { type Charset, decodeText, encodeText, isValidUtf8, parseCharset } from './charset.ts';
import { parseFormBytes, percentEncodeBytes } from './form.ts';
import { type ByteParams, byteParamsFromForm, byteParamsFromStrings } from './params.ts';
import { md5Hex, presignBytes, signedNames, UNSIGNED_PARAMS } from './sign.ts';

export interface Cause {
  code:
    | 'wrong_charset' | 'url_encoded_before_signing' | 'sign_type_signed' | 'empty_values_signed' | 'key_whitespace' | 'partner_whitespace'
    | 'amount_formatting' | 'html_escaped' | 'uppercase_sign' | 'param_left_out' | 'wrong_key_or_changed_value';
  message: string;
}

export interface Diagnosis {
  input: 'url' | 'form' | 'json';
  charset: Charset;
  charsetSource: 'option' | '_input_charset' | 'guessed';
  /** The signed string as text; the key that follows it is never shown. */
  presign: string;
  signType?: string;
  receivedSign?: string;
  expectedSign: string;
  valid: boolean;
  /** Why it does not match, most certain first. Empty when valid. */
  causes: Cause[];
  /** Things that are wrong or risky whether or not the sign matches. */
  warnings: string[];
}

/** Reads a gateway URL, a form body or a JSON object into byte parameters. */
export function readExplainInput(raw: string | Buffer, charsetOption?: Charset): { params: ByteParams; input: Diagnosis['input']; charset: Charset; charsetSource: Diagnosis['charsetSource'] } {
  const text = (typeof raw === 'string' ? raw : raw.toString('latin1')).trim();
  if (text === '') throw new AlipayError('INVALID_INPUT', 'nothing to explain: give a gateway URL, a form body or a JSON object');
  if (text.startsWith('{')) {
    let obj: unknown;
    try {
      obj = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
    } catch (err) {
      throw new AlipayError('INVALID_INPUT', `the input starts with "{" but is not valid JSON: ${(err as Error).message}`);
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new AlipayError('INVALID_INPUT', 'the JSON input must be an object of string parameters');
    const declared = (obj as Record<string, unknown>)._input_charset;
    const charset = charsetOption ?? (declared === undefined ? 'utf-8' : parseCharset(declared));
    const source = charsetOption ? 'option' : declared === undefined ? 'guessed' : '_input_charset';
    return { params: byteParamsFromStrings(obj as Record<string, unknown>, charset), input: 'json', charset, charsetSource: source };
  }
  let body = Buffer.from(text, 'latin1');
  let input: Diagnosis['input'] = 'form';
  if (/^https?:\/\//i.test(text)) {
    const q = text.indexOf('?');
    if (q < 0) throw new AlipayError('INVALID_INPUT', 'the URL has no query string: there is nothing signed in it');
    body = body.subarray(q + 1);
    const hash = body.indexOf('#');
    if (hash >= 0) body = body.subarray(0, hash);
    input = 'url';
  } else if (!FORM_BODY.test(text)) {
    throw new AlipayError('INVALID_INPUT', 'the input is neither a URL (https://…?…), a form body (name=value&name=value) nor a JSON object ({"name": "value"}): nothing to explain');
  }
  const params = byteParamsFromForm(parseFormBytes(body));
  if (signedNames(params).length === 0) {
    throw new AlipayError('INVALID_INPUT', `the ${input === 'url' ? 'URL\'s query string' : 'form body'} has no parameter that is signed (every one but sign and sign_type, when not empty): nothing to explain`);
  }
  const declared = params.get('_input_charset');
  if (charsetOption) return { params, input, charset: charsetOption, charsetSource: 'option' };
  if (declared) return { params, input, charset: parseCharset(declared.toString('latin1')), charsetSource: '_input_charset' };
  const allUtf8 = [...params.values()].every((v) => isValidUtf8(v));
  return { params, input, charset: allUtf8 ? 'utf-8' : 'gbk', charsetSource: 'guessed' };
}

/** name=value pairs joined by &, names without spaces: what a form body or a query string looks like. */
const FORM_BODY = /^[^\s=&]+=[^&]*(&[^\s=&]+=[^&]*)*&?$/;

type Variant = { code: Cause['code']; message: string; presign: Buffer; key?: string };

/** Explains the signature of `raw` (URL, form body or JSON) under `key`. */
export function explain(raw: string | Buffer, key: string, charsetOption?: Charset): Diagnosis {
  if (typeof key !== 'string' || key === '') throw new AlipayError('INVALID_INPUT', 'a key is needed to explain a signature', 'key');
  const { params, input, charset, charsetSource } = readExplainInput(raw, charsetOption);
  const presign = presignBytes(params);
  const expectedSign = md5Hex(presign, key, charset);
  const receivedSign = params.get('sign')?.toString('latin1');
  const signType = params.get('sign_type')?.toString('latin1');
  const warnings = warningsFor(params, key, charset, input, charsetSource);
  const valid = receivedSign === expectedSign && signType === 'MD5';
  const causes: Cause[] = [];

  if (receivedSign !== undefined && receivedSign !== expectedSign) {
    if (receivedSign.toLowerCase() === expectedSign) {
      causes.push({ code: 'uppercase_sign', message: 'the sign is right but in upper case: Alipay signs and compares lowercase hex' });
    }
    for (const v of variants(params, key, charset)) {
      // Several variants of one mistake can reproduce the sign (both URL-encodings of a plain value): say it once.
      if (causes.some((c) => c.code === v.code)) continue;
      if (md5Hex(v.presign, v.key ?? key, charset) === receivedSign) causes.push({ code: v.code, message: v.message });
    }
    if (causes.length === 0) {
      causes.push({
        code: 'wrong_key_or_changed_value',
        message: 'no common mistake reproduces the received sign: the key differs from the signer\'s, or a value was changed after signing (re-encoded by a proxy, trimmed, HTML-escaped in a template). Compare the presign (see `alipay explain`) with the signer\'s, byte for byte.',
      });
    }
  }
  return {
    input, charset, charsetSource, presign: safeDecode(presign, charset), expectedSign, valid, causes, warnings,
    ...(signType === undefined ? {} : { signType }),
    ...(receivedSign === undefined ? {} : { receivedSign }),
  };
}

function safeDecode(bytes: Buffer, charset: Charset): string {
  try {
    return decodeText(bytes, charset);
  } catch {
    return bytes.toString('latin1');
  }
}

function withValues(params: ByteParams, change: (name: string, value: Buffer) => Buffer | undefined): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [k, v] of params) {
    const c = change(k, v);
    if (c !== undefined) out.set(k, c);
  }
  return out;
}

function* variants(params: ByteParams, key: string, charset: Charset): Generator<Variant> {
  const other: Charset = charset === 'utf-8' ? 'gbk' : 'utf-8';
  try {
    const reencoded = withValues(params, (_k, v) => encodeText(decodeText(v, charset), other));
    yield {
      code: 'wrong_charset',
      message: `the signer hashed the ${other.toUpperCase()} bytes of the text while the message is ${charset.toUpperCase()}: sign in the charset named by _input_charset, and for POSTs put _input_charset in the gateway URL's query string`,
      presign: presignBytes(reencoded),
    };
  } catch {
    // text with no representation in the other charset cannot have been signed in it
  }
  const signedWithType = [...signedNames(params), ...(params.get('sign_type')?.length ? ['sign_type'] : [])].sort();
  yield { code: 'sign_type_signed', message: 'the signer included sign_type in the signed string: leave out both sign and sign_type', presign: presignBytes(params, signedWithType) };
  const withEmpty = [...params.keys()].filter((k) => !UNSIGNED_PARAMS.has(k)).sort();
  if (withEmpty.length !== signedNames(params).length) {
    yield { code: 'empty_values_signed', message: 'the signer kept parameters with empty values ("k="): leave out every parameter whose value is empty', presign: presignBytes(params, withEmpty) };
  }
  yield {
    code: 'url_encoded_before_signing',
    message: 'the signer URL-encoded the values before signing: sign the raw values, and URL-encode only for transport',
    presign: presignBytes(withValues(params, (_k, v) => Buffer.from(percentEncodeBytes(v), 'latin1'))),
  };
  yield {
    code: 'url_encoded_before_signing',
    message: 'the signer URL-encoded the values (encodeURIComponent style) before signing: sign the raw values',
    presign: presignBytes(withValues(params, (_k, v) => Buffer.from(encodeURIComponent(safeDecode(v, charset)), 'latin1'))),
  };
  if (/\s/.test(key) && key.trim() !== key) {
    yield { code: 'key_whitespace', message: 'the key you gave has leading/trailing whitespace and the signer used it without: remove the whitespace from your configuration', presign: presignBytes(params), key: key.trim() };
  }
  // The other way round: the signer's copy of the key (or of the partner id) carries the whitespace, typically a
  // newline read from a file or a space pasted from the Alipay page, and the value sent was trimmed.
  for (const [label, spelled] of whitespaceSpellings(key.trim())) {
    if (spelled === key) continue;
    yield { code: 'key_whitespace', message: `the signer's key has ${label}: trim the key where the signer reads it (a newline from a file or a pasted space is hashed too)`, presign: presignBytes(params), key: spelled };
  }
  const partner = params.get('partner')?.toString('latin1');
  if (partner) {
    for (const [label, spelled] of whitespaceSpellings(partner.trim())) {
      if (spelled === partner) continue;
      yield {
        code: 'partner_whitespace',
        message: `the signer signed partner with ${label} but sent it without: trim the partner id in the signer's configuration`,
        presign: presignBytes(withValues(params, (k, v) => (k === 'partner' ? Buffer.from(spelled, 'latin1') : v))),
      };
    }
  }
  for (const [name, value] of params) {
    const text = value.toString('latin1');
    for (const alt of amountSpellings(text)) {
      yield {
        code: 'amount_formatting',
        message: `${name} was signed as "${alt}" but sent as "${text}": format amounts once, as fixed two-decimal strings ("${twoDecimals(text)}"), never from a float`,
        presign: presignBytes(withValues(params, (k, v) => (k === name ? Buffer.from(alt, 'latin1') : v))),
      };
    }
    if (/&(amp|lt|gt|quot|#39);/.test(text)) {
      const unescaped = text.replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'");
      yield {
        code: 'html_escaped', message: `${name} arrived HTML-escaped ("${text}"): the form template escaped it twice; escape exactly once so the browser submits the signed value`,
        presign: presignBytes(withValues(params, (k, v) => (k === name ? Buffer.from(unescaped, 'latin1') : v))),
      };
    }
  }
  for (const name of ['notify_id', '_input_charset', 'notify_url', 'return_url']) {
    if (!params.get(name)?.length) continue;
    yield {
      code: 'param_left_out',
      message: `the signer left ${name} out of the signed string: every parameter except sign and sign_type is signed`,
      presign: presignBytes(withValues(params, (k, v) => (k === name ? undefined : v))),
    };
  }
}

/** The ways whitespace usually sticks to a pasted or file-read value, with words for each. */
function whitespaceSpellings(value: string): [string, string][] {
  return [
    ['a trailing newline', `${value}\n`], ['a trailing CR LF', `${value}\r\n`], ['a trailing space', `${value} `],
    ['a trailing tab', `${value}\t`], ['a leading space', ` ${value}`], ['a leading newline', `\n${value}`],
  ];
}

const AMOUNT_LIKE = /^-?\d+(\.\d+)?$/;
function amountSpellings(text: string): string[] {
  if (!AMOUNT_LIKE.test(text) || text.length > 16) return [];
  const n = Number(text);
  const spellings = [n.toFixed(2), n.toFixed(1), String(n), n.toFixed(0)];
  return [...new Set(spellings)].filter((s) => s !== text && Number(s) === n);
}
const twoDecimals = (text: string) => Number(text).toFixed(2);

function warningsFor(params: ByteParams, key: string, charset: Charset, input: Diagnosis['input'], charsetSource: Diagnosis['charsetSource']): string[] {
  const w: string[] = [];
  if (key.trim() !== key) w.push('the key has leading or trailing whitespace: Alipay hashes the key byte for byte');
  else if (!/^[0-9A-Za-z]{32}$/.test(key)) w.push(`the key is ${key.length} characters long; an Alipay MD5 key is 32 letters and digits`);
  const partner = params.get('partner')?.toString('latin1');
  if (partner !== undefined) {
    if (partner.trim() !== partner) w.push('partner has leading or trailing whitespace: Alipay answers ILLEGAL_PARTNER');
    else if (partner.includes('@')) w.push('partner is an email address: use the 16-digit partner id starting with 2088 (ILLEGAL_PARTNER)');
    else if (!/^2088\d{12}$/.test(partner)) w.push(`partner "${partner}" is not 16 digits starting with 2088 (ILLEGAL_PARTNER)`);
  }
  const signType = params.get('sign_type')?.toString('latin1');
  if (params.has('sign') && signType === undefined) w.push('sign_type is missing: send sign_type=MD5');
  else if (signType !== undefined && signType !== 'MD5') w.push(`sign_type "${signType}" is not "MD5" (upper case): Alipay answers ILLEGAL_SIGN_TYPE, and we refuse it on notifications`);
  if (!params.has('sign')) w.push('there is no sign parameter: nothing to compare');
  if (input !== 'json' && charsetSource === 'guessed' && params.has('service')) {
    w.push('_input_charset is missing: Alipay then guesses the charset and Chinese text fails with ILLEGAL_SIGN');
  }
  for (const name of ['total_fee', 'price', 'logistics_fee']) {
    const v = params.get(name)?.toString('latin1');
    if (v !== undefined && !/^\d+\.\d{2}$/.test(v)) w.push(`${name} "${v}" is not a two-decimal amount ("${AMOUNT_LIKE.test(v) ? twoDecimals(v) : '0.01'}"): float formatting such as "1000.0" is a classic cause of ILLEGAL_SIGN`);
  }
  if (charset === 'utf-8' && [...params.values()].some((v) => !isValidUtf8(v))) {
    w.push('some values are not valid UTF-8 although the charset is utf-8: the message is probably GBK');
  }
  return w;
}

/** The diagnosis as text for a person. Never contains the key. */
export function formatDiagnosis(d: Diagnosis): string {
  const lines = [
    `input:          ${d.input}, charset ${d.charset} (${d.charsetSource === 'option' ? 'from --charset' : d.charsetSource === '_input_charset' ? 'from _input_charset' : 'guessed'})`,
    `presign:        ${d.presign}`,
    `hashed:         presign + <key, redacted> as ${d.charset} bytes`,
    `sign_type:      ${d.signType ?? '(missing)'}`,
    `expected sign:  ${d.expectedSign}`,
    `received sign:  ${d.receivedSign ?? '(missing)'}`,
    `result:         ${d.valid ? 'VALID' : d.receivedSign === undefined ? 'UNSIGNED' : d.receivedSign === d.expectedSign ? 'SIGN MATCHES, BUT sign_type IS NOT "MD5"' : 'MISMATCH'}`,
  ];
  if (d.causes.length > 0) {
    lines.push('', 'likely cause:');
    for (const c of d.causes) lines.push(`  - [${c.code}] ${c.message}`);
  }
  if (d.warnings.length > 0) {
    lines.push('', 'warnings:');
    for (const w of d.warnings) lines.push(`  - ${w}`);
  }
  return lines.join('\n');
}
