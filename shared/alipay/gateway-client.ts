// Server-to-server calls to the Alipay gateway. notify_verify ("ATN") asks Alipay whether it really sent a notify_id.
import { percentEncodeBytes } from './form.ts';
import { DEFAULT_GATEWAY_URL } from './request.ts';

export type NotifyVerifyAnswer = 'true' | 'false' | 'invalid';

/** The gateway could not give an answer (timeout, network, HTTP error, garbage). Transient: answer `fail`, let Alipay retry. */
export class GatewayUnavailableError extends Error {
  override readonly name = 'GatewayUnavailableError';
  readonly transient = true;
  constructor(message: string, readonly kind: 'timeout' | 'network' | 'http_status' | 'garbage') {
    super(message);
  }
}

export interface GatewayClientOptions {
  gatewayUrl?: string;
  /** Milliseconds before a call is abandoned. */
  timeoutMs?: number;
  /** Abandons the call early (the caller's deadline). */
  signal?: AbortSignal;
  fetch?: typeof globalThis.fetch;
}

export const DEFAULT_TIMEOUT_MS = 5000;

/** The notify_verify URL. `notifyId` is used exactly as received after one form-decoding: encoded once, never twice. */
export function notifyVerifyUrl(gatewayUrl: string, partner: string, notifyId: string): string {
  const enc = (s: string) => percentEncodeBytes(Buffer.from(s, 'utf8'));
  return `${gatewayUrl}?service=notify_verify&partner=${enc(partner)}&notify_id=${enc(notifyId)}`;
}

/**
 * Asks the gateway whether `notifyId` is genuine. Resolves 'true' | 'false' | 'invalid' (Alipay's three answers);
 * rejects with GatewayUnavailableError when there is no usable answer.
 */
export async function notifyVerify(partner: string, notifyId: string, options: GatewayClientOptions = {}): Promise<NotifyVerifyAnswer> {
  const url = notifyVerifyUrl(options.gatewayUrl ?? DEFAULT_GATEWAY_URL, partner, notifyId);
  const text = (await gatewayGet(url, options)).toString('utf8');
  // The official demos trim and compare: PHP matches /true$/i, Java reads the first line. Be exact after trimming.
  const answer = text.trim();
  if (answer === 'true' || answer === 'false' || answer === 'invalid') return answer;
  throw new GatewayUnavailableError(`notify_verify answered neither true, false nor invalid (${text.length} bytes: ${JSON.stringify(text.slice(0, 40))})`, 'garbage');
}

/** A GET to the gateway with a timeout (and the caller's signal): the answer's bytes, or GatewayUnavailableError. */
export async function gatewayGet(url: string, options: GatewayClientOptions): Promise<Buffer> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const doFetch = options.fetch ?? globalThis.fetch;
  let response: Response;
  try {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
    response = await doFetch(url, { method: 'GET', signal, redirect: 'error' });
  } catch (err) {
    const name = (err as Error)?.name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      const why = options.signal?.aborted ? "before the request's deadline" : `within ${timeoutMs} ms`;
      throw new GatewayUnavailableError(`the gateway did not answer ${why}`, 'timeout');
    }
    throw new GatewayUnavailableError(`the gateway could not be reached: ${(err as Error)?.message ?? String(err)}`, 'network');
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw new GatewayUnavailableError(`the gateway answered HTTP ${response.status}`, 'http_status');
  }
  try {
    return await boundedBytes(response, MAX_ANSWER_BYTES);
  } catch (err) {
    if (err instanceof GatewayUnavailableError) throw err;
    const name = (err as Error)?.name;
    throw new GatewayUnavailableError(`reading the gateway's answer failed: ${name}`, name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network');
  }
}

/** notify_verify answers a word and the XML services a few KB: anything longer is garbage, and is not read into memory. */
const MAX_ANSWER_BYTES = 64 * 1024;

async function boundedBytes(response: Response, maxBytes: number): Promise<Buffer> {
  if (!response.body) return Buffer.alloc(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new GatewayUnavailableError(`the gateway's answer is longer than ${maxBytes} bytes`, 'garbage');
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}
