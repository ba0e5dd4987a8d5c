// The buyer's return and Alipay's notify for the same payment, at the same moment, many times over: the payment is
// applied once, the order ends right, and the return page never says paid for a trade that is not paid (a return
// notify_verify disowns or cannot confirm, or one too old to confirm, shows the stored status).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { useTestApp } from '../support/app-env.ts';
import { seeded } from '../reliability/random.ts';
import { describeResult } from '../reliability/report-table.ts';
import { returnNotifyRace } from '../reliability/scenarios.ts';

const { app, logs } = useTestApp();

describe('return and notify race', () => {
  test('64 trades (8 kinds, paid and not): 3 notify copies and 2 return page loads at once each', { timeout: 1_200_000 }, async (t) => {
    const random = seeded();
    const result = await returnNotifyRace({ app, logs, realEndpoint: process.env.DYNAMODB_ENDPOINT!, random }, {
      orders: 64, concurrency: 16, notifyCopies: 3, returnLoads: 2,
    });
    for (const line of describeResult(result)) t.diagnostic(line);
    assert.deepEqual(result.problems, [], `seed ${random.seed}`);
    // Both sides really ran: every notification was answered (a copy that met passing trouble, such as a transaction
    // conflict with its racing return, answered fail and was sent again, as Alipay would), every return page loaded twice.
    assert.ok(result.maxDeliveriesToConverge >= 1 && result.maxDeliveriesToConverge <= 8, `converged at send ${result.maxDeliveriesToConverge}`);
    assert.ok(result.deliveries >= 3 * result.notifications + 2 * result.orders, `${result.deliveries} deliveries`);
  });
});
