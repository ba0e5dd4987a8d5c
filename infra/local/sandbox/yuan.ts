// Amounts as the protocol doc states them (§2.5): yuan with at most 2 decimals, paid amounts within
// [0.01, 100000000.00]. Inside, integer fen as BigInt, so no product of price and quantity can overflow.

/** The written form of an amount; a discount may carry a minus sign. */
export const YUAN = /^(-?)(\d+)(?:\.(\d{1,2}))?$/;

export const MIN_FEN = 1n; // 0.01
export const MAX_FEN = 10_000_000_000n; // 100000000.00

/** A yuan string as fen; throws for anything that is not written as YUAN. */
export function fenOf(yuan: string): bigint {
  const m = YUAN.exec(yuan);
  if (!m) throw new Error(`"${yuan}" is not a yuan amount`);
  const fen = BigInt(m[2]!) * 100n + BigInt((m[3] ?? '').padEnd(2, '0'));
  return m[1] ? -fen : fen;
}

/** Fen as the two-decimal yuan string Alipay writes in its notifications (`0.01`, `46.00`). */
export function yuanOf(fen: bigint): string {
  const abs = fen < 0n ? -fen : fen;
  return `${fen < 0n ? '-' : ''}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}
