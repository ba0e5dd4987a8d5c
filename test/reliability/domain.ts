// The pure path for the bulk of the reordering runs: the order create-payment would store, the events the notify path
// would read from the signed messages, and decide() applied as the store applies it. No I/O: thousands of runs a second.
import { receiveMessage } from '../../shared/alipay/receive.ts';
import type { ServiceName } from '../../shared/alipay/services.ts';
import { decide } from '../../shared/orders/decide.ts';
import type { Order, TradeEvent } from '../../shared/orders/order.ts';
import { createPayment } from '../../shared/payments/create-payment.ts';
import type { PaymentStore } from '../../shared/payments/store-port.ts';
import { eventFromMessage } from '../../shared/payments/trade-events.ts';
import { TEST_KEY, TEST_PARTNER } from '../support/alipay-messages.ts';
import { newOutTradeNo, paymentExample } from '../support/payments.ts';
import type { TradePlan } from './lifecycles.ts';

const ACCOUNT = {
  partner: TEST_PARTNER, key: TEST_KEY, sellerId: TEST_PARTNER, charset: 'utf-8' as const,
  gatewayUrl: 'https://mapi.alipay.com/gateway.do',
  notifyUrl: 'https://shop.example.com/alipay/notify', returnUrl: 'https://shop.example.com/alipay/return',
};

/** The order POST /payments would store for `service`, and the amount the buyer pays. */
export async function domainOrder(service: ServiceName): Promise<{ order: Order; paidFee: string }> {
  const example = paymentExample(service, { outTradeNo: newOutTradeNo('D') });
  let stored: Order | undefined;
  const store = { createOrder: async (o: Order) => ((stored = o), { created: true as const }) } as unknown as PaymentStore;
  await createPayment({ store, account: ACCOUNT, now: () => '2026-11-24T00:00:00.000Z' }, example.body);
  return { order: stored!, paidFee: example.paidFee };
}

/** Each planned notification as the notify path reads it: bytes, signature, then the event. */
export function domainEvents(plan: TradePlan): TradeEvent[] {
  return plan.notifications.map((n, i) => {
    const received = receiveMessage(n.message.bytes, TEST_KEY, 'utf-8');
    if (!received.ok) throw new Error(`planned notification ${i} does not verify: ${received.detail}`);
    const read = eventFromMessage(received.message, 'notify', `2026-11-24T01:00:${String(i).padStart(2, '0')}.000Z`);
    if (!read.ok) throw new Error(`planned notification ${i} is not an event: ${read.problem}`);
    return read.event;
  });
}

/** The events in `order` through decide(), each next order written as the store writes it; duplicates of an event id are answered as recorded. */
export function applyInOrder(start: Order, events: readonly TradeEvent[]): Order {
  let current = start;
  const recorded = new Set<string>();
  for (const event of events) {
    if (recorded.has(event.eventId)) continue; // the event record exists: `success` without deciding again
    recorded.add(event.eventId);
    const d = decide(current, event, { partner: TEST_PARTNER });
    if ((d.outcome === 'applied' || d.outcome === 'anomaly') && d.next) current = d.next;
  }
  return current;
}
