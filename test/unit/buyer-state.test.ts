// What the buyer is told, from an order's status and the money that moved: one state per result page.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Fen } from '../../shared/alipay/amount.ts';
import { awaitsPayment, buyerState, BUYER_STATES, type BuyerFacts } from '../../shared/orders/buyer-state.ts';
import { BUYER_TEXT, buyerHeading } from '../../shared/http/return-page.ts';

const facts = (over: Partial<BuyerFacts>): BuyerFacts => ({ status: 'CREATED', refundedFen: 0 as Fen, ...over });

describe('buyerState', () => {
  const cases: [string, Partial<BuyerFacts>, string][] = [
    ['created, nothing paid', {}, 'waiting'],
    ['WAIT_BUYER_PAY', { status: 'WAIT_BUYER_PAY' }, 'waiting'],
    ['TRADE_SUCCESS', { status: 'TRADE_SUCCESS', paidFen: 6800 as Fen }, 'paid'],
    ['TRADE_FINISHED', { status: 'TRADE_FINISHED', paidFen: 6800 as Fen }, 'paid'],
    ['paid into escrow', { status: 'WAIT_SELLER_SEND_GOODS', paidFen: 6800 as Fen }, 'escrow'],
    ['shipped, waiting for the buyer', { status: 'WAIT_BUYER_CONFIRM_GOODS', paidFen: 6800 as Fen }, 'shipped'],
    ['closed unpaid', { status: 'TRADE_CLOSED' }, 'closed'],
    ['part refunded, trade still open', { status: 'TRADE_SUCCESS', paidFen: 6800 as Fen, refundedFen: 2000 as Fen }, 'partlyrefunded'],
    ['refunded in full, trade closed', { status: 'TRADE_CLOSED', paidFen: 6800 as Fen, refundedFen: 6800 as Fen }, 'refunded'],
    ['refunded in full before the close arrives', { status: 'TRADE_SUCCESS', paidFen: 6800 as Fen, refundedFen: 6800 as Fen }, 'refunded'],
    ["Alipay's own full refund (no ledger) closes the trade", { status: 'TRADE_CLOSED', paidFen: 6800 as Fen, refundStatus: 'REFUND_SUCCESS' }, 'refunded'],
  ];
  for (const [name, over, expected] of cases) {
    test(`${name} → ${expected}`, () => assert.equal(buyerState(facts(over)), expected));
  }

  test('only a waiting order is polled for', () => {
    assert.deepEqual(BUYER_STATES.filter(awaitsPayment), ['waiting']);
  });

  test('every state has its own heading, in Chinese and English', () => {
    const headings = BUYER_STATES.map(buyerHeading);
    assert.equal(new Set(headings).size, BUYER_STATES.length);
    for (const s of BUYER_STATES) {
      assert.match(BUYER_TEXT[s].zh, /[\u4e00-\u9fff]/, s);
      assert.match(BUYER_TEXT[s].en, /^[A-Z]/, s);
    }
  });
});
