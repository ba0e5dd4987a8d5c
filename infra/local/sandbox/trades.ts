// The sandbox's trades, pure: creation from a validated request, the status moves each button makes, the
// decision on a reused out_trade_no, and the field set Alipay reports for a trade. Money is integer fen.
import type { Charset } from './alipay-charset.ts';
import { PAYMENT_SERVICES, type PaymentService, type TradeKind, valueProblem } from './alipay-rules.ts';
import type { SandboxTrade, SandboxTradeStatus, TradeAction } from './index.ts';
import { fenOf, yuanOf } from './yuan.ts';

/** The sandbox's own record; snapshots handed out are copies. */
export interface Trade extends SandboxTrade {
  /** What pay does to an instant trade, fixed when the trade is created. */
  readonly instantMode: 'advanced' | 'basic';
}

/** A move that is not allowed (or input that is wrong), with a message for the buyer's page. */
export interface Refusal {
  readonly refused: string;
}

export const isRefusal = (v: unknown): v is Refusal => typeof v === 'object' && v !== null && 'refused' in v;

export interface NewTradeInput {
  partner: string;
  charset: Charset;
  /** Checked by the gateway's rules (alipay-rules.ts). */
  params: Readonly<Record<string, string>>;
  /** What the buyer pays (buyer-total.ts); '' when the donor chooses. */
  totalFee: string;
  tradeNo: string;
  sellerId: string;
  sellerEmail: string;
  buyer: { id: string; email: string };
  now: string;
  instantMode: 'advanced' | 'basic';
}

const has = (p: Readonly<Record<string, string>>, k: string): p is Record<string, string> => p[k] !== undefined && p[k] !== '';

export function createTrade(input: NewTradeInput): Trade {
  const { params } = input;
  const service = params.service as PaymentService;
  const { kind } = PAYMENT_SERVICES[service];
  return {
    partner: input.partner,
    service,
    kind,
    charset: input.charset,
    outTradeNo: params.out_trade_no!,
    tradeNo: input.tradeNo,
    status: 'WAIT_BUYER_PAY',
    totalFee: input.totalFee,
    subject: params.subject!,
    ...(has(params, 'body') ? { body: params.body } : {}),
    ...(has(params, 'notify_url') ? { notifyUrl: params.notify_url } : {}),
    ...(has(params, 'return_url') ? { returnUrl: params.return_url } : {}),
    sellerId: input.sellerId,
    sellerEmail: input.sellerEmail,
    buyerId: params.buyer_id || input.buyer.id,
    buyerEmail: params.buyer_email || input.buyer.email,
    gmtCreate: input.now,
    ...(kind === 'escrow'
      ? { logistics: { type: params.logistics_type!, fee: params.logistics_fee!, payment: params.logistics_payment! } }
      : {}),
    history: [{ status: 'WAIT_BUYER_PAY', at: input.now }],
    notifyIds: [],
    params: { ...params },
    instantMode: input.instantMode,
  };
}

// ---- status moves -------------------------------------------------------------------------------------------------

type Moves = Partial<Record<SandboxTradeStatus, Partial<Record<TradeAction, SandboxTradeStatus | 'paid'>>>>;

const MOVES: Readonly<Record<TradeKind, Moves>> = {
  instant: {
    WAIT_BUYER_PAY: { pay: 'paid', close: 'TRADE_CLOSED' },
    TRADE_SUCCESS: { finish: 'TRADE_FINISHED', refund: 'TRADE_CLOSED' }, // refund window ends; full refund
  },
  // trade_create_by_buyer ("dual") is treated as escrow.
  escrow: {
    WAIT_BUYER_PAY: { pay: 'WAIT_SELLER_SEND_GOODS', close: 'TRADE_CLOSED' },
    WAIT_SELLER_SEND_GOODS: { ship: 'WAIT_BUYER_CONFIRM_GOODS' },
    WAIT_BUYER_CONFIRM_GOODS: { confirm: 'TRADE_FINISHED' },
  },
};

export const TRADE_ACTIONS: readonly TradeAction[] = ['pay', 'close', 'ship', 'confirm', 'finish', 'refund'];
export const isTradeAction = (v: unknown): v is TradeAction => typeof v === 'string' && (TRADE_ACTIONS as readonly string[]).includes(v);

/** The buttons valid for the trade's current status, in page order. */
export function availableActions(trade: Trade): TradeAction[] {
  const moves = MOVES[trade.kind][trade.status] ?? {};
  return TRADE_ACTIONS.filter((a) => moves[a] !== undefined);
}

/** True when the buyer must type the amount on the cashier (a donation without one). */
export const buyerChoosesAmount = (trade: Trade): boolean => trade.status === 'WAIT_BUYER_PAY' && trade.totalFee === '';

export interface ActInput {
  now: string;
  /** pay: the donor's amount, when the request had none. */
  totalFee?: string;
  /** ship: what send_goods_confirm_by_platform said. */
  shipping?: { name: string; invoiceNo?: string };
}

/** Why the button cannot be pressed now, or undefined when it can. */
export function unavailable(trade: Trade, action: TradeAction): Refusal | undefined {
  if (MOVES[trade.kind][trade.status]?.[action] !== undefined) return undefined;
  const allowed = availableActions(trade);
  return {
    refused: `${action} is not possible for an ${trade.kind} trade in status ${trade.status}` +
      (allowed.length ? `: possible now: ${allowed.join(', ')}` : ': the trade is over'),
  };
}

/** Applies one button to a trade: the new trade, or why not. */
export function applyAction(trade: Trade, action: TradeAction, input: ActInput): Trade | Refusal {
  const target = MOVES[trade.kind][trade.status]?.[action];
  if (target === undefined) return unavailable(trade, action)!;
  const now = input.now;
  let next: Trade = { ...trade };
  if (action === 'pay') {
    const amount = paidAmount(trade, input.totalFee);
    if (isRefusal(amount)) return amount;
    next = { ...next, totalFee: amount, gmtPayment: now };
  }
  const status: SandboxTradeStatus = target === 'paid' ? (trade.instantMode === 'advanced' ? 'TRADE_SUCCESS' : 'TRADE_FINISHED') : target;
  if (action === 'ship') {
    next = {
      ...next,
      gmtSendGoods: now,
      ...(input.shipping && next.logistics
        ? { logistics: { ...next.logistics, name: input.shipping.name, ...(input.shipping.invoiceNo ? { invoiceNo: input.shipping.invoiceNo } : {}) } }
        : {}),
    };
  }
  if (action === 'refund') next = { ...next, refundStatus: 'REFUND_SUCCESS', gmtRefund: now };
  if (status === 'TRADE_FINISHED' || status === 'TRADE_CLOSED') next = { ...next, gmtClose: now };
  return { ...next, status, history: [...trade.history, { status, at: now }] };
}

function paidAmount(trade: Trade, typed: string | undefined): string | Refusal {
  if (trade.totalFee !== '') {
    if (typed !== undefined && typed !== '' && typed !== trade.totalFee) {
      return { refused: `the amount of this trade is fixed at ¥${trade.totalFee}; only a donation without an amount lets the buyer choose` };
    }
    return trade.totalFee;
  }
  if (typed === undefined || typed.trim() === '') return { refused: 'enter the amount to donate (total_fee), e.g. 10.00' };
  const problem = valueProblem('total_fee', typed.trim());
  return problem === undefined ? yuanOf(fenOf(typed.trim())) : { refused: problem };
}

// ---- a reused out_trade_no -----------------------------------------------------------------------------------------

/** Parameters that define the deal; notify/return URLs, passback and cashier options may change between attempts. */
const BUSINESS_PARAMS = [
  'service', 'seller_id', 'seller_email', 'seller_account_name', 'subject', 'body', 'total_fee', 'price', 'quantity', 'discount',
  ...['', '_1', '_2', '_3'].flatMap((s) => [`logistics_type${s}`, `logistics_fee${s}`, `logistics_payment${s}`]),
];

export type ReuseOutcome =
  | { kind: 'same_trade' }
  | { kind: 'refused'; code: 'TRADE_HAS_SUCCESS' | 'TRADE_HAS_CLOSED' | 'TRADE_DATA_MATCH_ERROR'; reason: string };

/** What a new request with an out_trade_no this partner already used gets. */
export function reuseOutcome(existing: Trade, params: Readonly<Record<string, string>>): ReuseOutcome {
  if (existing.status === 'TRADE_CLOSED') {
    // [inference] the legacy code for paying a closed trade is unconfirmed.
    return { kind: 'refused', code: 'TRADE_HAS_CLOSED', reason: `out_trade_no ${existing.outTradeNo} belongs to trade ${existing.tradeNo}, which is closed: use a new out_trade_no` };
  }
  if (existing.status !== 'WAIT_BUYER_PAY') {
    return { kind: 'refused', code: 'TRADE_HAS_SUCCESS', reason: `out_trade_no ${existing.outTradeNo} was already paid (trade ${existing.tradeNo}, ${existing.status})` };
  }
  const changed = BUSINESS_PARAMS.filter((name) => (existing.params[name] ?? '') !== (params[name] ?? ''));
  if (changed.length > 0) {
    // [inference] the legacy code name is unconfirmed; Alipay's newer AOP gateway calls this TRADE_DATA_MATCH_ERROR.
    return {
      kind: 'refused',
      code: 'TRADE_DATA_MATCH_ERROR',
      reason: `out_trade_no ${existing.outTradeNo} is already an unpaid trade with different ${changed.join(', ')}: send the same parameters, or a new out_trade_no`,
    };
  }
  return { kind: 'same_trade' };
}

// ---- what Alipay reports -------------------------------------------------------------------------------------------

/**
 * The trade_status_sync fields for the trade as it is now (protocol doc §3.2), without notify_time/notify_type/notify_id.
 * price = total_fee and quantity = 1 when the request used total_fee (or left the amount to the donor).
 */
export function tradeFields(trade: Trade): [string, string][] {
  const p = trade.params;
  const fields: [string, string | undefined][] = [
    ['out_trade_no', trade.outTradeNo],
    ['trade_no', trade.tradeNo],
    ['trade_status', trade.status],
    ['subject', trade.subject],
    ['body', trade.body],
    ['payment_type', '1'],
    ['total_fee', trade.totalFee],
    ['price', has(p, 'price') ? p.price : trade.totalFee],
    ['quantity', has(p, 'quantity') ? p.quantity : trade.totalFee === '' ? undefined : '1'],
    ['discount', discountOf(trade)],
    ['is_total_fee_adjust', 'N'],
    ['use_coupon', 'N'],
    ['seller_id', trade.sellerId],
    ['seller_email', trade.sellerEmail],
    ['buyer_id', trade.buyerId],
    ['buyer_email', trade.buyerEmail],
    ['gmt_create', trade.gmtCreate],
    ['gmt_payment', trade.gmtPayment],
    ['gmt_close', trade.gmtClose],
    ['extra_common_param', p.extra_common_param],
    ...(trade.kind === 'escrow' ? escrowFields(trade) : []),
    ['refund_status', trade.refundStatus],
    ['gmt_refund', trade.gmtRefund],
  ];
  return fields.filter((f): f is [string, string] => f[1] !== undefined && f[1] !== '');
}

/** The request's discount (escrow), or 0.00. */
export const discountOf = (trade: Trade): string => trade.params.discount || '0.00';

function escrowFields(trade: Trade): [string, string | undefined][] {
  const p = trade.params;
  return [
    ['logistics_type', trade.logistics?.type],
    ['logistics_fee', trade.logistics?.fee],
    ['logistics_payment', trade.logistics?.payment],
    ...['receive_name', 'receive_address', 'receive_zip', 'receive_phone', 'receive_mobile'].map((k): [string, string | undefined] => [k, p[k]]),
    ['gmt_send_goods', trade.gmtSendGoods],
  ];
}

/** A frozen copy for callers outside the sandbox. */
export function snapshot(trade: Trade): SandboxTrade {
  const { instantMode: _mode, ...rest } = trade;
  return Object.freeze({
    ...rest,
    ...(rest.logistics ? { logistics: Object.freeze({ ...rest.logistics }) } : {}),
    history: Object.freeze(rest.history.map((h) => Object.freeze({ ...h }))),
    notifyIds: Object.freeze([...rest.notifyIds]),
    params: Object.freeze({ ...rest.params }),
  });
}
