// What the buyer should be told about an order: one state per result page, from its status and the money that moved.
// The return handler's page and the demo shop's page both show these, so a buyer reads the same thing on either.
import type { Fen } from '../alipay/amount.ts';
import type { OrderStatus } from './trade-status.ts';

export const BUYER_STATES = [
  'paid', // instant payment received (TRADE_SUCCESS, TRADE_FINISHED, TRADE_PENDING)
  'escrow', // paid into escrow, waiting for the seller to ship (WAIT_SELLER_SEND_GOODS)
  'shipped', // shipped, waiting for the buyer to confirm receipt (WAIT_BUYER_CONFIRM_GOODS)
  'partlyrefunded',
  'refunded', // in full
  'closed', // closed without payment
  'waiting', // no payment reported yet
  'unverified', // the link could not be verified as Alipay's: it changed nothing
  'unknown', // no such order
] as const;
export type BuyerState = (typeof BUYER_STATES)[number];

export interface BuyerFacts {
  status: OrderStatus;
  paidFen?: Fen;
  /** Refunds Alipay confirmed, summed. */
  refundedFen: Fen;
  refundStatus?: string;
}

export function buyerState(f: BuyerFacts): BuyerState {
  // Money went back: say so, whatever the trade status (a full refund closes the trade, which is not "unpaid").
  if (f.refundedFen > 0 || f.refundStatus === 'REFUND_SUCCESS') {
    const full = f.status === 'TRADE_CLOSED' || (f.paidFen !== undefined && f.refundedFen >= f.paidFen);
    return full ? 'refunded' : 'partlyrefunded';
  }
  switch (f.status) {
    case 'WAIT_SELLER_SEND_GOODS': return 'escrow';
    case 'WAIT_BUYER_CONFIRM_GOODS': return 'shipped';
    case 'TRADE_SUCCESS':
    case 'TRADE_FINISHED':
    case 'TRADE_PENDING': return 'paid';
    case 'TRADE_CLOSED': return 'closed';
    case 'CREATED':
    case 'WAIT_BUYER_PAY': return 'waiting';
  }
}

/** Only a waiting order is something the buyer waits on: a page polls for it, and stops once it is anything else. */
export const awaitsPayment = (state: BuyerState): boolean => state === 'waiting';
