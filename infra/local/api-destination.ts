// The local stand-in for the EventBridge rule + API destination of infra/events.yml: every event accepted by the
// local bus is POSTed to the storefront's webhook with the request EventBridge sends (the event envelope as JSON,
// its default headers, the connection's API-key header), retried with backoff like the rule's retry policy, and kept
// as a dead letter when it keeps failing.
import type { BusEvent, LocalEventBus } from './event-bus.ts';

export const WEBHOOK_KEY_HEADER = 'X-Storefront-Webhook-Key';

export interface ApiDestinationOptions {
  url: string;
  /** The value of the API-key header (in AWS it comes from the connection's secret). */
  apiKey: string;
  /** Attempts before an event becomes a dead letter (AWS: up to 185 within 24 h). */
  attempts?: number;
  backoffMs?: number;
  log?: (line: string) => void;
}

/** The headers an API destination sends with POST (the connection's key header added). */
export function apiDestinationHeaders(apiKey: string): Record<string, string> {
  return {
    'Content-Type': 'application/json; charset=utf-8',
    'User-Agent': 'Amazon/EventBridge/ApiDestinations',
    'Accept-Encoding': 'gzip,deflate',
    Range: 'bytes=0-1048575',
    [WEBHOOK_KEY_HEADER]: apiKey,
  };
}

export function connectApiDestination(bus: LocalEventBus, opts: ApiDestinationOptions): { deadLetters: BusEvent[]; idle(): Promise<void> } {
  const deadLetters: BusEvent[] = [];
  const inFlight = new Set<Promise<void>>();
  const deliver = async (event: BusEvent): Promise<void> => {
    const attempts = opts.attempts ?? 8;
    for (let attempt = 1; ; attempt++) {
      let problem: string;
      try {
        const res = await fetch(opts.url, { method: 'POST', headers: apiDestinationHeaders(opts.apiKey), body: JSON.stringify(event), signal: AbortSignal.timeout(5_000) });
        await res.arrayBuffer();
        if (res.ok) return;
        // EventBridge retries 429 and 5xx (and timeouts); another 4xx goes straight to the DLQ.
        if (res.status !== 429 && res.status < 500) {
          problem = `HTTP ${res.status} (not retried)`;
          attempt = attempts;
        } else {
          problem = `HTTP ${res.status}`;
        }
      } catch (err) {
        problem = (err as Error).message;
      }
      if (attempt >= attempts) {
        deadLetters.push(event);
        opts.log?.(`webhook: ${event['detail-type']} ${(event.detail as { eventId?: string }).eventId ?? event.id} dead-lettered after ${attempt} attempt(s): ${problem}`);
        return;
      }
      await new Promise((r) => setTimeout(r, (opts.backoffMs ?? 500) * 2 ** (attempt - 1)));
    }
  };
  bus.subscribe((event) => {
    const p = deliver(event).finally(() => inFlight.delete(p));
    inFlight.add(p);
  });
  return { deadLetters, idle: async () => void (await Promise.all([...inFlight])) };
}
