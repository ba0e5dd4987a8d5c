// Server-to-server calls to the Alipay gateway. notify_verify ("ATN") asks Alipay whether it really sent a notify_id.
import http from 'node:http';
import https from 'node:https';
import { percentEncodeBytes } from './form.ts';
import { DEFAULT_GATEWAY_URL } from './account.ts';

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
  // One controller for our timeout and the caller's deadline, both let go when the call ends (AbortSignal.timeout and
  // AbortSignal.any cost several times more, on every notification, and keep their timers for the whole timeout).
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const callerAborted = () => controller.abort();
  if (options.signal?.aborted) controller.abort();
  else options.signal?.addEventListener('abort', callerAborted, { once: true });
  try {
    return await get(new URL(url), controller.signal, true);
  } catch (err) {
    if (err instanceof GatewayUnavailableError) throw err;
    const name = (err as Error)?.name;
    if (controller.signal.aborted || name === 'TimeoutError' || name === 'AbortError') {
      const why = timedOut ? `within ${timeoutMs} ms` : "before the request's deadline";
      throw new GatewayUnavailableError(`the gateway did not answer ${why}`, 'timeout');
    }
    throw new GatewayUnavailableError(`the gateway could not be reached: ${(err as Error)?.message ?? String(err)}`, 'network');
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', callerAborted);
  }
}

/** notify_verify answers a word and the XML services a few KB: anything longer is garbage, and is not read into memory. */
const MAX_ANSWER_BYTES = 64 * 1024;

// node:http rather than fetch: a notify_verify call through fetch cost about twice the CPU (its web streams and abort
// machinery), on every notification. Connections are kept for the next call; one a server closed while idle is
// replaced once (Node's own advice for keep-alive), as it fails before the request reached anyone.
const AGENT_OPTIONS = { keepAlive: true, timeout: 4_000 };
const agents = { 'http:': new http.Agent(AGENT_OPTIONS), 'https:': new https.Agent(AGENT_OPTIONS) };

function get(url: URL, signal: AbortSignal, mayRetry: boolean): Promise<Buffer> {
  const protocol = url.protocol === 'https:' ? 'https:' : url.protocol === 'http:' ? 'http:' : undefined;
  if (!protocol) return Promise.reject(new GatewayUnavailableError(`the gateway URL ${url.origin} is not http(s)`, 'network'));
  return new Promise<Buffer>((resolve, reject) => {
    const request = (protocol === 'https:' ? https : http).get(url, { agent: agents[protocol], signal }, (response) => {
      if (response.statusCode === undefined || response.statusCode < 200 || response.statusCode > 299) {
        response.resume();
        reject(new GatewayUnavailableError(`the gateway answered HTTP ${response.statusCode}`, 'http_status'));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_ANSWER_BYTES) {
          request.destroy();
          reject(new GatewayUnavailableError(`the gateway's answer is longer than ${MAX_ANSWER_BYTES} bytes`, 'garbage'));
          return;
        }
        chunks.push(chunk);
      });
      response.on('end', () => resolve(Buffer.concat(chunks)));
      response.on('error', reject);
      response.on('aborted', () => reject(new GatewayUnavailableError("reading the gateway's answer failed: the connection closed", 'network')));
    });
    request.on('error', (err: NodeJS.ErrnoException) => {
      if (mayRetry && request.reusedSocket && err.code === 'ECONNRESET' && !signal.aborted) get(url, signal, false).then(resolve, reject);
      else reject(err);
    });
  });
}
