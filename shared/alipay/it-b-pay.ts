// it_b_pay: how long Alipay keeps an unpaid trade open (protocol doc §2.2): 1m–15d in m/h/d, or 1c (until midnight).
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const BEIJING_MS = 8 * 3_600_000;

/**
 * When an unpaid trade created at `createdAt` (ISO) stops being payable: per its it_b_pay, or `defaultMs` after
 * creation when the request had none (or one we cannot read).
 */
export function unpaidDeadline(createdAt: string, itBPay: string | undefined, defaultMs: number): string {
  const created = Date.parse(createdAt);
  if (itBPay === '1c') {
    // "1c": closed at 0:00 (Beijing) after the day it was created.
    const beijingDay = Math.floor((created + BEIJING_MS) / UNIT_MS.d);
    return new Date((beijingDay + 1) * UNIT_MS.d - BEIJING_MS).toISOString();
  }
  const m = /^([1-9]\d*)([mhd])$/.exec(itBPay ?? '');
  const ms = m ? Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] : defaultMs;
  return new Date(created + ms).toISOString();
}
