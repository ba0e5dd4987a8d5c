// Copies of one notification in one process cost one notify_verify request (shared/app.ts `coalesced`).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { coalesced } from '../../shared/app.ts';
import type { NotifyVerifyAnswer } from '../../shared/alipay/gateway-client.ts';

const signal = new AbortController().signal;

/** A notify_verify that answers when told to, and counts the requests. */
function gateway() {
  const asked: string[] = [];
  const pending: Array<(a: NotifyVerifyAnswer) => void> = [];
  const ask = (id: string) => {
    asked.push(id);
    return new Promise<NotifyVerifyAnswer>((resolve) => pending.push(resolve));
  };
  return { asked, ask, answer: (a: NotifyVerifyAnswer) => pending.splice(0).forEach((r) => r(a)) };
}

describe('coalesced notify_verify', () => {
  test('concurrent copies share one request and its answer', async () => {
    const g = gateway();
    const verify = coalesced(g.ask);
    const answers = Promise.all([verify('n1', signal), verify('n1', signal), verify('n1', signal)]);
    g.answer('true');
    assert.deepEqual(await answers, ['true', 'true', 'true']);
    assert.deepEqual(g.asked, ['n1']);
  });

  test('a true is remembered, so a later copy is not told false after the first was answered success', async () => {
    const g = gateway();
    const verify = coalesced(g.ask);
    const first = verify('n1', signal);
    g.answer('true');
    assert.equal(await first, 'true');
    assert.equal(await verify('n1', signal), 'true');
    assert.deepEqual(g.asked, ['n1']);
  });

  test('false, invalid and errors are not remembered: the next delivery asks again', async () => {
    const g = gateway();
    const verify = coalesced(g.ask);
    const first = verify('n1', signal);
    g.answer('false');
    assert.equal(await first, 'false');
    const second = verify('n1', signal);
    g.answer('true');
    assert.equal(await second, 'true');
    const failing = coalesced(async () => {
      throw new Error('timeout');
    });
    await assert.rejects(failing('n2', signal), /timeout/);
    await assert.rejects(failing('n2', signal), /timeout/);
    assert.deepEqual(g.asked, ['n1', 'n1']);
  });

  test('memory stays bounded: the oldest remembered ids are forgotten first', async () => {
    let asked = 0;
    const verify = coalesced(async () => {
      asked++;
      return 'true';
    }, { maxRemembered: 3 });
    for (const id of ['a', 'b', 'c', 'd']) await verify(id, signal);
    await verify('d', signal);
    assert.equal(asked, 4);
    await verify('a', signal);
    assert.equal(asked, 5, 'a was forgotten');
  });
});
