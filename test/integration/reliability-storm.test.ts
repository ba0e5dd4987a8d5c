// A storm of duplicates: every notification of 1,000 trades delivered 5 times, shuffled, 32 at a time, some copies all
// at once, with notify_verify played both ways Alipay may play it. Nothing lost, nothing applied twice, every order
// at its lifecycle's end, and the notify_verify calls per notify_id reported.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { useTestApp } from '../support/app-env.ts';
import { seeded } from '../reliability/random.ts';
import { lifecyclesOf } from '../reliability/lifecycles.ts';
import { duplicateStorm } from '../reliability/scenarios.ts';
import { describeResult } from '../reliability/report-table.ts';

const { app } = useTestApp();
const ORDERS = Number(process.env.RELIABILITY_STORM_ORDERS ?? 1000);

describe('duplicate storm', () => {
  test(`${ORDERS} orders, every notification 5 times, shuffled, 32 at a time, 25% in bursts`, { timeout: 1_800_000 } /* a hang fails, not a busy machine */, async (t) => {
    const random = seeded();
    const result = await duplicateStorm({ app, realEndpoint: process.env.DYNAMODB_ENDPOINT!, random }, {
      orders: ORDERS, copies: 5, concurrency: 32, burstFraction: 0.25, speedup: 6000, coldStartRate: 0.005,
      lifecycles: lifecyclesOf('instant', 'escrow', 'dual'),
    });
    for (const line of describeResult(result)) t.diagnostic(line);
    assert.deepEqual(result.problems, [], `seed ${random.seed}`);
    // Every copy was sent (more when a copy was answered `fail` and resent: on a busy machine two copies' transactions
    // can collide in DynamoDB Local more often than the handler retries).
    assert.ok(result.deliveries >= 5 * result.notifications, `${result.deliveries} deliveries of ${result.notifications} notifications`);
    assert.ok(result.notifications >= 2 * result.orders);
  });
});
