// The whole happy path per service and charset: POST /payments -> Alipay's signed notifications -> GET /payments/{id}.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseYuan } from '../../shared/alipay/amount.ts';
import type { Charset } from '../../shared/alipay/charset.ts';
import { SERVICE_NAMES } from '../../shared/alipay/services.ts';
import { notification, TEST_PARTNER, tradeNoFor } from '../support/alipay-messages.ts';
import { getPayment, postNotify } from '../support/api.ts';
import { useTestApp } from '../support/app-env.ts';
import { createOrder } from '../support/payments.ts';

const { app } = useTestApp();

describe('a paid order, service by service, in both charsets', () => {
  for (const service of SERVICE_NAMES) {
    for (const charset of ['utf-8', 'gbk'] as const satisfies readonly Charset[]) {
      test(`${service}, ${charset}: Alipay's notifications (Chinese subject, base64 as API Gateway sends) mark it paid`, async () => {
        const order = await createOrder(service, charset === 'gbk' ? { charset } : {});
        // Escrow: paid into escrow, then finished when the buyer confirms. Instant: paid at once.
        const statuses = order.kind === 'escrow' ? ['WAIT_SELLER_SEND_GOODS', 'TRADE_FINISHED'] : ['TRADE_SUCCESS'];
        for (const tradeStatus of statuses) {
          const message = notification({ outTradeNo: order.outTradeNo, tradeStatus, totalFee: order.paidFee }, { charset });
          if (charset === 'gbk') assert.ok(!message.bytes.toString('latin1').includes('%E6%B5%8B'), 'the subject is GBK, not UTF-8');
          const res = await postNotify(message, { charset });
          assert.equal(res.status, 200);
          assert.equal(res.headers['content-type'], 'text/plain');
          assert.equal(res.body, 'success');
          assert.equal(app.gateway.callCount(message.notifyId), 1);
          assert.equal(app.gateway.calls.at(-1)!.partner, TEST_PARTNER);
        }

        const status = await getPayment(order.outTradeNo);
        assert.equal(status.status, 200, status.body);
        assert.equal(status.json.outTradeNo, order.outTradeNo);
        assert.equal(status.json.service, service);
        assert.equal(status.json.status, statuses.at(-1));
        assert.equal(status.json.totalFee, order.totalFeeBeforePayment ?? order.paidFee);
        assert.equal(status.json.tradeNo, tradeNoFor(order.outTradeNo));
        assert.deepEqual(status.json.anomalies, []);

        const stored = await app.getOrder(order.outTradeNo);
        assert.equal(stored!.paidFen, parseYuan(order.paidFee, 'paidFee'));
        assert.equal(stored!.charset, charset);
        assert.deepEqual(stored!.history.map((h) => h.status), statuses);
        assert.equal(stored!.version, 1 + statuses.length);
      });
    }
  }
});
