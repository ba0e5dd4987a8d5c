// The storefront API takes its documented names only: any other key is refused, named as the caller wrote it, with
// the documented name it most likely meant (out_trade_no → outTradeNo, subjct → subject).
import { AlipayError } from '../alipay/errors.ts';

const normal = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Levenshtein distance, for typos; names are short. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

/** The known name `name` most likely means: the same letters in another case or spelling (snake_case), or a typo away. */
export function closestName(name: string, known: readonly string[]): string | undefined {
  const n = normal(name);
  if (n === '') return undefined;
  const same = known.find((k) => normal(k) === n);
  if (same !== undefined) return same;
  let best: { name: string; d: number } | undefined;
  for (const k of known) {
    const d = distance(n, normal(k));
    if (d <= Math.min(2, Math.floor(n.length / 3)) && (best === undefined || d < best.d)) best = { name: k, d };
  }
  return best?.name;
}

/** A name as a message shows it: quoted when it is empty or holds blanks or control characters. */
export const shownName = (name: string): string => (/^[\x21-\x7e]+$/.test(name) ? name : JSON.stringify(name));

/**
 * Throws UNKNOWN_PARAMETER naming every key of `body` not in `known` (the error's field is the first of them), each
 * with its likely meaning: `note(name)` when it has one, else the closest known name.
 */
export function refuseUnknownFields(
  body: Readonly<Record<string, unknown>>,
  known: readonly string[],
  what: string,
  opts: { tail?: string; note?: (name: string) => string | undefined } = {},
): void {
  const unknown = Object.keys(body).filter((k) => !known.includes(k));
  if (unknown.length === 0) return;
  const listed = unknown.map((name) => {
    const note = opts.note?.(name);
    const hint = note ?? (closestName(name, known) === undefined ? undefined : `did you mean ${closestName(name, known)}?`);
    return `${shownName(name)}${hint === undefined ? '' : ` (${hint})`}`;
  });
  const subject = unknown.length === 1 ? `${listed[0]} is not a field` : `${listed.join(', ')} are not fields`;
  throw new AlipayError('UNKNOWN_PARAMETER', `${subject} of ${what}${opts.tail ?? ''}`, unknown[0]);
}
