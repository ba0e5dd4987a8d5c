// Replaying a stored message: its raw bytes through today's code (signature, event, decision), as a dry run or
// applied under a record of its own. notify_verify is skipped: Alipay stops confirming a notify_id once it was
// answered `success`, and the signature with our key is what says the bytes are Alipay's.
import type { Charset } from '../alipay/charset.ts';
import { GatewayUnavailableError } from '../alipay/gateway-client.ts';
import { receiveMessage } from '../alipay/receive.ts';
import { readServerAnswer } from '../alipay/server-call.ts';
import type { Deadline } from '../deadline.ts';
import { decide, type Decision } from '../orders/decide.ts';
import type { Order, OrderEvent } from '../orders/order.ts';
import { processTradeEvent, type ProcessDeps, type ProcessResult } from './process-event.ts';
import type { EventRecord } from './store-port.ts';
import { eventFromMessage, eventFromQuery, refundEventsFromMessage } from './trade-events.ts';

export interface ReplayDeps extends ProcessDeps {
  /** The MD5 key the signature is checked with. Never logged. */
  key: string;
  /** The charset we ask Alipay for; a message may still have come in GBK. */
  charset: Charset;
  now: () => string;
}

export interface ReplayOptions {
  /** Write the outcome (the record under its replay id, and the order as decided); otherwise only decide. */
  apply: boolean;
  deadline: Deadline;
}

/** What the stored bytes say today: the events they carry, or why they carry none we can act on. */
export type Reading = { ok: true; how: string; events: OrderEvent[] } | { ok: false; problem: string };

export interface ReplayedEvent {
  /** The event as read today, under its replay id (`replay#<record's event id>#<time>`). */
  event: OrderEvent;
  /** The order as it was read before deciding (absent: no such order). */
  before?: Order;
  /** Dry run: what the decision would be. */
  decision?: Decision;
  /** Applied: what the pipeline did (it decides again if the order moved meanwhile). */
  result?: ProcessResult;
}

export type Replay =
  | { kind: 'not_found'; eventId: string }
  | { kind: 'unreadable'; record: EventRecord; problem: string }
  | { kind: 'replayed'; record: EventRecord; how: string; applied: boolean; events: ReplayedEvent[] };

export async function replayRecord(deps: ReplayDeps, eventId: string, opts: ReplayOptions): Promise<Replay> {
  const call = { signal: opts.deadline.signal };
  const { record } = await deps.store.readForEvent(undefined, eventId, call);
  if (!record) return { kind: 'not_found', eventId };
  const now = deps.now();
  const reading = readRecord(record, deps.key, deps.charset, now);
  if (!reading.ok) return { kind: 'unreadable', record, problem: reading.problem };

  const events: ReplayedEvent[] = [];
  for (const read of reading.events) {
    const replayId = `replay#${record.eventId}#${now}${reading.events.length > 1 ? `#${read.eventId}` : ''}`;
    const event: OrderEvent = { ...read, eventId: replayId };
    const before = await deps.store.getOrder(event.outTradeNo, call);
    const base = { event, ...(before ? { before } : {}) };
    if (opts.apply) events.push({ ...base, result: await processTradeEvent(deps, event, record.raw, { deadline: opts.deadline }) });
    else events.push({ ...base, decision: decide(before, event, { partner: deps.partner }) });
  }
  return { kind: 'replayed', record, how: reading.how, applied: opts.apply, events };
}

/** The events a stored record carries, read from its raw bytes as the receiving code reads them today. */
export function readRecord(record: EventRecord, key: string, charset: Charset, receivedAt: string): Reading {
  switch (record.source) {
    case 'notify':
    case 'return':
      return readSignedMessage(record, record.source, key, charset, receivedAt);
    case 'query':
      return readQueryAnswer(record, receivedAt);
    default:
      return { ok: false, problem: `a ${record.source} record holds Alipay's answer to a command of ours, not news about the trade: there is nothing to replay` };
  }
}

function readSignedMessage(record: EventRecord, source: 'notify' | 'return', key: string, charset: Charset, receivedAt: string): Reading {
  const verified = receiveMessage(record.raw, key, charset);
  if (!verified.ok) return { ok: false, problem: `the signature does not verify with this key (${verified.reason}: ${verified.detail})` };
  const { fields } = verified.message;
  const how = `signature valid (MD5 over the ${verified.message.charset} bytes)`;
  if (source === 'notify' && fields.notify_type === 'batch_refund_notify') {
    // The order is the one the refund was requested for: the record names it.
    const read = refundEventsFromMessage(fields, record.outTradeNo, receivedAt);
    if (!read.ok) return { ok: false, problem: read.problem };
    const own = read.events.filter((e) => e.eventId === record.eventId);
    return { ok: true, how, events: own.length ? own : read.events };
  }
  const read = eventFromMessage(verified.message, source, receivedAt);
  return read.ok ? { ok: true, how, events: [read.event] } : { ok: false, problem: read.problem };
}

function readQueryAnswer(record: EventRecord, receivedAt: string): Reading {
  if (record.outTradeNo === undefined) return { ok: false, problem: 'the query answer names no order' };
  let answer;
  try {
    answer = readServerAnswer(record.raw, 'single_trade_query');
  } catch (err) {
    if (err instanceof GatewayUnavailableError) return { ok: false, problem: err.message };
    throw err;
  }
  if (!answer.ok) return { ok: false, problem: `single_trade_query answered ${answer.error}` };
  const event = eventFromQuery(answer.response, record.outTradeNo, receivedAt);
  if (!event) return { ok: false, problem: `the single_trade_query answer does not describe a trade of order ${record.outTradeNo}` };
  // A server-to-server answer over TLS: like reconcile, this code checks no signature on it.
  return { ok: true, how: 'a single_trade_query answer (server to server: no signature to check)', events: [event] };
}
