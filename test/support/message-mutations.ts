// fast-check arbitraries that take genuine signed notify bodies / return query strings and mutate them the ways an
// attacker, a broken proxy or a confused library would: parameters dropped, given twice, reordered or changed after
// signing; values re-encoded (GBK/UTF-8, double percent-encoding, "+" vs "%20", raw bytes); sign and sign_type
// altered; bytes flipped, inserted, deleted. Each mutation carries a description, so a failing case reads as steps.
import fc from 'fast-check';
import iconv from 'iconv-lite';

/** A genuine message to start from, and values worth splicing into others (another order's out_trade_no, …). */
export interface Seed {
  label: string;
  /** The body or query string as sent (ASCII, non-ASCII bytes percent-encoded). */
  encoded: string;
}

/** One `name=value` segment exactly as on the wire (still percent-encoded), its bytes as Latin-1 text. */
type Pair = [name: string, value: string];

interface Step<T> {
  what: string;
  apply(input: T): T;
}

export interface MutatedMessage {
  seed: number;
  seedLabel: string;
  steps: string[];
  body: Buffer;
}

/** The seed, the steps, and the start of the resulting bytes: enough to rebuild the case by hand. */
export const describeMutant = (m: MutatedMessage): string =>
  `seed ${m.seed} (${m.seedLabel}), ${m.steps.length === 0 ? 'unchanged' : m.steps.join(', then ')}: ${m.body.toString('latin1').slice(0, 300)}`;

const described = <T>(what: string, apply: (input: T) => T): Step<T> => ({ what, apply });

const pairsOf = (encoded: string): Pair[] =>
  encoded.split('&').filter((s) => s !== '').map((s) => {
    const eq = s.indexOf('=');
    return eq < 0 ? [s, ''] : [s.slice(0, eq), s.slice(eq + 1)];
  });
const bodyOf = (pairs: readonly Pair[]): string => pairs.map(([n, v]) => `${n}=${v}`).join('&');

const HEX = '0123456789ABCDEF';
const pct = (b: number, lower = false): string => `%${lower ? HEX[b >> 4]!.toLowerCase() + HEX[b & 15]!.toLowerCase() : HEX[b >> 4]! + HEX[b & 15]!}`;
const UNRESERVED = /[A-Za-z0-9*\-._]/;

/** Percent-decodes leniently (a broken escape stays as it is): mutations work on whatever they are given. */
function bytesOf(raw: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (raw[i] === '+') out.push(0x20);
    else if (raw[i] === '%' && /^[0-9A-Fa-f]{2}$/.test(raw.slice(i + 1, i + 3))) {
      out.push(parseInt(raw.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(c & 0xff);
  }
  return Buffer.from(out);
}

/** Form encoding of bytes as a browser does it: unreserved as themselves, space as "+", the rest %XX. */
function formEncode(bytes: Buffer): string {
  let out = '';
  for (const b of bytes) out += b === 0x20 ? '+' : UNRESERVED.test(String.fromCharCode(b)) ? String.fromCharCode(b) : pct(b);
  return out;
}

const isUtf8 = (bytes: Buffer): boolean => {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
};

/** Re-encodings of one raw value. The first five keep the bytes (so the sign still holds); the others change them. */
const VALUE_ENCODINGS: [string, (raw: string) => string][] = [
  ['every byte percent-encoded', (raw) => [...bytesOf(raw)].map((b) => pct(b)).join('')],
  ['lower-case hex escapes', (raw) => raw.replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase())],
  ['"+" written as "%20"', (raw) => raw.replace(/\+/g, '%20')],
  ['"%20" written as "+"', (raw) => raw.replace(/%20/g, '+')],
  ['bytes >= 0x80 sent raw, unescaped', (raw) => raw.replace(/%([89A-Fa-f][0-9A-Fa-f])/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))],
  ['double percent-encoded', (raw) => raw.replace(/%/g, '%25')],
  ['decoded once more (a proxy that decodes)', (raw) => formEncode(bytesOf(bytesOf(raw).toString('latin1')))],
  ['re-encoded from UTF-8 to GBK', (raw) => {
    const bytes = bytesOf(raw);
    return isUtf8(bytes) ? formEncode(iconv.encode(bytes.toString('utf8'), 'gbk')) : raw;
  }],
  ['re-encoded from GBK to UTF-8', (raw) => formEncode(Buffer.from(iconv.decode(bytesOf(raw), 'gbk'), 'utf8'))],
  ['read as Latin-1 and sent as UTF-8 (mojibake)', (raw) => formEncode(Buffer.from(bytesOf(raw).toString('latin1'), 'utf8'))],
  ['"%" left unescaped', (raw) => raw.replace(/%25/g, '%')],
  ['"+" meant literally (%2B)', (raw) => raw.replace(/\+/g, '%2B')],
];

/** Values someone would put in a message they did not sign (raw, already form-encoded). */
const TAMPERED_VALUES: Record<string, string[]> = {
  total_fee: ['0.01', '88.89', '8888', '88.880', '-88.88', '88%2C88', '+88.88', '1e2', '0', ''],
  trade_status: ['TRADE_FINISHED', 'TRADE_CLOSED', 'WAIT_BUYER_PAY', 'WAIT_SELLER_SEND_GOODS', 'trade_success', 'TRADE_SUCCESS+', ''],
  seller_id: ['2088999999999999', '20881015683581710', ''],
  seller_email: ['attacker%40example.com'],
  partner: ['2088999999999999', '2088101568358171'],
  trade_no: ['2026FORGEDTRADE0000000001', 'x'.repeat(100)],
  notify_id: ['f'.repeat(34), 'N'.repeat(300), '%2F%2B%3D', ''],
  out_trade_no: ['NO-SUCH-ORDER', 'x'.repeat(65), '%E4%B8%AD', ''],
  refund_status: ['REFUND_SUCCESS', 'WAIT_SELLER_AGREE'],
  use_coupon: ['Y', 'T'],
  discount: ['-88.87', '-0.01', '88.88'],
  is_success: ['F', 'T'],
  _input_charset: ['gbk', 'utf-8', 'big5', ''],
  notify_time: ['2000-01-01+00%3A00%3A00', '2999-01-01+00%3A00%3A00', 'yesterday'],
  subject: ['Tea%26trade_status%3DTRADE_FINISHED', 'Tea&trade_status=TRADE_FINISHED', '%3Cscript%3Ealert(1)%3C%2Fscript%3E'],
};

const SIGN_CHANGES: [string, (sign: string) => string][] = [
  ['upper case', (s) => s.toUpperCase()],
  ['first letter upper case', (s) => s.replace(/[a-f]/, (c) => c.toUpperCase())],
  ['one hex digit changed', (s) => s.slice(0, 31) + (s[31] === '0' ? '1' : '0')],
  ['31 characters', (s) => s.slice(1)],
  ['33 characters', (s) => `${s}0`],
  ['padded with a space', (s) => `${s}+`],
  ['percent-encoded', (s) => [...s].map((c) => pct(c.charCodeAt(0))).join('')], // the same bytes: still valid
  ['empty', () => ''],
  ['all zeros', () => '0'.repeat(32)],
];

const SIGN_TYPES = ['md5', 'Md5', 'RSA', 'DSA', 'HMAC-SHA256', '', 'MD5+', '+MD5', 'MD5%00', '%4D%44%35' /* "MD5", encoded: valid */];

/** Bytes worth inserting: the form's own delimiters, a NUL, invalid UTF-8 and GBK lead bytes. */
const SPECIAL_BYTES = [0x26, 0x3d, 0x25, 0x2b, 0x23, 0x00, 0x0a, 0xff, 0x81, 0xc3];

function paramSteps(seeds: readonly Seed[]): fc.Arbitrary<Step<Pair[]>> {
  const at = (pairs: Pair[], i: number): number => i % Math.max(pairs.length, 1);
  const signOf = (s: Seed) => pairsOf(s.encoded).find(([n]) => n === 'sign')?.[1] ?? '';
  const spliceable = (name: string): string[] => [
    ...(TAMPERED_VALUES[name] ?? []),
    ...seeds.map((s) => pairsOf(s.encoded).find(([n]) => n === name)?.[1]).filter((v): v is string => v !== undefined),
  ];
  const names = [...new Set([...Object.keys(TAMPERED_VALUES), ...seeds.flatMap((s) => pairsOf(s.encoded).map(([n]) => n))])];

  // Mutations that keep the signed content (reordering, an empty parameter, a name written differently) are rarer:
  // every validly signed mutant costs DynamoDB calls, the others none.
  const rare = <T>(arbitrary: fc.Arbitrary<T>) => ({ weight: 1, arbitrary });
  const common = <T>(arbitrary: fc.Arbitrary<T>) => ({ weight: 6, arbitrary });
  return fc.oneof(
    rare(fc.array(fc.nat(), { minLength: 2, maxLength: 40 }).map((keys) => described<Pair[]>('parameters reordered', (pairs) =>
      pairs.map((p, i) => [keys[i % keys.length]! * 100 + i, p] as const).sort((x, y) => x[0] - y[0]).map(([, p]) => p)))),
    common(fc.nat().map((i) => described<Pair[]>(`parameter #${i} dropped`, (pairs) => pairs.filter((_, j) => j !== at(pairs, i))))),
    common(fc.nat().map((i) => described<Pair[]>(`parameter #${i} given twice`, (pairs) => [...pairs, pairs[at(pairs, i)] ?? ['x', '1']]))),
    common(fc.constantFrom(...names).chain((name) => fc.constantFrom(...spliceable(name), '').map((value) =>
      described<Pair[]>(`${name} set to "${value.slice(0, 40)}"`, (pairs) =>
        pairs.some(([n]) => n === name) ? pairs.map(([n, v]) => [n, n === name ? value : v]) : [...pairs, [name, value]])))),
    common(fc.tuple(fc.constantFrom(...names), fc.constantFrom(...names.flatMap(spliceable)), fc.boolean()).map(([name, value, first]) =>
      described<Pair[]>(`${name}="${value.slice(0, 40)}" added ${first ? 'first' : 'last'}`, (pairs) => (first ? [[name, value], ...pairs] : [...pairs, [name, value]])))),
    rare(fc.string({ unit: fc.constantFrom('a', 'z', '_', '1', 'X'), minLength: 1, maxLength: 8 }).map((name) =>
      described<Pair[]>(`an unknown empty parameter "${name}" added`, (pairs) => [...pairs, [name, '']]))),
    common(fc.constantFrom(...SIGN_CHANGES).map(([what, change]) => described<Pair[]>(`sign ${what}`, (pairs) => pairs.map(([n, v]) => [n, n === 'sign' ? change(v) : v])))),
    common(fc.constantFrom(...seeds.map((s, i) => [i, signOf(s)] as const)).map(([i, sign]) =>
      described<Pair[]>(`sign taken from seed ${i}`, (pairs) => pairs.map(([n, v]) => [n, n === 'sign' ? sign : v])))),
    common(fc.constantFrom(...SIGN_TYPES).map((t) => described<Pair[]>(`sign_type "${t}"`, (pairs) => pairs.map(([n, v]) => [n, n === 'sign_type' ? t : v])))),
    common(fc.tuple(fc.nat(), fc.constantFrom(...VALUE_ENCODINGS)).map(([i, [what, encode]]) =>
      described<Pair[]>(`value #${i} ${what}`, (pairs) => pairs.map(([n, v], j) => [n, j === at(pairs, i) ? encode(v) : v])))),
    rare(fc.tuple(fc.nat(), fc.constantFrom(...VALUE_ENCODINGS.slice(0, 2))).map(([i, [what, encode]]) =>
      described<Pair[]>(`name #${i} ${what}`, (pairs) => pairs.map(([n, v], j) => [j === at(pairs, i) ? encode(n) : n, v])))),
    common(fc.nat().map((i) => described<Pair[]>(`name #${i} in upper case`, (pairs) => pairs.map(([n, v], j) => [j === at(pairs, i) ? n.toUpperCase() : n, v])))),
    common(fc.tuple(fc.nat(), fc.constantFrom('%26trade_status%3DTRADE_FINISHED', '&trade_status=TRADE_FINISHED', '%26total_fee%3D0.01%26zz%3D', '%3D', '&', '='))
      .map(([i, tail]) => described<Pair[]>(`"${tail}" appended to value #${i} (re-split)`, (pairs) => pairs.map(([n, v], j) => [n, j === at(pairs, i) ? v + tail : v])))),
    common(fc.tuple(fc.nat(), fc.nat()).map(([i, j]) => described<Pair[]>(`values #${i} and #${j} swapped`, (pairs) => {
      const x = at(pairs, i);
      const y = at(pairs, j);
      return pairs.map(([n, v], k) => [n, k === x ? pairs[y]![1] : k === y ? pairs[x]![1] : v]);
    }))),
    common(fc.nat().map((i) => described<Pair[]>(`"=" dropped from parameter #${i}`, (pairs) => pairs.map(([n, v], j) => (j === at(pairs, i) ? [`${n}${v}`, ''] : [n, v]))))),
  );
}

function byteSteps(): fc.Arbitrary<Step<Buffer>> {
  const at = (bytes: Buffer, i: number): number => i % Math.max(bytes.length, 1);
  return fc.oneof(
    fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })).map(([i, bit]) => described<Buffer>(`bit ${bit} of byte #${i} flipped`, (bytes) => {
      const copy = Buffer.from(bytes);
      if (copy.length > 0) copy[at(copy, i)] = copy[at(copy, i)]! ^ (1 << bit);
      return copy;
    })),
    fc.tuple(fc.nat(), fc.oneof(fc.constantFrom(...SPECIAL_BYTES), fc.integer({ min: 0, max: 255 }))).map(([i, b]) =>
      described<Buffer>(`byte 0x${b.toString(16)} inserted at #${i}`, (bytes) => {
        const p = at(bytes, i);
        return Buffer.concat([bytes.subarray(0, p), Buffer.from([b]), bytes.subarray(p)]);
      })),
    fc.nat().map((i) => described<Buffer>(`byte #${i} deleted`, (bytes) => {
      const p = at(bytes, i);
      return Buffer.concat([bytes.subarray(0, p), bytes.subarray(p + 1)]);
    })),
    fc.nat().map((i) => described<Buffer>(`cut at byte #${i}`, (bytes) => bytes.subarray(0, at(bytes, i)))),
    fc.tuple(fc.nat(), fc.integer({ min: 1, max: 64 })).map(([i, n]) => described<Buffer>(`${n} bytes from #${i} repeated`, (bytes) => {
      const p = at(bytes, i);
      return Buffer.concat([bytes.subarray(0, p + n), bytes.subarray(p)]);
    })),
  );
}

/**
 * A genuine message from `seeds`, then 1-3 parameter-level and 0-2 byte-level mutations, never the seed unchanged.
 * Some mutants keep a valid sign (reordered, re-encoded with the same bytes, an empty parameter added): the fuzz test
 * needs both kinds.
 */
export function mutatedMessage(seeds: readonly Seed[]): fc.Arbitrary<MutatedMessage> {
  return fc.record({
    seed: fc.nat({ max: seeds.length - 1 }),
    params: fc.array(paramSteps(seeds), { minLength: 1, maxLength: 3 }),
    bytes: fc.oneof(fc.constant([] as Step<Buffer>[]), fc.array(byteSteps(), { minLength: 1, maxLength: 2 })),
  }).map(({ seed, params, bytes }) => {
    const pairs = params.reduce((p, step) => step.apply(p), pairsOf(seeds[seed]!.encoded));
    const body = bytes.reduce<Buffer>((b, step) => step.apply(b), Buffer.from(bodyOf(pairs), 'latin1'));
    const mutant: MutatedMessage = { seed, seedLabel: seeds[seed]!.label, steps: [...params, ...bytes].map((s) => s.what), body };
    return Object.assign(mutant, { [fc.toStringMethod]: () => describeMutant(mutant) });
  }).filter((m) => m.body.toString('latin1') !== seeds[m.seed]!.encoded); // a step that changed nothing (a value set to itself)
}
