// The refund ledger, pure: what can be refunded, asking, Alipay's results, and refunds that never overwrite each other.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Fen } from '../../shared/alipay/amount.ts';
import { batchNo, checkReason, detailData, parseResultDetails, refundParams } from '../../shared/alipay/refunds.ts';
import { decide } from '../../shared/orders/decide.ts';
import type { Order, RefundResultEvent, TradeEvent } from '../../shared/orders/order.ts';
import { applyRefundResult, refundableFen, refundedFen, refusedByAlipay, requestRefund } from '../../shared/orders/refunds.ts';

const PARTNER = '2088101568358171';
const TRADE = '2026113021001004380280045538';
const paidOrder = (over: Partial<Order> = {}): Order => ({
  outTradeNo: 'T-1', service: 'create_direct_pay_by_user', kind: 'instant', subject: 's', amountFen: 10000 as Fen,
  acceptedAmountsFen: [10000 as Fen], paidFen: 10000 as Fen, partner: PARTNER, sellerId: PARTNER, charset: 'utf-8',
  status: 'TRADE_SUCCESS', tradeNo: TRADE, version: 3, history: [], anomalies: [], createdAt: 't', updatedAt: 't',
  gatewayParams: {}, ...over,
});
const ask = (batch: string, amountFen: number, requestId = batch) => ({ requestId, batchNo: batch, amountFen: amountFen as Fen, reason: 'r', mode: 'pwd' as const, at: '2026-11-30T01:00:00.000Z' });

/** Asks for a refund and writes it, as refundPayment does. */
function asked(order: Order, batch: string, amountFen: number): Order {
  const d = requestRefund(order, ask(batch, amountFen));
  assert.ok(d.outcome === 'requested', JSON.stringify(d));
  return d.next;
}

const result = (batch: string, amountFen: number, r = 'SUCCESS', tradeNo = TRADE): RefundResultEvent => ({
  eventId: `refund#${batch}#${tradeNo}`, source: 'notify', receivedAt: '2026-11-30T02:00:00.000Z', outTradeNo: 'T-1',
  refundResult: { batchNo: batch, tradeNo, amountFen: amountFen as Fen, result: r },
});

describe('asking for a refund', () => {
  test('each refund is its own ledger entry; what is left shrinks with every pending or successful one', () => {
    let order = asked(paidOrder(), '2026113000000001', 3000);
    order = asked(order, '2026113000000002', 5000);
    assert.equal(order.refunds!.length, 2);
    assert.equal(refundableFen(order), 2000);
    assert.equal(refundedFen(order), 0, 'nothing refunded until Alipay says so');
    assert.equal(order.version, 5);
  });

  test('more than is left is refused, naming the amounts', () => {
    const order = asked(paidOrder(), '2026113000000001', 9000);
    const d = requestRefund(order, ask('2026113000000002', 1001));
    assert.ok(d.outcome === 'refused');
    assert.equal(d.code, 'EXCEEDS_REFUNDABLE');
    assert.match(d.detail, /10\.01 is more than the 10\.00/);
  });

  test('only an open paid instant trade can be refunded', () => {
    for (const status of ['CREATED', 'WAIT_BUYER_PAY', 'TRADE_FINISHED', 'TRADE_CLOSED', 'WAIT_SELLER_SEND_GOODS'] as const) {
      const d = requestRefund(paidOrder({ status }), ask('2026113000000001', 100));
      assert.ok(d.outcome === 'refused' && d.code === 'NOT_REFUNDABLE', status);
    }
  });

  test('the same requestId is the same refund; with another amount it is refused', () => {
    const order = asked(paidOrder(), '2026113000000001', 3000);
    assert.equal(requestRefund(order, { ...ask('2026113000000009', 3000), requestId: '2026113000000001' }).outcome, 'same_request');
    const other = requestRefund(order, { ...ask('2026113000000009', 4000), requestId: '2026113000000001' });
    assert.ok(other.outcome === 'refused' && other.code === 'REQUEST_ID_REUSED');
  });

  test('a refund Alipay refused outright frees its amount again', () => {
    const order = asked(paidOrder(), '2026113000000001', 10000);
    const next = refusedByAlipay(order, '2026113000000001', 'TRADE_STATUS_ERROR', 'later')!;
    assert.equal(next.refunds![0]!.status, 'FAILED');
    assert.equal(refundableFen(next), 10000);
  });
});

describe("Alipay's results", () => {
  test('a partial refund that succeeded, then a second refund that was closed: the money that went back stays counted', () => {
    let order = asked(asked(paidOrder(), '2026113000000001', 3000), '2026113000000002', 2000);
    const first = decide(order, result('2026113000000001', 3000), { partner: PARTNER });
    assert.ok(first.outcome === 'applied');
    order = first.next;
    const second = decide(order, result('2026113000000002', 2000, 'TRADE_STATUS_ERROR'), { partner: PARTNER });
    assert.ok(second.outcome === 'applied');
    order = second.next;
    assert.deepEqual(order.refunds!.map((e) => [e.batchNo, e.status]), [['2026113000000001', 'SUCCESS'], ['2026113000000002', 'FAILED']]);
    assert.equal(refundedFen(order), 3000);
    assert.equal(refundableFen(order), 7000);
    assert.equal(decide(order, result('2026113000000001', 3000), { partner: PARTNER }).outcome, 'duplicate');
  });

  test('a result for a batch we never asked for, another trade, or another amount is an anomaly', () => {
    const order = asked(paidOrder(), '2026113000000001', 3000);
    const codes = (e: RefundResultEvent) => {
      const d = decide(order, e, { partner: PARTNER });
      return d.outcome === 'anomaly' ? d.anomalies.map((a) => a.code) : [d.outcome];
    };
    assert.deepEqual(codes(result('2026113099999999', 3000)), ['unknown_refund']);
    assert.deepEqual(codes(result('2026113000000001', 3000, 'SUCCESS', '2026113021001004380280049999')), ['refund_mismatch']);
    assert.deepEqual(codes(result('2026113000000001', 2999)), ['refund_mismatch']);
    assert.equal(applyRefundResult(order, result('2026113000000001', 3000)).outcome, 'applied');
  });

  test("a trade notification's refund_status settles the ledger only when exactly one refund is pending", () => {
    const trade = (refundStatus: string): TradeEvent => ({
      eventId: `n-${refundStatus}`, source: 'notify', receivedAt: '2026-11-30T03:00:00.000Z', outTradeNo: 'T-1', tradeNo: TRADE,
      tradeStatus: 'TRADE_SUCCESS', totalFen: 10000 as Fen, useCoupon: false, refundStatus, gmtRefund: '2026-11-30 11:00:00',
    });
    const one = asked(paidOrder(), '2026113000000001', 3000);
    const settled = decide(one, trade('REFUND_SUCCESS'), { partner: PARTNER });
    assert.ok(settled.outcome === 'applied');
    assert.equal(settled.next.refunds![0]!.status, 'SUCCESS');

    const two = asked(one, '2026113000000002', 2000);
    const ambiguous = decide(two, trade('REFUND_SUCCESS'), { partner: PARTNER });
    assert.ok(ambiguous.outcome === 'applied');
    assert.deepEqual(ambiguous.next.refunds!.map((e) => e.status), ['PENDING', 'PENDING'], 'which one? the batch notifications will say');
    assert.equal(ambiguous.next.refund?.status, 'REFUND_SUCCESS');
  });
});

describe('refunds at the protocol edge', () => {
  test('batch_no is the refund date and a zero-padded serial; detail_data and result_details', () => {
    assert.equal(batchNo('2026-11-30 09:00:00', 42), '2026113000000042');
    assert.equal(detailData([{ tradeNo: TRADE, amountFen: 1050 as Fen, reason: '质量问题' }]), `${TRADE}^10.50^质量问题`);
    assert.deepEqual(parseResultDetails(`${TRADE}^10.50^SUCCESS#2026^1.00^TRADE_STATUS_ERROR$fee^2088^0.10^SUCCESS`), [
      { tradeNo: TRADE, amountFen: 1050, result: 'SUCCESS' },
      { tradeNo: '2026', amountFen: 100, result: 'TRADE_STATUS_ERROR' },
    ]);
    assert.throws(() => parseResultDetails('garbage'), /trade_no\^amount\^result/);
    const params = refundParams({ batchNo: '2026113000000042', refundDate: '2026-11-30 09:00:00', items: [{ tradeNo: TRADE, amountFen: 100 as Fen, reason: 'r' }], notifyUrl: 'https://shop.example.com/alipay/notify', sellerUserId: PARTNER });
    assert.equal(params.batch_num, '1');
  });

  test('a reason that could split detail_data or the signed message is refused, naming the character', () => {
    for (const bad of ['a^b', 'a#b', 'a|b', 'a$b', 'a&b', 'a=b', 'a\nb', '']) assert.throws(() => checkReason(bad), /reason/, JSON.stringify(bad));
    assert.throws(() => checkReason('字'.repeat(86)), /256 bytes/);
  });
});
