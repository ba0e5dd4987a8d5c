// Is this form body validly signed? Answered from the protocol notes (alipay-legacy-protocol.md §1) alone, with none of
// shared/alipay, so a fuzz test can judge the product's verdict instead of repeating it.
import { createHash } from 'node:crypto';

export type OracleVerdict =
  | { signed: true; params: Map<string, Buffer> }
  | { signed: false; why: string; params?: Map<string, Buffer> };

const hex = (b: number): number => (b >= 0x30 && b <= 0x39 ? b - 0x30 : b >= 0x41 && b <= 0x46 ? b - 0x37 : b >= 0x61 && b <= 0x66 ? b - 0x57 : -1);

/** One form component to bytes: `+` is a space, `%XX` a byte; anything else after `%` makes the message unreadable. */
function decode(raw: Buffer): Buffer | undefined {
  const out: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i]!;
    if (b === 0x2b) out.push(0x20);
    else if (b !== 0x25) out.push(b);
    else {
      const hi = hex(raw[i + 1] ?? -1);
      const lo = hex(raw[i + 2] ?? -1);
      if (hi < 0 || lo < 0) return undefined;
      out.push(hi * 16 + lo);
      i += 2;
    }
  }
  return Buffer.from(out);
}

/** Name (bytes as Latin-1) -> value bytes; a name given twice makes the message ambiguous, so not validly signed. */
export function readForm(body: Buffer): { params: Map<string, Buffer> } | { why: string } {
  const params = new Map<string, Buffer>();
  let start = 0;
  while (start <= body.length) {
    let end = body.indexOf(0x26, start);
    if (end < 0) end = body.length;
    if (end > start) {
      const segment = body.subarray(start, end);
      const eq = segment.indexOf(0x3d);
      const name = decode(eq < 0 ? segment : segment.subarray(0, eq));
      const value = decode(eq < 0 ? Buffer.alloc(0) : segment.subarray(eq + 1));
      if (!name || !value) return { why: 'a malformed percent-escape' };
      const key = name.toString('latin1');
      if (params.has(key)) return { why: `"${key}" is given twice` };
      params.set(key, value);
    }
    start = end + 1;
  }
  return { params };
}

/** md5(sorted `k=v` of raw bytes joined by `&`, without sign, sign_type and empty values, then the key) in lowercase hex. */
export function expectedSign(params: ReadonlyMap<string, Buffer>, key: string): string {
  const names = [...params.keys()].filter((k) => k !== 'sign' && k !== 'sign_type' && params.get(k)!.length > 0);
  names.sort((a, b) => Buffer.compare(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1')));
  const md5 = createHash('md5');
  names.forEach((name, i) => md5.update(Buffer.concat([Buffer.from(i === 0 ? '' : '&'), Buffer.from(name, 'latin1'), Buffer.from('='), params.get(name)!])));
  return md5.update(key, 'latin1').digest('hex');
}

/** Validly signed: readable, no name twice, sign_type exactly `MD5`, and sign exactly the lowercase digest. */
export function oracleVerdict(body: Buffer, key: string): OracleVerdict {
  const read = readForm(body);
  if ('why' in read) return { signed: false, why: read.why };
  const { params } = read;
  const sign = params.get('sign')?.toString('latin1');
  if (sign === undefined) return { signed: false, why: 'no sign', params };
  if (params.get('sign_type')?.toString('latin1') !== 'MD5') return { signed: false, why: 'sign_type is not MD5', params };
  if (sign !== expectedSign(params, key)) return { signed: false, why: 'sign does not match', params };
  return { signed: true, params };
}
