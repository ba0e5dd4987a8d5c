// Two readings of how Alipay's notify_verify answers for a notify_id (protocol doc §3.4): `true` for as long as anyone
// asks, or `true` until the merchant answered `success` for it and `false` from then on ("invalid once answered").
// The product must lose nothing and apply nothing twice under either.
import type { FakeGateway } from '../support/fake-gateway.ts';
import { type Answer, isSuccess } from './alipay-simulator.ts';

export type VerifyModel = 'true-always' | 'false-after-success';
export const VERIFY_MODELS: readonly VerifyModel[] = ['true-always', 'false-after-success'];

/**
 * Plays `model(notifyId)` on the fake gateway: call it with every answer the simulator sees. Under
 * `false-after-success` the gateway says `false` for an id from the first `success` on.
 */
export function verifyModel(gateway: FakeGateway, model: (notifyId: string) => VerifyModel): (notifyId: string, answer: Answer) => void {
  return (notifyId, answer) => {
    if (isSuccess(answer) && model(notifyId) === 'false-after-success') gateway.answer(notifyId, 'false');
  };
}

/** notify_verify calls per id, min / average / max over `ids`. */
export function verifyCallsPerId(gateway: FakeGateway, ids: Iterable<string>): { min: number; avg: number; max: number; ids: number } {
  const counts = new Map<string, number>();
  const wanted = new Set(ids);
  for (const id of wanted) counts.set(id, 0);
  for (const call of gateway.calls) if (wanted.has(call.notifyId)) counts.set(call.notifyId, counts.get(call.notifyId)! + 1);
  const values = [...counts.values()];
  if (values.length === 0) return { min: 0, avg: 0, max: 0, ids: 0 };
  return {
    min: Math.min(...values), max: Math.max(...values), ids: values.length,
    avg: values.reduce((a, b) => a + b, 0) / values.length,
  };
}
