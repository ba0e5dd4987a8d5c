// A domain Order for unit tests of the pure domain (decide, order events): an unpaid instant order of 10.00 yuan,
// with whatever fields a test overrides.
import type { Fen } from '../../shared/alipay/amount.ts';
import type { Order } from '../../shared/orders/order.ts';

export const TEST_ORDER_PARTNER = '2088101568358171';

export function anOrder(over: Partial<Order> = {}): Order {
  return {
    outTradeNo: 'T-1', service: 'create_direct_pay_by_user', kind: 'instant', subject: '测试商品',
    amountFen: 1000 as Fen, acceptedAmountsFen: [1000 as Fen], partner: TEST_ORDER_PARTNER, sellerId: TEST_ORDER_PARTNER, charset: 'utf-8',
    status: 'CREATED', version: 1, history: [], anomalies: [], createdAt: '2026-11-24T00:00:00.000Z',
    updatedAt: '2026-11-24T00:00:00.000Z', gatewayParams: {}, ...over,
  };
}
