// What the sandbox charges the buyer, worked out on its own from the protocol doc (§2.2, §2.3, §2.5) rather than with
// the product's chargeableAmounts, so an end-to-end test can catch the product getting the amount wrong.
import { PAYMENT_SERVICES, type PaymentService } from './alipay-rules.ts';
import type { Refusal } from './trades.ts';
import { fenOf, MAX_FEN, MIN_FEN, yuanOf } from './yuan.ts';

const given = (p: Readonly<Record<string, string>>, k: string): boolean => p[k] !== undefined && p[k] !== '';

/**
 * The amount the buyer pays, as a two-decimal string; undefined for a donation that leaves it to the donor.
 * total_fee as given; otherwise price × quantity, and for escrow plus the first logistics option's fee when
 * logistics_payment is BUYER_PAY, plus discount (negative takes money off).
 * The cashier offers no choice of logistics, so the buyer gets the first option.
 */
export function buyerTotal(params: Readonly<Record<string, string>>): string | Refusal | undefined {
  let total: bigint;
  let how: string;
  if (given(params, 'total_fee')) {
    total = fenOf(params.total_fee!);
    how = `total_fee ${params.total_fee}`;
  } else if (given(params, 'price')) {
    total = fenOf(params.price!) * BigInt(params.quantity ?? '1');
    how = `price ${params.price} × quantity ${params.quantity}`;
    const escrow = PAYMENT_SERVICES[params.service as PaymentService].kind === 'escrow';
    if (escrow && params.logistics_payment === 'BUYER_PAY') {
      total += fenOf(params.logistics_fee ?? '0');
      how += ` + logistics_fee ${params.logistics_fee}`;
    }
    if (escrow && given(params, 'discount')) {
      total += fenOf(params.discount!);
      how += ` + discount ${params.discount}`;
    }
  } else {
    return undefined;
  }
  if (total < MIN_FEN) return { refused: `the buyer would pay ${yuanOf(total)} (${how}): below the minimum ${yuanOf(MIN_FEN)}` };
  if (total > MAX_FEN) return { refused: `the buyer would pay ${yuanOf(total)} (${how}): above the maximum ${yuanOf(MAX_FEN)}` };
  return yuanOf(total);
}
