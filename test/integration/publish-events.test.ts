// Orders stream -> publish-events -> PutEvents, end to end: the handlers write orders in DynamoDB Local, its stream is
// read through the Streams API, the publisher's real EventBridge client puts events on a loopback bus that records
// every request and can fail chosen entries.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { handler as publish } from '../../functions/publish-events.ts';
import { type BusEvent, LocalEventBus } from '../../infra/local/event-bus.ts';
import { OrdersStreamReader } from '../../infra/local/orders-stream.ts';
import { ordersStreamArn } from '../../shared/store/tables.ts';
import { notification } from '../support/alipay-messages.ts';
import { postNotify } from '../support/api.ts';
import { useTestApp } from '../support/app-env.ts';
import { createOrder } from '../support/payments.ts';

const { app, logs } = useTestApp();
const bus = new LocalEventBus();
let stream: OrdersStreamReader;

const notify = async (outTradeNo: string, tradeStatus: string, totalFee: string) => {
  const message = notification({ outTradeNo, tradeStatus, totalFee });
  assert.equal((await postNotify(message)).body, 'success');
  return message;
};
const of = (outTradeNo: string) => bus.accepted.filter((e) => (e.detail as { outTradeNo: string }).outTradeNo === outTradeNo);
const detail = (e: BusEvent) => e.detail as { eventId: string; type: string; version: number; paid?: { fen: number; yuan: string } };

describe('publish-events', () => {
  before(async () => {
    await bus.start();
    app.setEnv({ EVENT_BUS_NAME: 'alipay-serverless-test', AWS_ENDPOINT_URL_EVENTBRIDGE: bus.url });
    stream = new OrdersStreamReader(process.env.DYNAMODB_ENDPOINT!, await ordersStreamArn(app.client, app.tables.orders), 'TRIM_HORIZON');
  });
  after(async () => {
    app.setEnv({ EVENT_BUS_NAME: undefined, AWS_ENDPOINT_URL_EVENTBRIDGE: undefined });
    await bus.stop();
  });

  test('every transition becomes its event once; copies of notifications and a replayed stream add no new id', async () => {
    const instant = await createOrder('create_direct_pay_by_user');
    const escrow = await createOrder('create_partner_trade_by_buyer');
    const closed = await createOrder('create_direct_pay_by_user');
    const paid = await notify(instant.outTradeNo, 'TRADE_SUCCESS', instant.paidFee);
    assert.equal((await postNotify(paid)).body, 'success', 'the same notification again');
    assert.equal((await postNotify(paid)).body, 'success');
    await notify(instant.outTradeNo, 'WAIT_BUYER_PAY', instant.paidFee); // older news
    await notify(instant.outTradeNo, 'TRADE_FINISHED', '0.01'); // an amount that is not the order's: an anomaly
    await notify(escrow.outTradeNo, 'WAIT_SELLER_SEND_GOODS', escrow.paidFee);
    await notify(escrow.outTradeNo, 'WAIT_BUYER_CONFIRM_GOODS', escrow.paidFee);
    await notify(escrow.outTradeNo, 'TRADE_FINISHED', escrow.paidFee);
    await notify(closed.outTradeNo, 'TRADE_CLOSED', closed.paidFee);

    const records = await stream.read();
    assert.ok(records.length >= 8, `${records.length} stream records`);
    assert.deepEqual(await publish({ Records: records }), { batchItemFailures: [] });

    assert.deepEqual(of(instant.outTradeNo).map((e) => e['detail-type']), ['Order Paid', 'Order Anomaly']);
    assert.deepEqual(of(escrow.outTradeNo).map((e) => e['detail-type']), ['Order Paid', 'Order Shipped', 'Order Finished']);
    assert.deepEqual(of(closed.outTradeNo).map((e) => e['detail-type']), ['Order Closed']);
    const [paidEvent] = of(instant.outTradeNo);
    assert.equal(paidEvent!.source, 'alipay-serverless');
    assert.equal(detail(paidEvent!).eventId, `${instant.outTradeNo}#2#Order Paid`);
    assert.equal(detail(paidEvent!).paid!.yuan, instant.paidFee);
    const ids = bus.accepted.map((e) => detail(e).eventId);
    assert.equal(new Set(ids).size, ids.length, 'no event id twice');
    const sent = bus.requests.flat();
    assert.ok(sent.every((e) => e.EventBusName === 'alipay-serverless-test'), 'every entry names the stage bus');

    // Lambda may hand the same records over again: the same ids come out, nothing new.
    const before = bus.accepted.length;
    await publish({ Records: records });
    assert.deepEqual(bus.accepted.slice(before).map((e) => detail(e).eventId), ids);
  });

  test('a failed entry is retried within the invocation; one that keeps failing is reported, never dropped', async () => {
    const a = await createOrder('create_direct_pay_by_user');
    const b = await createOrder('create_direct_pay_by_user');
    await stream.read(); // the creations
    await notify(a.outTradeNo, 'TRADE_SUCCESS', a.paidFee);
    await notify(b.outTradeNo, 'TRADE_SUCCESS', b.paidFee);
    const records = await stream.read();
    assert.equal(records.length, 2);

    // b's entry fails twice (throttled), then goes through.
    let failures = 0;
    bus.fault = (entry) => (entry.Detail?.includes(b.outTradeNo) && failures++ < 2 ? { code: 'ThrottlingException', message: 'Rate exceeded' } : undefined);
    const sentBefore = bus.requests.length;
    assert.deepEqual(await publish({ Records: records }), { batchItemFailures: [] });
    assert.equal(bus.requests.length - sentBefore, 3, 'one PutEvents, then two retries of the failed entry only');
    assert.deepEqual(bus.requests.slice(sentBefore + 1).map((r) => r.length), [1, 1]);
    assert.deepEqual(of(b.outTradeNo).map((e) => detail(e).eventId), [`${b.outTradeNo}#2#Order Paid`]);

    // a's entry always fails: its record is reported as the one to retry from; b's event still went out.
    bus.fault = (entry) => (entry.Detail?.includes(a.outTradeNo) ? { code: 'InternalFailure', message: 'the bus is unwell' } : undefined);
    const answer = await publish({ Records: records });
    bus.fault = undefined;
    assert.deepEqual(answer, { batchItemFailures: [{ itemIdentifier: records[0]!.dynamodb!.SequenceNumber! }] });
    assert.ok(logs.lines.some((l) => l.includes('event not published') && l.includes('InternalFailure') && l.includes(a.outTradeNo)));
    // The retry Lambda makes from that record publishes it.
    assert.deepEqual(await publish({ Records: records }), { batchItemFailures: [] });
    assert.equal(of(a.outTradeNo).filter((e) => e['detail-type'] === 'Order Paid').length, 2, 'published on the retry (the first run published it too)');
  });
});
