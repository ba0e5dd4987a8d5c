// Notifications in any order, some of them more than once: the order ends exactly where in-order delivery ends it,
// and that is where the lifecycle itself ends (its last state; the amount paid if the buyer ever paid). Thousands of
// orders through decide() on the events the notify path reads, and a smaller number through the real handler.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { useTestApp } from '../support/app-env.ts';
import { endProblems } from '../reliability/audit.ts';
import { applyInOrder, domainEvents, domainOrder } from '../reliability/domain.ts';
import { LIFECYCLES, planTrade } from '../reliability/lifecycles.ts';
import { deliveryOrder } from '../reliability/orderings.ts';
import { seeded } from '../reliability/random.ts';
import { describeResult } from '../reliability/report-table.ts';
import { endState, reorderedDelivery } from '../reliability/scenarios.ts';

const { app } = useTestApp();

describe('any delivery order, pure domain (decide on the events read from the signed notifications)', () => {
  for (const lifecycle of LIFECYCLES) {
    test(`${lifecycle.name}: ${lifecycle.states.map((s) => s.tradeStatus + (s.refund ? `/${s.refund.status}` : '')).join(' > ')}`, async () => {
      const { order, paidFee } = await domainOrder(lifecycle.service);
      const plan = planTrade(lifecycle, { outTradeNo: order.outTradeNo, paidFee });
      const events = domainEvents(plan);
      const inOrder = applyInOrder(order, events);
      assert.deepEqual(endProblems(plan, inOrder), [], 'delivered in order');
      fc.assert(
        fc.property(deliveryOrder(events.length), (sequence) => {
          const end = applyInOrder(order, sequence.map((i) => events[i]!));
          assert.deepEqual(endState(end), endState(inOrder), `delivered as [${sequence.join(' ')}]`);
          assert.deepEqual(endProblems(plan, end), [], `delivered as [${sequence.join(' ')}]`);
        }),
        { numRuns: 300 },
      );
    });
  }
});

describe('any delivery order, through the notify handler', () => {
  test(`every lifecycle in order, then in 4 orders drawn by fast-check each, one send at a time`, { timeout: 1_200_000 }, async (t) => {
    const random = seeded();
    const result = await reorderedDelivery({ app, realEndpoint: process.env.DYNAMODB_ENDPOINT!, random }, { runsPerLifecycle: 4, concurrency: 16 });
    for (const line of describeResult(result)) t.diagnostic(line);
    assert.deepEqual(result.problems, [], `seed ${random.seed}`);
    assert.equal(result.orders, LIFECYCLES.length * 5);
  });
});
