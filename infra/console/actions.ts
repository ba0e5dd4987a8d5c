// What the console may do to an order: the use cases the API and the CLI run (close, ship, refund, replay, reconcile
// now), built from the handlers' app for the console's target. Each has a dry run where the use case has one, which the
// confirmation page shows before anything is written.
import { randomUUID } from 'node:crypto';
import { type App } from '../../shared/app.ts';
import { Deadline } from '../../shared/deadline.ts';
import { operationDeps, reconcileDeps } from '../../shared/gateway-calls.ts';
import type { Order } from '../../shared/orders/order.ts';
import { closePayment, type RefundAnswer, refundAskFrom, refundPayment, shipmentFrom, shipPayment } from '../../shared/payments/operations.ts';
import { reconcileOne, type ReconcileOutcome } from '../../shared/payments/reconcile.ts';
import { type Replay, replayRecord } from '../../shared/payments/replay.ts';

export type ActionName = 'close' | 'ship' | 'refund' | 'replay' | 'reconcile';
export const ACTION_NAMES: readonly ActionName[] = ['close', 'ship', 'refund', 'replay', 'reconcile'];

export interface ConsoleActions {
  close(outTradeNo: string): Promise<Order>;
  /** `fields`: logisticsName, invoiceNo, transportType as the API takes them. */
  ship(outTradeNo: string, fields: Record<string, string>): Promise<Order>;
  /** `fields`: amount (yuan), reason, mode, requestId as the API takes them. */
  refund(outTradeNo: string, fields: Record<string, string>): Promise<RefundAnswer>;
  replay(eventId: string, apply: boolean): Promise<Replay>;
  reconcile(outTradeNo: string, dryRun: boolean): Promise<{ outcome: ReconcileOutcome; detail: string }>;
  /** Where the key comes from, in words (never the key). */
  keySource: string;
}

/** One console action's budget, as for an operator command. */
const deadline = () => new Deadline(300_000);

/** The actions over an app that was built with the key (`openApp(target, true)` or the local stack's). */
export function consoleActions(app: App, keySource: string): ConsoleActions {
  return {
    keySource,
    close: (outTradeNo) => closePayment(operationDeps(app), outTradeNo, deadline()),
    ship: (outTradeNo, fields) => shipPayment(operationDeps(app), outTradeNo, shipmentFrom(withoutEmpty(fields, ['invoiceNo']), app.now()), deadline()),
    refund: (outTradeNo, fields) =>
      refundPayment(operationDeps(app), outTradeNo, refundAskFrom(withoutEmpty(fields, ['requestId', 'mode']), app.config.refundMode, randomUUID().replaceAll('-', '')), deadline()),
    replay: (eventId, apply) => replayRecord(app.receiveDeps, eventId, { apply, deadline: deadline() }),
    reconcile: (outTradeNo, dryRun) => reconcileOne(reconcileDeps(app), outTradeNo, { deadline: deadline(), dryRun }),
  };
}

/** A form's empty optional fields are absent, as in a JSON body that leaves them out. */
export function withoutEmpty(fields: Record<string, string>, optional: string[]): Record<string, string> {
  const out = { ...fields };
  for (const name of optional) if (out[name] === '') delete out[name];
  return out;
}
