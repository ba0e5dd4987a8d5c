// Storefront requests for each service, with the amount Alipay would then report as paid.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Charset } from '../../shared/alipay/charset.ts';
import type { ServiceName } from '../../shared/alipay/services.ts';
import { SUBJECT } from './alipay-messages.ts';
import { postPayment } from './api.ts';

export interface PaymentExample {
  body: Record<string, unknown>;
  /** total_fee of the buyer's payment (for escrow with several logistics options: the one the buyer picked). */
  paidFee: string;
  /** What GET /payments/{outTradeNo} reports as totalFee before any notification. */
  totalFeeBeforePayment: string | null;
  kind: 'instant' | 'escrow';
}

export const newOutTradeNo = (prefix = 'T'): string => `${prefix}${Date.now().toString(36)}${randomBytes(5).toString('hex')}`;

/** A valid POST /payments body for `service`. */
export function paymentExample(service: ServiceName, opts: { outTradeNo?: string; charset?: Charset } = {}): PaymentExample {
  const base = {
    service,
    outTradeNo: opts.outTradeNo ?? newOutTradeNo(),
    subject: SUBJECT,
    body: '商品描述 description',
    ...(opts.charset ? { charset: opts.charset } : {}),
  };
  switch (service) {
    case 'create_direct_pay_by_user':
      return {
        body: { ...base, totalFee: '88.88', showUrl: 'https://shop.example.com/items/42?ref=alipay', itBPay: '30m', extraCommonParam: 'cart-42', buyerEmail: 'buyer@example.com' },
        paidFee: '88.88', totalFeeBeforePayment: '88.88', kind: 'instant',
      };
    case 'create_digital_goods_trade_p':
      return { body: { ...base, price: '9.90', quantity: '3' }, paidFee: '29.70', totalFeeBeforePayment: '29.70', kind: 'instant' };
    case 'create_donate_trade_p':
      // The donor picks the amount at the cashier: nothing to compare, the paid amount is recorded.
      return { body: base, paidFee: '66.00', totalFeeBeforePayment: null, kind: 'instant' };
    case 'create_partner_trade_by_buyer':
      return {
        body: { ...base, price: '100.00', quantity: '2', logistics: [{ type: 'EXPRESS', fee: '10.00', payment: 'BUYER_PAY' }] },
        paidFee: '210.00', totalFeeBeforePayment: '210.00', kind: 'escrow',
      };
    case 'trade_create_by_buyer':
      // Two logistics options; the buyer picks POST, paid by the buyer through Alipay.
      return {
        body: {
          ...base, price: '12.50', quantity: '1',
          logistics: [{ type: 'EXPRESS', fee: '0.00', payment: 'SELLER_PAY' }, { type: 'POST', fee: '5.00', payment: 'BUYER_PAY' }],
        },
        paidFee: '17.50', totalFeeBeforePayment: '12.50', kind: 'escrow',
      };
  }
}

/** Creates the order through POST /payments; fails the test unless the answer is 201. */
export async function createOrder(service: ServiceName = 'create_direct_pay_by_user', opts: { charset?: Charset } = {}): Promise<PaymentExample & { outTradeNo: string }> {
  const example = paymentExample(service, opts);
  const res = await postPayment(example.body);
  assert.equal(res.status, 201, `POST /payments answered ${res.status}: ${res.body}`);
  return { ...example, outTradeNo: example.body.outTradeNo as string };
}
