// XML answers of the server calls (protocol doc §5): single_trade_query, send_goods_confirm_by_platform, close_trade.
import { type Charset, encodeText } from './alipay-charset.ts';
import { signText } from './alipay-md5.ts';
import { escapeMarkup } from './markup.ts';
import { discountOf, type Trade } from './trades.ts';

export interface XmlAnswer {
  body: Buffer;
  contentType: string;
}

function document(inner: string, charset: Charset): XmlAnswer {
  const text = `<?xml version="1.0" encoding="${charset}"?>\n${inner}`;
  let body: Buffer;
  try {
    body = encodeText(text, charset);
  } catch {
    body = Buffer.from(text, 'utf8'); // cannot happen for text that arrived in this charset; never fail an answer over it
  }
  return { body, contentType: `text/xml; charset=${charset}` };
}

const element = (name: string, value: string): string => `<${name}>${escapeMarkup(value)}</${name}>`;

export function errorXml(code: string, charset: Charset): XmlAnswer {
  return document(`<alipay><is_success>F</is_success><error>${escapeMarkup(code)}</error></alipay>`, charset);
}

export function successXml(charset: Charset): XmlAnswer {
  return document('<alipay><is_success>T</is_success></alipay>', charset);
}

/** The `<trade>` children of single_trade_query, alphabetical; booleans are T/F here where notifications use Y/N. */
export function queryTradeFields(trade: Trade): [string, string][] {
  const refunded = trade.refundStatus === 'REFUND_SUCCESS';
  const paid = trade.gmtPayment !== undefined;
  const p = trade.params;
  const fields: Record<string, string | undefined> = {
    body: trade.body,
    buyer_email: trade.buyerEmail,
    buyer_id: trade.buyerId,
    discount: discountOf(trade),
    flag_trade_locked: '0',
    gmt_close: trade.gmtClose,
    gmt_create: trade.gmtCreate,
    gmt_last_modified_time: trade.history.at(-1)?.at,
    gmt_payment: trade.gmtPayment,
    gmt_refund: trade.gmtRefund,
    gmt_send_goods: trade.gmtSendGoods,
    is_total_fee_adjust: 'F',
    logistics_fee: trade.logistics?.fee,
    logistics_payment: trade.logistics?.payment,
    logistics_type: trade.logistics?.type,
    operator_role: 'B',
    out_trade_no: trade.outTradeNo,
    payment_type: '1',
    price: p.price || trade.totalFee || undefined,
    quantity: p.quantity || (trade.totalFee ? '1' : undefined),
    refund_status: trade.refundStatus,
    seller_email: trade.sellerEmail,
    seller_id: trade.sellerId,
    subject: trade.subject,
    to_buyer_fee: refunded ? trade.totalFee : '0.00',
    to_seller_fee: paid && !refunded ? trade.totalFee : '0.00',
    total_fee: trade.totalFee || undefined,
    trade_no: trade.tradeNo,
    trade_status: trade.status,
    use_coupon: 'F',
  };
  return Object.entries(fields)
    .filter((f): f is [string, string] => f[1] !== undefined && f[1] !== '')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The single_trade_query answer. [inference] How Alipay computes the response `<sign>` is unconfirmed (protocol doc
 * §5.1); the sandbox signs the `<trade>` children as `k=v&…` in byte order with the key appended, like everything else.
 */
export function queryXml(trade: Trade, echo: readonly [string, string][], key: string, charset: Charset): XmlAnswer {
  const fields = queryTradeFields(trade);
  const sign = signText(fields, key, charset);
  const request = echo.map(([k, v]) => `<param name="${escapeMarkup(k)}">${escapeMarkup(v)}</param>`).join('');
  const tradeXml = fields.map(([k, v]) => element(k, v)).join('');
  return document(
    `<alipay><is_success>T</is_success><request>${request}</request><response><trade>${tradeXml}</trade></response>` +
      `<sign>${sign}</sign><sign_type>MD5</sign_type></alipay>`,
    charset,
  );
}
