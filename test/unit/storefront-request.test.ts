// The storefront's JSON as Alipay parameters: names mapped, logistics lists flattened, and nothing slipped in sideways.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { AlipayError } from '../../shared/alipay/errors.ts';
import { closestName } from '../../shared/payments/field-names.ts';
import { inCallerTerms, toAlipayParams } from '../../shared/payments/storefront-request.ts';
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

describe('names: the documented camelCase ones only', () => {
  test('the closest documented name: another case or spelling, or a typo away; nothing for a name far from all', () => {
    const known = ['outTradeNo', 'totalFee', 'subject', 'logisticsFee1'];
    assert.equal(closestName('out_trade_no', known), 'outTradeNo');
    assert.equal(closestName('OUTTRADENO', known), 'outTradeNo');
    assert.equal(closestName('logistics_fee_1', known), 'logisticsFee1');
    assert.equal(closestName('subjct', known), 'subject');
    assert.equal(closestName('colour', known), undefined);
    assert.equal(closestName('', known), undefined);
  });

  test('a snake_case name is refused even beside its camelCase twin, naming it and its twin', () => {
    const err = assertAlipayError(() => toAlipayParams({ ...ESCROW, out_trade_no: 'E-2' }), 'UNKNOWN_PARAMETER', 'out_trade_no');
    assert.match(err.message, /^out_trade_no \(did you mean outTradeNo\?\) is not a field of a payment request for create_partner_trade_by_buyer/);
  });

  test('a missing service says so, listing the services', () => {
    const err = assertAlipayError(() => toAlipayParams({ outTradeNo: 'a' }), 'MISSING_PARAMETER', 'service');
    assert.equal(err.message, 'service is required; one of create_direct_pay_by_user, create_partner_trade_by_buyer, trade_create_by_buyer, create_digital_goods_trade_p, create_donate_trade_p');
  });

  test('an Alipay rule\'s error is told in the caller\'s names', () => {
    const body = { ...ESCROW, logistics: [OPTION, { type: 'EMS', payment: 'BUYER_PAY' }] };
    const told = inCallerTerms(new AlipayError('MISSING_PARAMETER', 'logistics alternative 1 needs logistics_type_1, logistics_fee_1 and logistics_payment_1: logistics_fee_1 is missing', 'logistics_fee_1'), body);
    assert.equal(told.field, 'logistics');
    assert.equal(told.message, 'logistics alternative 1 needs logistics[1].type, logistics[1].fee and logistics[1].payment: logistics[1].fee is missing');
    const flat = inCallerTerms(new AlipayError('INVALID_PARAMETER', 'total_fee "x" is invalid', 'total_fee'), { totalFee: 'x' });
    assert.deepEqual([flat.field, flat.message], ['totalFee', 'totalFee "x" is invalid']);
  });
});
