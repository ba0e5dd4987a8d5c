// `alipay replay <eventId>`: a stored message through today's code — signature, event, decision on the current
// order — printed as a dry run, or written with --apply.
import { formatYuan } from '../../../shared/alipay/amount.ts';
import type { Decision } from '../../../shared/orders/decide.ts';
import { isRefundResult, type Order, type OrderEvent } from '../../../shared/orders/order.ts';
import type { ProcessResult } from '../../../shared/payments/process-event.ts';
import { type Replay, replayRecord, type ReplayedEvent } from '../../../shared/payments/replay.ts';
import { type Command, EXIT, parseFlags } from '../command.ts';
import { fields } from '../order-text.ts';
import { CommandFailure, onTarget, TARGET_FLAGS, TARGET_HELP, targetOptions, type TargetOptions } from '../target.ts';
import { cliDeadline, openApp } from '../wiring.ts';

interface ReplayOptions {
  eventId: string;
  apply: boolean;
  json: boolean;
  target: TargetOptions;
}

export const replay: Command<ReplayOptions> = {
  name: 'replay',
  synopsis: 'replay <eventId> [--apply] [--json]',
  summary: "a stored message through today's code; a dry run unless --apply",
  help: `usage: npm run --silent alipay -- replay <eventId> [--apply] [--json] [where]

Runs a stored message (an event id from \`notifications\`: a notify_id, query#…, rejected#…, suspect#…) through the
current code: checks its signature with the key, reads the trade event from it, and decides against the order as
it is now. Prints the decision; writes nothing.
  --apply   write it: a new event record replay#<eventId>#<time> and the decided order over the version read (one
            transaction, as for a notification; a race decides again). notify_verify is not asked: Alipay no longer
            confirms a notify_id it was answered \`success\` for, so replay only what you trust the signature of.
Notify and return messages are verified with the key; a single_trade_query answer has no signature to check; the
records of our own commands (close, ship, refund_request) are not news from Alipay and cannot be replayed.
Exit 0 replayed (whatever the decision), 1 no such record, or a message that does not verify or cannot be read.

${TARGET_HELP}`,
  parse(argv) {
    const { values, positionals } = parseFlags(argv, { apply: { type: 'boolean' }, json: { type: 'boolean' }, ...TARGET_FLAGS }, ['eventId']);
    return { eventId: positionals[0]!, apply: values.apply === true, json: values.json === true, target: targetOptions(values) };
  },
  run: (opts, io) => onTarget(opts.target, async (target) => {
    const app = await openApp(target, true);
    const result = await replayRecord(app.receiveDeps, opts.eventId, { apply: opts.apply, deadline: cliDeadline() });
    if (result.kind === 'not_found') throw new CommandFailure(`no event record ${opts.eventId} in ${target.label}: take an event id from \`notifications <outTradeNo>\``);
    io.out(opts.json ? JSON.stringify({ ...replayJson(result), key: target.keySource }, null, 2) : formatReplay(result, target.keySource));
    return result.kind === 'replayed' ? EXIT.ok : EXIT.failed;
  }),
};

export function formatReplay(r: Exclude<Replay, { kind: 'not_found' }>, keySource: string): string {
  const { record } = r;
  const head = `replay of ${record.eventId}: ${record.source} received ${record.receivedAt}, recorded as ${record.outcome}`;
  if (r.kind === 'unreadable') return [head, ...fields([['message', `cannot be replayed: ${r.problem}`], ['key', keySource]])].join('\n');
  const rows: [string, string][] = [['message', r.how], ['key', keySource]];
  for (const e of r.events) {
    rows.push(
      ['event', describeEvent(e.event)],
      ['order', e.before ? `${e.before.outTradeNo} ${e.before.status} (version ${e.before.version})` : `no order ${e.event.outTradeNo}`],
      e.decision ? ['decision', describeDecision(e.decision, e.before)] : ['written', describeResult(e.result!, e)],
    );
  }
  const tail = r.applied ? [] : [`dry run: nothing written; --apply records it as ${r.events.map((e) => e.event.eventId.replace(/#[^#]*$/, '#<time>')).join(', ')}`];
  return [head, ...fields(rows), ...tail].join('\n');
}

function describeEvent(e: OrderEvent): string {
  if (isRefundResult(e)) {
    const r = e.refundResult;
    return `refund batch ${r.batchNo} of trade ${r.tradeNo}: ${formatYuan(r.amountFen)} ${r.result}, for ${e.outTradeNo}`;
  }
  return [
    `${e.tradeStatus}${e.refundStatus ? ` (refund ${e.refundStatus})` : ''} for ${e.outTradeNo}`,
    e.tradeNo && `trade_no ${e.tradeNo}`,
    e.totalFen !== undefined && `total_fee ${formatYuan(e.totalFen)}`,
  ].filter(Boolean).join(', ');
}

function describeDecision(d: Decision, before: Order | undefined): string {
  switch (d.outcome) {
    case 'applied': return `applied: ${changes(before, d.next)}`;
    case 'duplicate': return 'duplicate: the order already says this';
    case 'stale': return `stale: ${d.detail}`;
    case 'anomaly': return `anomaly: ${d.anomalies.map((a) => `${a.code}: ${a.detail}`).join('; ')}${d.next ? ' (would be recorded on the order)' : ''}`;
  }
}

function describeResult(r: ProcessResult, e: ReplayedEvent): string {
  if (r.outcome === 'rejected') return `rejected: ${r.reason}`;
  const after = r.order ? `; order now ${r.order.status} (version ${r.order.version})` : '';
  const applied = r.outcome === 'applied' && r.order ? `: ${changes(e.before, r.order)}` : r.detail ? `: ${r.detail}` : '';
  return `${r.outcome}${applied}${after}, recorded as ${e.event.eventId}`;
}

/** What the next order changes, in words. */
function changes(before: Order | undefined, next: Order): string {
  const said = [
    before?.status !== next.status ? `${before?.status ?? '—'} → ${next.status}` : `stays ${next.status}`,
    before?.paidFen === undefined && next.paidFen !== undefined ? `paid ${formatYuan(next.paidFen)}` : '',
    before?.tradeNo === undefined && next.tradeNo !== undefined ? `trade_no ${next.tradeNo}` : '',
    before?.refund?.status !== next.refund?.status && next.refund ? `refund ${next.refund.status}` : '',
  ];
  return said.filter(Boolean).join(', ');
}

function replayJson(r: Exclude<Replay, { kind: 'not_found' }>) {
  const { raw: _raw, ...record } = r.record;
  if (r.kind === 'unreadable') return { record, replayable: false, problem: r.problem };
  return {
    record, replayable: true, how: r.how, applied: r.applied,
    events: r.events.map((e) => ({
      event: e.event,
      before: e.before ? { status: e.before.status, version: e.before.version } : null,
      ...(e.decision ? { decision: e.decision } : {}),
      ...(e.result ? { result: e.result } : {}),
    })),
  };
}
