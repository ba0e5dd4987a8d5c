// After checkout, in a real browser through the local stack: the seller ships an escrow order through the API and
// the buyer confirms; an instant payment is refunded in part, then in full, on the seller's confirmation page; and a
// payment whose notifications are lost for good is recovered by reconciliation.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { handler as reconcileHandler } from '../../functions/reconcile.ts';
import { ARTIFACTS, useE2e } from '../support/e2e.ts';
import { contractFetch } from '../support/openapi-contract.ts';

// Reconciliation here looks at orders of any age (the stack's own default is one minute).
const e = useE2e({ RECONCILE_MIN_AGE_MINUTES: '0' });
const { buy, pay, act, apiOrder, settled, resultOf } = e;

/** A storefront call to the API with its bearer token. */
async function api(method: 'POST' | 'GET', route: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await contractFetch(`${e.stack.apiUrl}${route}`, {
    method,
    headers: { authorization: `Bearer ${e.stack.env.STOREFRONT_TOKEN}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: await res.json() };
}

describe('after checkout, in a real browser', () => {
  test('escrow: the seller ships through the API, Alipay tells us, the buyer confirms: TRADE_FINISHED', async () => {
    const page = await e.browser.newPage();
    const tradeNo = await buy(page, 'tea', 'create_partner_trade_by_buyer', 'utf-8');
    const outTradeNo = await pay(page);
    assert.equal((await settled(outTradeNo)).status, 'WAIT_SELLER_SEND_GOODS');

    const shipped = await api('POST', `/payments/${outTradeNo}/ship`, { logisticsName: '顺丰速运', invoiceNo: 'SF1234567890', transportType: 'EXPRESS' });
    assert.equal(shipped.status, 202, JSON.stringify(shipped.json));
    assert.equal((await settled(outTradeNo)).status, 'WAIT_BUYER_CONFIRM_GOODS', "Alipay's notification moved the order");
    await page.goto(`${e.stack.sandbox.url}/cashier/${tradeNo}`);
    await page.getByText('SF1234567890').first().waitFor(); // the buyer sees the waybill the seller gave
    await act(page, tradeNo, 'confirm');
    const order = await settled(outTradeNo);
    assert.equal(order.status, 'TRADE_FINISHED');
    assert.equal(order.shipment?.invoiceNo, 'SF1234567890');
    await page.close();
  });

  test('instant: refunded in part, then in full, each confirmed by the seller on Alipay\'s page; the buyer\'s page says refunded', async () => {
    const page = await e.browser.newPage();
    await buy(page, 'tea', 'create_direct_pay_by_user', 'utf-8');
    const outTradeNo = await pay(page);
    assert.equal((await settled(outTradeNo)).status, 'TRADE_SUCCESS');

    const confirmOnAlipay = async (amount: string, requestId: string) => {
      const asked = await api('POST', `/payments/${outTradeNo}/refunds`, { amount, reason: '退货 returned', requestId, mode: 'pwd' });
      assert.equal(asked.status, 201, JSON.stringify(asked.json));
      await page.goto(asked.json.confirm.url); // the seller, signed in to Alipay, opens the link
      await page.getByText(asked.json.refund.batchNo).first().waitFor();
      await Promise.all([page.waitForLoadState('load'), page.click('#confirm-refund')]);
      return asked.json.refund.batchNo as string;
    };

    const first = await confirmOnAlipay('20.00', 'partial-1');
    let order = await settled(outTradeNo);
    assert.equal(order.status, 'TRADE_SUCCESS', 'a partial refund keeps the trade open');
    assert.deepEqual(order.refunds?.map((r) => [r.batchNo, r.status]), [[first, 'SUCCESS']]);
    assert.equal((await apiOrder(outTradeNo) as any).refundableFee, '48.00');

    const second = await confirmOnAlipay('48.00', 'rest-2');
    order = await settled(outTradeNo);
    assert.equal(order.status, 'TRADE_CLOSED', 'refunded in full');
    assert.deepEqual(order.refunds?.map((r) => [r.batchNo, r.status]), [[first, 'SUCCESS'], [second, 'SUCCESS']]);
    const shown = await apiOrder(outTradeNo) as any;
    assert.deepEqual([shown.refundedFee, shown.refundableFee], ['68.00', '0.00']);

    await page.goto(`${e.stack.apiUrl}/shop/result?outTradeNo=${outTradeNo}`);
    assert.equal((await resultOf(page)).result, 'refunded', 'never "payment not completed" for money that went back');
    await page.screenshot({ path: path.join(ARTIFACTS, 'result-page-refunded.png'), fullPage: true });
    await page.close();
  });

  test('a payment whose notifications Alipay never delivers, and whose buyer never comes back, is recovered by reconciliation', async () => {
    const page = await e.browser.newPage();
    e.stack.sandbox.setKnobs({ drop: true });
    try {
      const tradeNo = await buy(page, 'tea', 'create_direct_pay_by_user', 'utf-8');
      await page.close(); // the buyer pays in the Alipay app and never returns to the shop
      await e.stack.sandbox.act(tradeNo, 'pay');
      const outTradeNo = e.stack.sandbox.log.find((x) => x.tradeNo === tradeNo && x.outTradeNo)!.outTradeNo!;
      assert.equal((await settled(outTradeNo)).status, 'CREATED', 'nothing arrived: the notification was dropped');

      const run = await reconcileHandler();
      assert.ok(run.advanced >= 1, JSON.stringify(run));
      const order = await e.store.getOrder(outTradeNo);
      assert.equal(order?.status, 'TRADE_SUCCESS');
      assert.deepEqual(order?.history.map((h) => h.source), ['query']);
      assert.equal((await apiOrder(outTradeNo)).paidFee, '68.00');
    } finally {
      e.stack.sandbox.setKnobs({ drop: false });
    }
  });
});
