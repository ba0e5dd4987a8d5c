// A loopback stand-in for the EventBridge PutEvents endpoint: the real SDK talks to it (AWS_ENDPOINT_URL_EVENTBRIDGE).
// It records every request, can fail chosen entries (as EventBridge fails entries of a partly failed PutEvents),
// and hands each accepted event, as the EventBridge event envelope, to its subscribers (the local stand-in for a rule).
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { listenOnLoopback, type LoopbackServer } from './loopback-server.ts';

export interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  Time?: number | string;
  Resources?: string[];
}

/** What a rule target receives: EventBridge's event envelope. */
export interface BusEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
}

/** Fails an entry with this error (EventBridge's per-entry ErrorCode/ErrorMessage), or lets it through. */
export type EntryFault = (entry: PutEventsEntry) => { code: string; message: string } | undefined;

export const LOCAL_ACCOUNT = '000000000000';

export class LocalEventBus {
  private server: LoopbackServer | undefined;
  /** Every PutEvents request's entries, in arrival order. */
  readonly requests: PutEventsEntry[][] = [];
  /** Every accepted event. */
  readonly accepted: BusEvent[] = [];
  private readonly subscribers: ((event: BusEvent) => void)[] = [];
  fault: EntryFault | undefined;

  constructor(private readonly region = 'us-east-1') {}

  async start(port = 0): Promise<this> {
    this.server = await listenOnLoopback((req, res) => void this.handle(req, res), { port, variable: 'EVENT_BUS_PORT' });
    return this;
  }

  get url(): string {
    if (!this.server) throw new Error('LocalEventBus: start() it first');
    return this.server.url;
  }

  subscribe(deliver: (event: BusEvent) => void): void {
    this.subscribers.push(deliver);
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    await s?.close();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': randomUUID() });
      res.end(JSON.stringify(body));
    };
    if (target !== 'AWSEvents.PutEvents') {
      reply(400, { __type: 'UnknownOperationException', message: `the local event bus serves PutEvents only, not ${target || 'this request'}` });
      return;
    }
    let entries: PutEventsEntry[];
    try {
      entries = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Entries?: PutEventsEntry[] }).Entries ?? [];
    } catch {
      reply(400, { __type: 'ValidationException', message: 'the body is not JSON' });
      return;
    }
    this.requests.push(entries);
    const answers = entries.map((entry) => {
      const fault = this.fault?.(entry);
      if (fault) return { ErrorCode: fault.code, ErrorMessage: fault.message };
      const event = this.envelope(entry);
      this.accepted.push(event);
      for (const s of this.subscribers) s(event);
      return { EventId: event.id };
    });
    reply(200, { FailedEntryCount: answers.filter((a) => 'ErrorCode' in a).length, Entries: answers });
  }

  private envelope(e: PutEventsEntry): BusEvent {
    const time = e.Time === undefined ? new Date() : new Date(typeof e.Time === 'number' ? e.Time * 1000 : e.Time);
    let detail: unknown;
    try {
      detail = JSON.parse(e.Detail ?? '{}');
    } catch {
      detail = e.Detail;
    }
    return {
      version: '0', id: randomUUID(), 'detail-type': e.DetailType ?? '', source: e.Source ?? '', account: LOCAL_ACCOUNT,
      // EventBridge keeps whole seconds.
      time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'), region: this.region, resources: e.Resources ?? [], detail,
    };
  }
}
