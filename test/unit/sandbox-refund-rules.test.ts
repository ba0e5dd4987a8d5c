// The sandbox's reading of a refund request (protocol doc §5.4), before any trade is looked at: what it accepts, and
// each refusal with its code. No product code in the loop. A fixed clock: 2016-09-24 15:03:07 in Beijing.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { GatewayRefusal } from '../../infra/local/sandbox/alipay-rules.ts';
import { isRefundRequest, readRefundRequest, type RefundRequest } from '../../infra/local/sandbox/refund-rules.ts';

const NOW = new Date('2016-09-24T07:03:07Z'); // 15:03:07 in Beijing
const TRADE = '2016092421001004380280045538';
const OTHER_TRADE = '2016092421001004380280045539';

function request(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const params: Record<string, string | undefined> = {
    service: 'refund_fastpay_by_platform_pwd',
    partner: '2088101568358171',
    _input_charset: 'utf-8',
    notify_url: 'https://shop.example.com/alipay/notify',
    seller_user_id: '2088101568358171',
    refund_date: '2016-09-24 15:03:00',
    batch_no: '2016092400000001',
    batch_num: '1',
    detail_data: `${TRADE}^1.50^协商退款 agreed refund`,
    ...overrides,
  };
  return Object.fromEntries(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined));
}

const read = (overrides: Record<string, string | undefined> = {}, opts: { charset?: 'utf-8' | 'gbk'; now?: Date; nopwd?: boolean } = {}) =>
  readRefundRequest(opts.nopwd ? 'refund_fastpay_by_platform_nopwd' : 'refund_fastpay_by_platform_pwd', request(overrides), opts.charset ?? 'utf-8', opts.now ?? NOW);

function accepted(overrides: Record<string, string | undefined> = {}, opts: Parameters<typeof read>[1] = {}): RefundRequest {
  const r = read(overrides, opts);
  assert.ok(isRefundRequest(r), `accepted, got ${JSON.stringify(r)}`);
  return r;
}

function refused(overrides: Record<string, string | undefined>, code: string, reason?: RegExp, opts: Parameters<typeof read>[1] = {}): GatewayRefusal {
  const r = read(overrides, opts);
  assert.ok(!isRefundRequest(r), `refused with ${code}, but accepted`);
  assert.equal(r.code, code, r.reason);
  if (reason) assert.match(r.reason, reason);
  return r;
}

describe('a refund request the gateway accepts', () => {
  test('reads batch, seller, notify_url and the items; amounts in two decimals', () => {
    const r = accepted({ batch_num: '2', detail_data: `${TRADE}^1.5^协商退款#${OTHER_TRADE}^2^` });
    assert.equal(r.batchNo, '2016092400000001');
    assert.deepEqual(r.seller, { by: 'seller_user_id', value: '2088101568358171' });
    assert.equal(r.notifyUrl, 'https://shop.example.com/alipay/notify');
    assert.deepEqual(r.items, [{ tradeNo: TRADE, amount: '1.50', reason: '协商退款' }, { tradeNo: OTHER_TRADE, amount: '2.00', reason: '' }]);
  });

  test('seller_user_id wins over seller_email; seller_email alone names the seller; notify_url may be left out', () => {
    assert.deepEqual(accepted({ seller_email: 'seller@example.com' }).seller, { by: 'seller_user_id', value: '2088101568358171' });
    assert.deepEqual(accepted({ seller_user_id: undefined, seller_email: 'seller@example.com' }).seller, { by: 'seller_email', value: 'seller@example.com' });
    assert.equal(accepted({ notify_url: undefined }).notifyUrl, undefined);
  });

  test('a batch serial of 3 to 24 letters or digits', () => {
    accepted({ batch_no: '20160924abc' });
    accepted({ batch_no: `20160924${'Z9'.repeat(12)}` });
  });

  test('"today" in Beijing, with 10 minutes either side of midnight for a request made just before it', () => {
    const justAfterMidnight = new Date('2016-09-24T16:05:00Z'); // 00:05 on the 25th in Beijing
    accepted({}, { now: justAfterMidnight }); // dated the 24th
    accepted({ batch_no: '2016092500000001', refund_date: '2016-09-25 00:04:59' }, { now: justAfterMidnight });
    refused({}, 'REFUND_DATE_ERROR', /refund_date 2016-09-24 15:03:00 is not today: it is 2016-09-25 in Beijing/, { now: new Date('2016-09-24T16:20:00Z') });
  });

  test('a reason of 256 bytes in the request\'s charset: 86 Chinese characters are too long in UTF-8, not in GBK', () => {
    accepted({ detail_data: `${TRADE}^1.00^${'a'.repeat(256)}` });
    const chinese = '退'.repeat(86);
    refused({ detail_data: `${TRADE}^1.00^${chinese}` }, 'SINGLE_DETAIL_DATA_EXCEED_LIMIT', /258 bytes in utf-8, more than 256/);
    assert.equal(accepted({ detail_data: `${TRADE}^1.00^${chinese}` }, { charset: 'gbk' }).items[0]!.reason, chinese);
  });
});

describe('each refusal, with its code', () => {
  test('ILLEGAL_ARGUMENT: a required parameter missing, no seller, a seller_user_id that is no id, a notify_url with "?"', () => {
    for (const name of ['_input_charset', 'batch_no', 'refund_date', 'batch_num', 'detail_data']) {
      refused({ [name]: undefined }, 'ILLEGAL_ARGUMENT', new RegExp(`^${name} is required`));
    }
    refused({ seller_user_id: undefined }, 'ILLEGAL_ARGUMENT', /needs the seller: seller_user_id or seller_email/);
    refused({ seller_user_id: 'seller@example.com' }, 'ILLEGAL_ARGUMENT', /16 digits starting with 2088/);
    refused({ notify_url: 'https://shop.example.com/notify?id=1' }, 'ILLEGAL_ARGUMENT', /without custom parameters/);
  });

  test('BATCH_NO_FORMAT_ERROR: the serial 000, too short or long, not letters and digits, not a date', () => {
    for (const batchNo of ['20160924000', '2016092412', `20160924${'1'.repeat(25)}`, '20160924abc-1', '20160931001', 'abcdefgh001']) {
      refused({ batch_no: batchNo }, 'BATCH_NO_FORMAT_ERROR', /yyyyMMdd and 3 to 24 letters or digits/);
    }
  });

  test('REFUND_DATE_ERROR: refund_date not yyyy-MM-dd HH:mm:ss or not today; batch_no not dated today', () => {
    refused({ refund_date: '2016/09/24 15:03:00' }, 'REFUND_DATE_ERROR', /must be the current time as yyyy-MM-dd HH:mm:ss/);
    refused({ refund_date: '2016-09-24 25:03:00' }, 'REFUND_DATE_ERROR');
    refused({ refund_date: '2016-09-23 15:03:00' }, 'REFUND_DATE_ERROR', /is not today/);
    refused({ batch_no: '2016092300000001' }, 'REFUND_DATE_ERROR', /batch_no 2016092300000001 starts with 20160923, not today's date: it is 2016-09-24/);
  });

  test('BATCH_NUM_ERROR, BATCH_NUM_EXCEED_LIMIT and BATCH_NUM_NOT_EQUAL_TOTAL', () => {
    for (const n of ['0', 'one', '1.0', '-1']) refused({ batch_num: n }, 'BATCH_NUM_ERROR');
    refused({ batch_num: '1001' }, 'BATCH_NUM_EXCEED_LIMIT', /more than 1000/);
    const items = Array.from({ length: 1001 }, (_, i) => `${String(i).padStart(28, '1')}^0.01^r`).join('#');
    refused({ batch_num: '1000', detail_data: items }, 'BATCH_NUM_EXCEED_LIMIT', /1001 items, more than 1000/);
    refused({ batch_num: '2' }, 'BATCH_NUM_NOT_EQUAL_TOTAL', /batch_num is 2 but detail_data has 1 item/);
  });

  test('DETAIL_DATA_FORMAT_ERROR: not trade_no^amount^reason, or "$" in it; a royalty ("|") is PWD_REFUND_NOT_ALLOW_ROYALTY for _pwd', () => {
    for (const item of [`${TRADE}^1.00`, `${TRADE}^1.00^why^not`, `^1.00^why`, `${TRADE}^1.00^costs $5`]) {
      refused({ detail_data: item }, 'DETAIL_DATA_FORMAT_ERROR', /is not trade_no\^amount\^reason/);
    }
    const royalty = `${TRADE}^1.00^why|2088101568358172^0.10^share`;
    refused({ detail_data: royalty }, 'PWD_REFUND_NOT_ALLOW_ROYALTY');
    refused({ detail_data: royalty }, 'DETAIL_DATA_FORMAT_ERROR', /does not simulate royalties/, { nopwd: true });
  });

  test('REFUND_AMOUNT_NOT_VALID: not yuan with at most 2 decimals, or zero', () => {
    for (const amount of ['1.001', '0.00', '0', '-1.00', '1,00', '', '100000000.01']) {
      refused({ detail_data: `${TRADE}^${amount}^why` }, 'REFUND_AMOUNT_NOT_VALID');
    }
  });

  test('DUBL_TRADE_NO_IN_SAME_BATCH', () => {
    refused({ batch_num: '2', detail_data: `${TRADE}^1.00^a#${TRADE}^2.00^b` }, 'DUBL_TRADE_NO_IN_SAME_BATCH', /in this batch twice \(item 2/);
  });
});
