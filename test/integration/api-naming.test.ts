// One naming scheme for the storefront API: the documented camelCase names only. Any other key is a 400 naming it
// (with "did you mean …"), and every error names the field as the caller wrote it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { postClose, postPayment, postRefund, postShip } from '../support/api.ts';
import { useTestApp } from '../support/app-env.ts';
import { newOutTradeNo, paymentExample } from '../support/payments.ts';

const { app } = useTestApp();

/** 400 with this code and field; answers the error for more checks. */
function assertRefused(res: Awaited<ReturnType<typeof postPayment>>, code: string, field: string): { code: string; message: string; field: string } {
  assert.equal(res.status, 400, res.body);
  assert.equal(res.json.error.code, code, res.body);
  assert.equal(res.json.error.field, field, res.body);
  return res.json.error;
}

describe('POST /payments: camelCase names only', () => {
  test('outTradeNo and out_trade_no together: 400 naming out_trade_no (did you mean outTradeNo?), nothing written under either', async () => {
    const a = newOutTradeNo('A');
    const b = newOutTradeNo('B');
    const { body } = paymentExample('create_direct_pay_by_user', { outTradeNo: a });
    const res = await postPayment({ ...body, out_trade_no: b });
    const error = assertRefused(res, 'UNKNOWN_PARAMETER', 'out_trade_no');
    assert.match(error.message, /out_trade_no.*did you mean outTradeNo\?/);
    assert.equal(await app.getOrder(a), undefined);
    assert.equal(await app.getOrder(b), undefined);
  });

  test('snake_case names alone: 400 naming each of them with its camelCase name', async () => {
    const outTradeNo = newOutTradeNo();
    const res = await postPayment({ service: 'create_direct_pay_by_user', out_trade_no: outTradeNo, subject: 'tea', total_fee: '1.00' });
    const error = assertRefused(res, 'UNKNOWN_PARAMETER', 'out_trade_no');
    assert.match(error.message, /out_trade_no \(did you mean outTradeNo\?\)/);
    assert.match(error.message, /total_fee \(did you mean totalFee\?\)/);
    assert.equal(await app.getOrder(outTradeNo), undefined);
  });

  test('a misspelt name: 400 naming it, with the name it is closest to', async () => {
    const { body } = paymentExample('create_direct_pay_by_user');
    const error = assertRefused(await postPayment({ ...body, subjct: 'tea' }), 'UNKNOWN_PARAMETER', 'subjct');
    assert.match(error.message, /did you mean subject\?/);
  });

  test('a name of another service (logisticsType for instant payment): 400 naming it', async () => {
    const { body } = paymentExample('create_direct_pay_by_user');
    const error = assertRefused(await postPayment({ ...body, logisticsType: 'EXPRESS' }), 'UNKNOWN_PARAMETER', 'logisticsType');
    assert.match(error.message, /logisticsType \(it is a field of create_partner_trade_by_buyer, trade_create_by_buyer\) is not a field of a payment request for create_direct_pay_by_user/);
  });

  test('a missing outTradeNo: 400 naming outTradeNo', async () => {
    const { body } = paymentExample('create_direct_pay_by_user');
    const error = assertRefused(await postPayment({ ...body, outTradeNo: undefined }), 'MISSING_PARAMETER', 'outTradeNo');
    assert.match(error.message, /^outTradeNo is required/);
  });

  test('an invalid amount: the message uses the name the caller wrote (totalFee)', async () => {
    const { body } = paymentExample('create_direct_pay_by_user');
    const error = assertRefused(await postPayment({ ...body, totalFee: 'abc' }), 'INVALID_PARAMETER', 'totalFee');
    assert.doesNotMatch(error.message, /total_fee/);
    assert.match(error.message, /totalFee "abc" is invalid/);
  });

  test('price without quantity: 400 naming quantity', async () => {
    const { body } = paymentExample('create_digital_goods_trade_p');
    assertRefused(await postPayment({ ...body, quantity: undefined }), 'MISSING_PARAMETER', 'quantity');
  });

  test('escrow without logistics: 400 naming logistics', async () => {
    const { body } = paymentExample('create_partner_trade_by_buyer');
    const error = assertRefused(await postPayment({ ...body, logistics: undefined }), 'MISSING_PARAMETER', 'logistics');
    assert.doesNotMatch(error.message, /logistics_type/);
  });

  test('escrow with flat logistics missing its fee: 400 naming logisticsFee', async () => {
    const { body } = paymentExample('create_partner_trade_by_buyer');
    const error = assertRefused(
      await postPayment({ ...body, logistics: undefined, logisticsType: 'EXPRESS', logisticsPayment: 'BUYER_PAY' }),
      'MISSING_PARAMETER', 'logisticsFee',
    );
    assert.doesNotMatch(error.message, /logistics_fee/);
  });

  test('escrow with a logistics option missing its fee: 400 naming logistics, the message naming logistics[1].fee', async () => {
    const { body } = paymentExample('trade_create_by_buyer');
    const options = body.logistics as Record<string, string>[];
    const error = assertRefused(await postPayment({ ...body, logistics: [options[0], { type: 'EMS', payment: 'BUYER_PAY' }] }), 'MISSING_PARAMETER', 'logistics');
    assert.match(error.message, /logistics\[1\]\.fee/);
  });

  test('a missing service says so and lists the services', async () => {
    const { body } = paymentExample('create_direct_pay_by_user');
    const error = assertRefused(await postPayment({ ...body, service: undefined }), 'MISSING_PARAMETER', 'service');
    assert.match(error.message, /^service is required; one of create_direct_pay_by_user, /);
    assert.doesNotMatch(error.message, /undefined/);
  });

  test('the same outTradeNo with a different amount: 409 whose message and fields use the caller\'s names', async () => {
    const { body } = paymentExample('create_direct_pay_by_user');
    assert.equal((await postPayment(body)).status, 201);
    const res = await postPayment({ ...body, totalFee: '1.23' });
    assert.equal(res.status, 409, res.body);
    assert.deepEqual(res.json.error.details, { fields: ['totalFee'] });
    assert.match(res.json.error.message, /different totalFee/);
  });
});

describe('ship, refund and close bodies: the documented names only', () => {
  test('ship with invoice_no: 400 naming invoice_no (did you mean invoiceNo?)', async () => {
    const error = assertRefused(await postShip(newOutTradeNo(), { logisticsName: 'SF', invoice_no: '1', transportType: 'EXPRESS' }), 'UNKNOWN_PARAMETER', 'invoice_no');
    assert.match(error.message, /did you mean invoiceNo\?/);
  });

  test('a refund with request_id: 400 naming request_id (did you mean requestId?)', async () => {
    const error = assertRefused(await postRefund(newOutTradeNo(), { amount: '1.00', reason: 'r', request_id: 'x' }), 'UNKNOWN_PARAMETER', 'request_id');
    assert.match(error.message, /did you mean requestId\?/);
  });

  test('a refund without an amount: 400 naming amount', async () => {
    assertRefused(await postRefund(newOutTradeNo(), { reason: 'r' }), 'MISSING_PARAMETER', 'amount');
  });

  test('close with a field: 400 naming it (close takes no fields)', async () => {
    const error = assertRefused(await postClose(newOutTradeNo(), { body: { reason: 'x' } }), 'UNKNOWN_PARAMETER', 'reason');
    assert.match(error.message, /close takes no fields/);
  });

  test('close with a body that is not JSON: 400 INVALID_JSON', async () => {
    const res = await postClose(newOutTradeNo(), { body: 'reason=x' });
    assert.equal(res.status, 400, res.body);
    assert.equal(res.json.error.code, 'INVALID_JSON');
  });
});
