// A verified notification's fields as a domain TradeEvent.
import { type Fen, parseYuan } from '../alipay/amount.ts';
import type { EventSource, TradeEvent } from '../orders/order.ts';

function amount(value: string | undefined, allowNegative = false): Fen | undefined {
  if (value === undefined || value === '') return undefined;
  try {
    return parseYuan(value, 'amount', { min: allowNegative ? undefined : 0, allowNegative });
  } catch {
    return undefined; // an unreadable amount counts as missing: the decision then refuses to mark anything paid
  }
}

const opt = <K extends string>(key: K, value: string | undefined): { [P in K]?: string } =>
  (value === undefined || value === '' ? {} : { [key]: value }) as { [P in K]?: string };

export function tradeEventFromFields(fields: Readonly<Record<string, string>>, source: EventSource, receivedAt: string): TradeEvent {
  const totalFen = amount(fields.total_fee);
  const discountFen = amount(fields.discount, true);
  return {
    source,
    receivedAt,
    outTradeNo: fields.out_trade_no ?? '',
    tradeStatus: fields.trade_status ?? '',
    useCoupon: fields.use_coupon === 'Y' || fields.use_coupon === 'T',
    ...opt('notifyId', fields.notify_id),
    ...opt('tradeNo', fields.trade_no),
    ...opt('refundStatus', fields.refund_status),
    ...opt('gmtRefund', fields.gmt_refund),
    ...opt('sellerId', fields.seller_id),
    ...opt('sellerEmail', fields.seller_email),
    ...opt('partner', fields.partner),
    ...(totalFen === undefined ? {} : { totalFen }),
    ...(discountFen === undefined ? {} : { discountFen }),
  };
}
