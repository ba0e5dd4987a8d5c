// The storefront's JSON as Alipay parameters: names mapped, logistics lists flattened, and nothing slipped in sideways.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { toAlipayParams } from '../../shared/payments/storefront-request.ts';
import { assertAlipayError } from '../support/assert-alipay-error.ts';

const ESCROW = { service: 'create_partner_trade_by_buyer', outTradeNo: 'E-1', subject: 'tea', price: '10.00', quantity: '1' };
const OPTION = { type: 'EXPRESS', fee: '10.00', payment: 'BUYER_PAY' };

describe('toAlipayParams', () => {
  test('camelCase names become Alipay names; a logistics list becomes logistics_type, _1, …', () => {
    const { params } = toAlipayParams({ ...ESCROW, logistics: [OPTION, { type: 'EMS', fee: '20.00', payment: 'SELLER_PAY' }] });
    assert.deepEqual({ ...params }, {
      out_trade_no: 'E-1', subject: 'tea', price: '10.00', quantity: '1',
      logistics_type: 'EXPRESS', logistics_fee: '10.00', logistics_payment: 'BUYER_PAY',
      logistics_type_1: 'EMS', logistics_fee_1: '20.00', logistics_payment_1: 'SELLER_PAY',
    });
  });

  test('the parameters have no prototype, so no name can reach Object.prototype', () => {
    assert.equal(Object.getPrototypeOf(toAlipayParams(ESCROW).params), null);
  });

  for (const key of ['__proto__', 'constructor', 'prototype', '_Proto__']) {
    test(`"${key}" as a key (as JSON.parse makes it: an own property) is refused, naming it`, () => {
      const body = JSON.parse(`{"service":"create_direct_pay_by_user","${key}":{"seller_id":"2088101568358171"}}`);
      const err = assertAlipayError(() => toAlipayParams(body), 'UNKNOWN_PARAMETER', key);
      assert.match(err.message, /not a field of a payment request/);
    });
  }

  test('a logistics option with a key other than type, fee, payment is refused, naming logistics', () => {
    const body = JSON.parse(`{"service":"create_partner_trade_by_buyer","logistics":[{"type":"EMS","__proto__":{"fee":"1.00"}}]}`);
    const err = assertAlipayError(() => toAlipayParams(body), 'UNKNOWN_PARAMETER', 'logistics');
    assert.match(err.message, /logistics\[0\]\.__proto__/);
  });

  test('a logistics option that is not an object is refused, naming logistics', () => {
    assertAlipayError(() => toAlipayParams({ ...ESCROW, logistics: ['EXPRESS'] }), 'INVALID_PARAMETER', 'logistics');
    assertAlipayError(() => toAlipayParams({ ...ESCROW, logistics: [null] }), 'INVALID_PARAMETER', 'logistics');
  });

  for (const name of ['logisticsType', 'logisticsFee', 'logisticsPayment', 'logisticsType1', 'logisticsFee3']) {
    test(`${name} together with logistics is refused whichever comes first, naming logistics`, () => {
      assertAlipayError(() => toAlipayParams({ ...ESCROW, [name]: 'x', logistics: [OPTION] }), 'CONFLICTING_PARAMETERS', 'logistics');
      assertAlipayError(() => toAlipayParams({ ...ESCROW, logistics: [OPTION], [name]: 'x' }), 'CONFLICTING_PARAMETERS', 'logistics');
    });
  }
});
