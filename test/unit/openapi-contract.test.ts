// The API document (infra/api/openapi.json) and the check every test's API exchange goes through: the check catches
// an answer or an accepted request that breaks the document, and the document says what the code does.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SERVICE_NAMES } from '../../shared/alipay/services.ts';
import type { AnomalyCode } from '../../shared/orders/order.ts';
import { storefrontNames } from '../../shared/payments/storefront-request.ts';
import { ROUTES } from '../../infra/local/routes.ts';
import { OPENAPI_ROUTE } from '../../infra/local/openapi-route.ts';
import { apiContract, ContractViolation, type Exchange } from '../support/openapi-contract.ts';

const contract = apiContract();
const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' };

/** GET /payments/{outTradeNo} answering `order`. */
const orderAnswer = (order: unknown, status = 200, headers: Record<string, string> = JSON_TYPE): Exchange => ({
  method: 'GET', path: '/payments/T1', requestHeaders: { authorization: 'Bearer x' }, status, headers, body: JSON.stringify(order),
});
const PAID = {
  outTradeNo: 'T1', service: 'create_direct_pay_by_user', status: 'TRADE_SUCCESS', totalFee: '88.88', paidFee: '88.88', tradeNo: '2026113021001004',
  refundedFee: '0.00', refundableFee: '88.88', anomalies: [], updatedAt: '2026-11-30T04:00:00.000Z',
};
const violates = (x: Exchange, why: RegExp) => assert.throws(() => contract.check(x), (e: unknown) => e instanceof ContractViolation && why.test(e.message));

describe('the contract check', () => {
  test('an answer as documented passes', () => {
    contract.check(orderAnswer(PAID));
    contract.check(orderAnswer({ ...PAID, paidFee: undefined, refundedFee: undefined, refundableFee: undefined, status: 'CREATED', totalFee: null }));
  });

  test('an answer with a field the document does not describe fails', () => {
    violates(orderAnswer({ ...PAID, partner: '2088101568358171' }), /must NOT have additional properties.*partner/);
  });

  test('an answer missing a documented required field, or with a value of another type, fails', () => {
    violates(orderAnswer({ ...PAID, status: undefined }), /must have required property 'status'/);
    violates(orderAnswer({ ...PAID, paidFee: 88.88 }), /\/paidFee must be string/);
    violates(orderAnswer({ ...PAID, status: 'PAID' }), /\/status must be equal to one of the allowed values/);
  });

  test('a status or content type the operation does not document fails', () => {
    violates(orderAnswer(PAID, 201), /status 201 is not documented for GET \/payments\/\{outTradeNo\}/);
    violates(orderAnswer(PAID, 200, { 'content-type': 'text/html' }), /content type "text\/html" is not documented/);
  });

  test('an error whose code is not one of that status\'s codes fails', () => {
    violates(orderAnswer({ error: { code: 'NOT_CLOSABLE', message: 'x' } }, 404), /\/error\/code must be equal to one of the allowed values/);
    contract.check(orderAnswer({ error: { code: 'ORDER_NOT_FOUND', message: 'no order T1', field: 'outTradeNo' } }, 404));
  });

  test('a request the document refuses may be refused (4xx), never accepted', () => {
    const request = {
      method: 'POST', path: '/payments', requestHeaders: { 'content-type': 'application/json' },
      requestBody: JSON.stringify({ service: 'create_direct_pay_by_user', outTradeNo: 'a', out_trade_no: 'b', subject: 's', totalFee: '1.00' }),
    };
    const form = { action: 'https://mapi.alipay.com/gateway.do?_input_charset=utf-8', method: 'POST', fields: { service: 'create_direct_pay_by_user', partner: '2088101568358171', _input_charset: 'utf-8', sign: 'x', sign_type: 'MD5' }, acceptCharset: 'utf-8' };
    violates({ ...request, status: 201, headers: JSON_TYPE, body: JSON.stringify({ outTradeNo: 'a', gatewayUrl: 'https://mapi.alipay.com/gateway.do?x=1', form }) }, /accepted a request its document refuses/);
    contract.check({ ...request, status: 400, headers: JSON_TYPE, body: JSON.stringify({ error: { code: 'UNKNOWN_PARAMETER', message: 'out_trade_no …', field: 'out_trade_no' } }) });
  });

  test('a route the document does not have fails', () => {
    violates({ method: 'DELETE', path: '/payments/T1', status: 200, headers: JSON_TYPE, body: '{}' }, /DELETE \/payments\/\{outTradeNo\} is not in the API document/);
  });
});

describe('the document says what the code does', () => {
  test('its routes are the API\'s routes (and GET /openapi.json)', () => {
    const documented = Object.entries(contract.doc.paths).flatMap(([p, item]) => Object.keys(item as object).filter((k) => k !== 'parameters').map((m) => `${m.toUpperCase()} ${p}`));
    assert.deepEqual(documented.sort(), [...ROUTES, OPENAPI_ROUTE].map((r) => r.routeKey).sort());
  });

  for (const service of SERVICE_NAMES) {
    test(`the fields of a ${service} request are the ones the code takes`, () => {
      const schemas = contract.doc.components.schemas;
      const schema = [schemas.InstantPaymentRequest, schemas.EscrowPaymentRequest].find((s) => s.properties.service.enum.includes(service));
      assert.ok(schema, `no request schema for ${service}`);
      assert.deepEqual(Object.keys(schema.properties).sort(), storefrontNames(service).sort());
    });
  }

  test('its anomaly codes are the domain\'s (a code decide can record is never a contract violation)', () => {
    // The compiler checks this table has every AnomalyCode and no other key.
    const codes: Record<AnomalyCode, true> = {
      amount_mismatch: true, amount_missing: true, seller_mismatch: true, partner_mismatch: true, trade_no_mismatch: true,
      notify_id_reused: true, echo_mismatch: true, ambiguous_message: true, paid_after_close: true, unknown_refund: true,
      refund_mismatch: true, unknown_order: true, unexpected_status: true, unknown_trade_status: true,
    };
    assert.deepEqual([...contract.doc.components.schemas.Anomaly.properties.code.enum].sort(), Object.keys(codes).sort());
  });

  test('every schema compiles (Ajv strict, JSON Schema 2020-12) and every $ref resolves', () => {
    for (const name of Object.keys(contract.doc.components.schemas)) contract.problems({ $ref: `#/components/schemas/${name}` }, {});
    const refs = JSON.stringify(contract.doc).match(/"\$ref":"[^"]+"/g) ?? [];
    for (const ref of new Set(refs)) {
      const target = JSON.parse(`{${ref}}`).$ref.slice(2).split('/').reduce((n: any, k: string) => n?.[k], contract.doc);
      assert.ok(target, `${ref} resolves`);
    }
  });
});
