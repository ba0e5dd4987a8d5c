// The legacy MD5 signature as the protocol doc states it (§1), over bytes: drop sign, sign_type and empty values, sort
// the names in byte order, join the raw values as k=v&k=v, append the key, MD5, lowercase hex.
import { createHash, timingSafeEqual } from 'node:crypto';
import { type Charset, encodeText } from './alipay-charset.ts';

/** Parameter name (its bytes read as Latin-1) → value bytes, as received or as they will be sent. */
export type ByteParams = ReadonlyMap<string, Buffer>;

const UNSIGNED = new Set(['sign', 'sign_type']);

const nameBytes = (name: string): Buffer => Buffer.from(name, 'latin1');

/** The bytes that are hashed before the key. */
export function presign(params: ByteParams): Buffer {
  const names = [...params.keys()]
    .filter((name) => !UNSIGNED.has(name) && params.get(name)!.length > 0)
    .sort((a, b) => Buffer.compare(nameBytes(a), nameBytes(b)));
  const parts = names.map((name) => Buffer.concat([nameBytes(name), Buffer.from('='), params.get(name)!]));
  return Buffer.concat(parts.flatMap((part, i) => (i === 0 ? [part] : [Buffer.from('&'), part])));
}

/** md5(presign + key). Keys are ASCII letters and digits (§7), the same bytes in either charset. */
export function md5Sign(params: ByteParams, key: string): string {
  return createHash('md5').update(presign(params)).update(key, 'latin1').digest('hex');
}

/** Text fields as bytes in the charset, ready to sign or to check. */
export function byteParams(fields: Iterable<readonly [string, string]>, charset: Charset): Map<string, Buffer> {
  return new Map([...fields].map(([name, value]) => [name, encodeText(value, charset)]));
}

/** The sign of text fields sent in `charset`. */
export const signText = (fields: Iterable<readonly [string, string]>, key: string, charset: Charset): string =>
  md5Sign(byteParams(fields, charset), key);

/** Why `sign` does not match the parameters and key, or undefined when it does. Compared in constant time. */
export function signProblem(params: ByteParams, key: string): string | undefined {
  const received = params.get('sign');
  if (received === undefined || received.length === 0) return 'the request has no sign';
  const expected = Buffer.from(md5Sign(params, key), 'latin1');
  // The length of a sign is no secret (always 32); only the comparison of the bytes must not leak.
  const same = received.length === expected.length && timingSafeEqual(received, expected);
  return same ? undefined : 'sign does not match the parameters and the partner\'s key (lowercase hex expected)';
}
