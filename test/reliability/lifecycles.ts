// Trade lifecycles as Alipay runs them, per service, and what the order must end as: computed from the lifecycle itself
// (its last state, and whether the buyer's money ever moved), never from running the product.
import type { ServiceName } from '../../shared/alipay/services.ts';
import type { RefundStatus, TradeStatus } from '../../shared/orders/trade-status.ts';
import { notification, type SignedMessage } from '../support/alipay-messages.ts';

export type Family = 'instant' | 'escrow' | 'dual' | 'closed' | 'refund';

/** What one notification reports: the trade's status, and its refund once one began (protocol doc §4.2). */
export interface TradeState {
  tradeStatus: TradeStatus;
  /**
   * refund_status with gmt_refund, the time of that refund status [inference: the doc only says both are "present
   * after a refund"]. Every later notification of the trade carries the latest one: a notification is a snapshot.
   */
  refund?: { status: RefundStatus; at: string };
}

export interface Lifecycle {
  name: string;
  family: Family;
  service: ServiceName;
  /** The states the trade went through, in the order they happened; Alipay notifies each one. */
  states: readonly TradeState[];
}

/** The order once every notification was delivered. */
export interface ExpectedEnd {
  status: TradeStatus;
  refund?: { status: RefundStatus; at: string };
  /** The buyer's money reached Alipay at some point: the order must record the amount paid. */
  paid: boolean;
}

/** States in which the buyer has paid (escrow: held by Alipay), protocol doc §4.1. A refund also implies a payment. */
const MONEY_RECEIVED: ReadonlySet<TradeStatus> = new Set<TradeStatus>([
  'TRADE_PENDING', 'WAIT_SELLER_SEND_GOODS', 'WAIT_BUYER_CONFIRM_GOODS', 'TRADE_SUCCESS', 'TRADE_FINISHED',
]);

export function expectedEnd(lifecycle: Lifecycle): ExpectedEnd {
  const last = lifecycle.states.at(-1)!;
  return {
    status: last.tradeStatus,
    ...(last.refund ? { refund: last.refund } : {}),
    paid: lifecycle.states.some((s) => MONEY_RECEIVED.has(s.tradeStatus) || s.refund !== undefined),
  };
}

/**
 * How far along its lifecycle an order is: the index of the latest state it shows, -1 before any news, undefined for a
 * state the lifecycle never had. An order must never go to a lower index.
 */
export function progress(lifecycle: Lifecycle, order: { status: string; refund?: { status: string; at?: string } }): number | undefined {
  if (order.status === 'CREATED' && !order.refund) return -1;
  for (let i = lifecycle.states.length - 1; i >= 0; i--) {
    const s = lifecycle.states[i]!;
    if (s.tradeStatus === order.status && s.refund?.status === order.refund?.status && s.refund?.at === order.refund?.at) return i;
  }
  return undefined;
}

const st = (tradeStatus: TradeStatus, refund?: [RefundStatus, number]): TradeState => ({
  tradeStatus,
  ...(refund ? { refund: { status: refund[0], at: `2026-11-25 10:${String(refund[1]).padStart(2, '0')}:00` } } : {}),
});

const WBP = 'WAIT_BUYER_PAY';
const WSSG = 'WAIT_SELLER_SEND_GOODS';
const WBCG = 'WAIT_BUYER_CONFIRM_GOODS';
const TS = 'TRADE_SUCCESS';
const TF = 'TRADE_FINISHED';
const TC = 'TRADE_CLOSED';
const INSTANT = 'create_direct_pay_by_user';
const ESCROW = 'create_partner_trade_by_buyer';
const DUAL = 'trade_create_by_buyer';

/** For instant pay WAIT_BUYER_PAY is not notified by default (protocol doc §3.1): each such lifecycle comes both ways. */
const maybeWaiting = (name: string, family: Family, service: ServiceName, states: TradeState[]): Lifecycle[] => [
  { name, family, service, states },
  { name: `${name} (WAIT_BUYER_PAY notified)`, family, service, states: [st(WBP), ...states] },
];

/** Every lifecycle the scenarios draw from (protocol doc §4.1 transitions, §4.2 refunds). */
export const LIFECYCLES: readonly Lifecycle[] = [
  // instant: basic contract straight to TRADE_FINISHED; advanced via TRADE_SUCCESS; a frozen seller via TRADE_PENDING
  ...maybeWaiting('instant basic', 'instant', INSTANT, [st(TF)]),
  ...maybeWaiting('instant advanced', 'instant', INSTANT, [st(TS), st(TF)]),
  { name: 'instant, seller frozen', family: 'instant', service: INSTANT, states: [st(WBP), st('TRADE_PENDING'), st(TS), st(TF)] },
  { name: 'virtual goods, advanced', family: 'instant', service: 'create_digital_goods_trade_p', states: [st(TS), st(TF)] },
  { name: 'donation, basic', family: 'instant', service: 'create_donate_trade_p', states: [st(TF)] },
  // escrow: paid into escrow, shipped, confirmed
  { name: 'escrow', family: 'escrow', service: ESCROW, states: [st(WBP), st(WSSG), st(WBCG), st(TF)] },
  // dual: the escrow path, or paid as instant
  { name: 'dual, escrow path', family: 'dual', service: DUAL, states: [st(WBP), st(WSSG), st(WBCG), st(TF)] },
  ...maybeWaiting('dual, paid as instant', 'dual', DUAL, [st(TS), st(TF)]),
  // closed unpaid (timeout or close_trade)
  ...maybeWaiting('instant closed unpaid', 'closed', INSTANT, [st(TC)]),
  { name: 'escrow closed unpaid', family: 'closed', service: ESCROW, states: [st(WBP), st(TC)] },
  { name: 'dual closed unpaid', family: 'closed', service: DUAL, states: [st(WBP), st(TC)] },
  // refunds: partial keeps TRADE_SUCCESS, full closes; escrow refunds go through refund_status
  { name: 'instant, partial refund', family: 'refund', service: INSTANT, states: [st(TS), st(TS, ['REFUND_SUCCESS', 1]), st(TF, ['REFUND_SUCCESS', 1])] },
  { name: 'instant, full refund', family: 'refund', service: INSTANT, states: [st(TS), st(TC, ['REFUND_SUCCESS', 1])] },
  { name: 'dual as instant, full refund', family: 'refund', service: DUAL, states: [st(TS), st(TC, ['REFUND_SUCCESS', 1])] },
  {
    name: 'escrow, refund before shipping', family: 'refund', service: ESCROW,
    states: [st(WBP), st(WSSG), st(WSSG, ['WAIT_SELLER_AGREE', 1]), st(TC, ['REFUND_SUCCESS', 2])],
  },
  {
    name: 'escrow, refund refused then withdrawn', family: 'refund', service: ESCROW,
    states: [st(WBP), st(WSSG), st(WSSG, ['WAIT_SELLER_AGREE', 1]), st(WSSG, ['SELLER_REFUSE_BUYER', 2]), st(WSSG, ['REFUND_CLOSED', 3]),
      st(WBCG, ['REFUND_CLOSED', 3]), st(TF, ['REFUND_CLOSED', 3])],
  },
  {
    name: 'escrow, goods returned', family: 'refund', service: ESCROW,
    states: [st(WBP), st(WSSG), st(WBCG), st(WBCG, ['WAIT_SELLER_AGREE', 1]), st(WBCG, ['WAIT_BUYER_RETURN_GOODS', 2]),
      st(WBCG, ['WAIT_SELLER_CONFIRM_GOODS', 3]), st(TC, ['REFUND_SUCCESS', 4])],
  },
];

export const lifecyclesOf = (...families: Family[]): Lifecycle[] => LIFECYCLES.filter((l) => families.includes(l.family));

/** One notification of a planned trade: its own notify_id, signed as Alipay signs it. */
export interface PlannedNotification {
  notifyId: string;
  outTradeNo: string;
  /** Its state's index in the lifecycle. */
  index: number;
  state: TradeState;
  message: SignedMessage;
}

/** A trade, the notifications Alipay will send about it, and how the order must end. */
export interface TradePlan {
  lifecycle: Lifecycle;
  outTradeNo: string;
  paidFee: string;
  notifications: PlannedNotification[];
  expected: ExpectedEnd;
}

export function planTrade(lifecycle: Lifecycle, order: { outTradeNo: string; paidFee: string }): TradePlan {
  const notifications = lifecycle.states.map((state, index) => {
    const message = notification({
      outTradeNo: order.outTradeNo, tradeStatus: state.tradeStatus, totalFee: order.paidFee,
      ...(state.refund ? { extra: { refund_status: state.refund.status, gmt_refund: state.refund.at } } : {}),
    });
    return { notifyId: message.notifyId, outTradeNo: order.outTradeNo, index, state, message };
  });
  return { lifecycle, outTradeNo: order.outTradeNo, paidFee: order.paidFee, notifications, expected: expectedEnd(lifecycle) };
}
