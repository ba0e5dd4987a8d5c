// The sandbox's HTTP side: routes, bodies, answers; startSandbox() and the Sandbox handle it returns.
import type http from 'node:http';
import { listenOnLoopback } from '../loopback-server.ts';
import { cashierPage } from './cashier-page.ts';
import { controlPage } from './control-page.ts';
import { type ActResult, type GatewayAnswer, SandboxEngine } from './engine.ts';
import type { DeliveryKnobs, Sandbox, SandboxOptions, TradeAction } from './index.ts';
import { SandboxLog } from './log.ts';
import { resolveOptions } from './options.ts';
import { errorPage, paidPage, problemPage } from './pages.ts';
import { refundPage, refundPagePath } from './refund-page.ts';
import { loadState, StateFile } from './state-file.ts';
import { isTradeAction } from './trades.ts';

const MAX_BODY_BYTES = 1024 * 1024;
const HTML = 'text/html; charset=utf-8';

class HttpProblem extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

const html = (body: string, status = 200): Answer => ({ status, headers: { 'content-type': HTML }, body });
const json = (value: unknown, status = 200): Answer => ({ status, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(value, null, 2) });
const text = (body: string, status = 200): Answer => ({ status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body });
const redirect = (location: string, status = 302): Answer => ({ status, headers: { location, 'content-type': 'text/plain; charset=utf-8' }, body: `Redirecting to ${location}` });

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpProblem(413, `the body is larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** JSON or form body, as string-or-primitive values. */
function readSettings(body: Buffer, contentType: string | undefined): Record<string, unknown> {
  if (body.length === 0) return {};
  if (contentType?.includes('json')) {
    let value: unknown;
    try {
      value = JSON.parse(body.toString('utf8'));
    } catch {
      throw new HttpProblem(400, 'the body is not valid JSON');
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new HttpProblem(400, 'the JSON body must be an object');
    return value as Record<string, unknown>;
  }
  return Object.fromEntries(new URLSearchParams(body.toString('utf8')));
}

function knobsFrom(settings: Record<string, unknown>): Partial<DeliveryKnobs> {
  const out: Partial<DeliveryKnobs> = {};
  const number = (name: 'duplicate' | 'delayMs'): void => {
    const v = settings[name];
    if (v === undefined || v === '') return;
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : NaN;
    if (Number.isNaN(n)) throw new HttpProblem(400, `${name} must be a whole number, got ${JSON.stringify(v)}`);
    out[name] = n;
  };
  number('duplicate');
  number('delayMs');
  const flag = (name: 'hold' | 'drop'): void => {
    const v = settings[name];
    if (v === undefined || v === '') return;
    if (v === true || v === 'true' || v === 'on') out[name] = true;
    else if (v === false || v === 'false' || v === 'off') out[name] = false;
    else throw new HttpProblem(400, `${name} must be true or false, got ${JSON.stringify(v)}`);
  };
  flag('hold');
  flag('drop');
  return out;
}

function releaseOrder(value: unknown): 'fifo' | 'reverse' {
  if (value === undefined || value === '' || value === 'fifo') return 'fifo';
  if (value === 'reverse') return 'reverse';
  throw new HttpProblem(400, `order must be fifo or reverse, got ${JSON.stringify(value)}`);
}

function gatewayAnswer(answer: GatewayAnswer): Answer {
  switch (answer.kind) {
    case 'error_page':
      return html(errorPage(answer.code, answer.reason));
    case 'xml':
      return { status: 200, headers: { 'content-type': answer.xml.contentType }, body: answer.xml.body };
    case 'text':
      return text(answer.text);
    case 'cashier':
      return redirect(`/cashier/${answer.tradeNo}`);
    case 'refund_page':
      return redirect(refundPagePath(answer.partner, answer.batchNo));
  }
}

function actAnswer(result: ActResult, tradeNo: string, action: TradeAction): Answer {
  if (!result.ok) return html(problemPage(result.status, result.message, result.status === 404 ? undefined : tradeNo), result.status);
  if (action === 'pay') return result.returnLocation ? redirect(result.returnLocation) : html(paidPage(result.trade));
  return redirect(`/cashier/${tradeNo}`);
}

export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const resolved = resolveOptions(options);
  const log = new SandboxLog(options.onLog);
  const dataDir = resolved.dataDir;
  const kept = dataDir ? loadState(dataDir) : undefined;
  let stateFile: StateFile | undefined;
  const engine = new SandboxEngine(resolved, log, kept, () => stateFile?.changed());
  if (dataDir) {
    stateFile = new StateFile(dataDir, () => ({ trades: engine.trades.all(), batches: engine.batches.all() }), (message) => log.add('error', message));
  }

  async function route(req: http.IncomingMessage): Promise<Answer> {
    const target = req.url ?? '/';
    const q = target.indexOf('?');
    const path = q < 0 ? target : target.slice(0, q);
    const rawQuery = q < 0 ? '' : target.slice(q + 1);
    const method = req.method ?? 'GET';
    const post = method === 'POST';
    const only = (...methods: string[]): void => {
      if (!methods.includes(method)) throw new HttpProblem(405, `${path} answers ${methods.join(' and ')}, not ${method}`);
    };
    log.add('request', `${method} ${target.length > 300 ? `${target.slice(0, 300)}…` : target}`);

    if (path === '/gateway.do') {
      only('GET', 'POST');
      const body = post ? await readBody(req) : Buffer.alloc(0);
      return gatewayAnswer(engine.gateway({ method: post ? 'POST' : 'GET', query: Buffer.from(rawQuery, 'latin1'), body }));
    }
    const cashier = /^\/cashier\/(\d{1,64})(?:\/([a-z]+))?$/.exec(path);
    if (cashier) {
      const tradeNo = cashier[1]!;
      const action = cashier[2];
      if (action === undefined) {
        only('GET');
        const trade = engine.tradeByNo(tradeNo);
        return trade ? html(cashierPage(trade)) : html(problemPage(404, `there is no trade ${tradeNo} in this sandbox`), 404);
      }
      only('POST');
      if (!isTradeAction(action)) return html(problemPage(404, `there is no button "${action}"`, tradeNo), 404);
      const form = new URLSearchParams((await readBody(req)).toString('utf8'));
      const totalFee = form.get('total_fee');
      return actAnswer(engine.act(tradeNo, action, totalFee === null ? {} : { totalFee }), tradeNo, action);
    }
    const refund = /^\/refund\/(\d{16})\/([0-9A-Za-z]{1,40})(\/confirm)?$/.exec(path);
    if (refund) {
      const [, partner, batchNo, confirm] = refund as unknown as [string, string, string, string | undefined];
      if (confirm) {
        only('POST');
        await readBody(req); // the password field: there is no real seller to check it against
        const result = engine.refunds.confirm(partner, batchNo);
        if (!result.ok) return html(problemPage(result.status, result.message), result.status);
        return redirect(refundPagePath(partner, batchNo), 303);
      }
      only('GET');
      const batch = engine.batch(partner, batchNo);
      return batch
        ? html(refundPage(batch, (tradeNo) => engine.tradeByNo(tradeNo)))
        : html(problemPage(404, `partner ${partner} has no refund batch ${batchNo} in this sandbox`), 404);
    }
    if (path === '/sandbox' || path === '/sandbox/') {
      only('GET');
      const query = new URLSearchParams(q >= 0 ? target.slice(q + 1) : '');
      return html(controlPage(log.entries, engine.deliveries.knobs(), engine.deliveries.heldCount(), {
        ...(query.get('order') ? { order: query.get('order')! } : {}),
        views: query.get('views') === '1',
        refresh: query.get('refresh') !== '0',
        ...(options.resultPageUrl ? { resultPageUrl: options.resultPageUrl } : {}),
      }));
    }
    if (path === '/sandbox/log.json') {
      only('GET');
      return json(log.entries);
    }
    if (path === '/sandbox/trades.json') {
      only('GET');
      return json(engine.allTrades());
    }
    if (path === '/sandbox/refunds.json') {
      only('GET');
      return json(engine.allBatches());
    }
    if (path === '/sandbox/knobs' || path === '/sandbox/release') {
      only('POST');
      const contentType = req.headers['content-type'];
      const settings = { ...Object.fromEntries(new URLSearchParams(rawQuery)), ...readSettings(await readBody(req), contentType) };
      const fromForm = !contentType?.includes('json');
      if (path === '/sandbox/knobs') {
        let knobs: DeliveryKnobs;
        try {
          knobs = engine.deliveries.setKnobs(knobsFrom(settings));
        } catch (err) {
          if (err instanceof HttpProblem) throw err;
          throw new HttpProblem(400, (err as Error).message);
        }
        return fromForm ? redirect('/sandbox', 303) : json(knobs);
      }
      const released = engine.deliveries.release(releaseOrder(settings.order));
      return fromForm ? redirect('/sandbox', 303) : json({ released });
    }
    if (path === '/') return redirect('/sandbox');
    throw new HttpProblem(404, `nothing at ${path}: try /gateway.do, /cashier/{trade_no}, /refund/{partner}/{batch_no} or /sandbox`);
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let answer: Answer;
    try {
      answer = await route(req);
    } catch (err) {
      if (err instanceof HttpProblem) {
        answer = text(err.message, err.status);
      } else {
        log.add('error', `internal error: ${(err as Error)?.stack ?? String(err)}`);
        answer = text('sandbox internal error: see its log', 500);
      }
    }
    if (res.headersSent || res.destroyed) return;
    res.writeHead(answer.status, answer.headers).end(answer.body);
  }

  const { port, url, close } = await listenOnLoopback((req, res) => void handle(req, res), { port: resolved.port, variable: 'SANDBOX_PORT' });
  log.add('server', `listening on ${url} with partner(s) ${[...resolved.accounts.keys()].join(', ')}; retries sped up ${resolved.retrySpeedup}×, instant mode ${resolved.instantMode}`);
  log.add('server', stateFile
    ? `keeping trades and refund batches in ${stateFile.file}: ${kept!.trades.length} trade(s) and ${kept!.batches.length} batch(es) from earlier runs`
    : 'keeping trades and refund batches in memory only');

  let stopped: Promise<void> | undefined;
  return {
    url,
    gatewayUrl: `${url}/gateway.do`,
    port,
    get log() {
      return log.entries;
    },
    knobs: () => engine.deliveries.knobs(),
    setKnobs: (k) => engine.deliveries.setKnobs(k),
    release: (order = 'fifo') => engine.deliveries.release(releaseOrder(order)),
    idle: () => engine.deliveries.idle(),
    trade: (partner, outTradeNo) => engine.trade(partner, outTradeNo),
    refundBatch: (partner, batchNo) => engine.batch(partner, batchNo),
    act: async (tradeNo, action, opts = {}) => {
      if (!isTradeAction(action)) throw new Error(`sandbox: unknown action ${JSON.stringify(action)}: use pay, close, ship, confirm, finish or refund`);
      const result = engine.act(tradeNo, action, opts.totalFee === undefined ? {} : { totalFee: opts.totalFee }, 'act()');
      if (!result.ok) throw new Error(`sandbox: ${action} on trade ${tradeNo}: ${result.message}`);
    },
    stop: () => {
      stopped ??= (async () => {
        engine.deliveries.stop();
        stateFile?.flush();
        log.add('server', 'stopped');
        await close();
      })();
      return stopped;
    },
  };
}
