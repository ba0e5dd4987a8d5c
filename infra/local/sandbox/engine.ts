// The sandbox without HTTP: turns gateway requests and cashier buttons into trades, notifications, notify_ids,
// return redirects and XML answers, and writes down everything it does.
import type { Charset } from './alipay-charset.ts';
import type { GatewayErrorCode } from './alipay-rules.ts';
import { Deliveries } from './deliveries.ts';
import { type GatewayFailure, type GatewayRequest, readGatewayRequest, type RawGatewayRequest } from './gateway.ts';
import { beijingTime, newBuyerId, newTradeNo } from './ids.ts';
import type { SandboxTrade, TradeAction } from './index.ts';
import type { SandboxLog } from './log.ts';
import { notifyContentType, notifyMessage, returnLocation, returnMessage } from './messages.ts';
import { NotifyIds } from './notify-ids.ts';
import type { ResolvedAccount, ResolvedOptions } from './options.ts';
import { TradeBook } from './trade-book.ts';
import { type ActInput, applyAction, createTrade, isRefusal, reuseOutcome, snapshot, type Trade, unavailable } from './trades.ts';
import { errorXml, queryXml, successXml, type XmlAnswer } from './xml.ts';

export type GatewayAnswer =
  | { kind: 'error_page'; code: GatewayErrorCode; reason: string }
  | { kind: 'xml'; xml: XmlAnswer }
  | { kind: 'text'; text: 'true' | 'false' | 'invalid' }
  | { kind: 'cashier'; tradeNo: string };

export type ActResult =
  | { ok: true; trade: Trade; returnLocation?: string }
  | { ok: false; status: 400 | 404 | 409; message: string };

export class SandboxEngine {
  readonly trades = new TradeBook();
  readonly ids: NotifyIds;
  readonly deliveries: Deliveries;

  constructor(private readonly options: ResolvedOptions, readonly log: SandboxLog) {
    this.ids = new NotifyIds(options.returnIdTtlMs);
    this.deliveries = new Deliveries({
      retrySpeedup: options.retrySpeedup,
      timeoutMs: options.deliveryTimeoutMs,
      knobs: options.knobs,
      log,
      onSuccess: (id) => this.ids.answeredSuccess(id),
    });
  }

  // ---- gateway.do ---------------------------------------------------------------------------------------------------

  gateway(raw: RawGatewayRequest): GatewayAnswer {
    const req = readGatewayRequest(raw, this.options.accounts);
    switch (req.kind) {
      case 'error':
        return this.refuse(req);
      case 'notify_verify':
        return { kind: 'text', text: this.notifyVerify(req.partner, req.notifyId) };
      case 'payment':
        return this.startPayment(req.account, req.charset, req.params, req.totalFee);
      case 'server_call':
        return { kind: 'xml', xml: this.serverCall(req) };
    }
  }

  private refuse(f: Pick<GatewayFailure, 'code' | 'reason' | 'answer' | 'charset' | 'service'>, refs: { outTradeNo?: string; tradeNo?: string } = {}): GatewayAnswer {
    this.log.add('error', `${f.service ?? '(no service)'}: ${f.code}: ${f.reason}`, refs);
    return f.answer === 'xml' ? { kind: 'xml', xml: errorXml(f.code, f.charset) } : { kind: 'error_page', code: f.code, reason: f.reason };
  }

  private startPayment(account: ResolvedAccount, charset: Charset, params: Record<string, string>, totalFee: string): GatewayAnswer {
    const outTradeNo = params.out_trade_no!;
    const service = params.service!;
    const existing = this.trades.find(account.partner, outTradeNo);
    if (existing) {
      const reuse = reuseOutcome(existing, params);
      if (reuse.kind === 'refused') {
        return this.refuse({ code: reuse.code, reason: reuse.reason, answer: 'page', charset, service }, { outTradeNo, tradeNo: existing.tradeNo });
      }
      this.log.add('payment', `${service}: the same request again: back to the cashier of ${existing.tradeNo}`, refs(existing));
      return { kind: 'cashier', tradeNo: existing.tradeNo };
    }
    const now = new Date();
    const trade = createTrade({
      partner: account.partner,
      charset,
      params,
      totalFee,
      tradeNo: newTradeNo(now),
      sellerId: account.sellerId,
      sellerEmail: account.sellerEmail,
      buyer: { id: newBuyerId(), email: 'sandbox-buyer@example.com' },
      now: beijingTime(now),
      instantMode: this.options.instantMode,
    });
    this.trades.put(trade);
    this.log.add('trade_created', `${service} (${charset}): WAIT_BUYER_PAY, ${trade.totalFee ? `¥${trade.totalFee}` : 'amount chosen by the donor'}${trade.notifyUrl ? '' : ', no notify_url'}`, refs(trade));
    return { kind: 'cashier', tradeNo: trade.tradeNo };
  }

  notifyVerify(partner: string | undefined, notifyId: string | undefined): 'true' | 'false' | 'invalid' {
    let answer: 'true' | 'false' | 'invalid';
    let why: string;
    if (!partner || !notifyId) {
      answer = 'invalid';
      why = `missing ${!partner ? 'partner' : 'notify_id'}`;
    } else if (!this.options.accounts.has(partner)) {
      answer = 'invalid';
      why = `partner ${partner} is not an account of this sandbox`;
    } else {
      answer = this.ids.verify(partner, notifyId);
      why = this.ids.describe(partner, notifyId);
    }
    this.log.add('notify_verify', `asked about notify_id ${notifyId ?? '(none)'} for partner ${partner ?? '(none)'}: answered ${answer} (${why})`, notifyId ? { notifyId } : {});
    return answer;
  }

  // ---- server calls -------------------------------------------------------------------------------------------------

  /** The parameters were checked by the gateway (alipay-rules.ts); what is left is finding the trade and acting on it. */
  private serverCall(req: Extract<GatewayRequest, { kind: 'server_call' }>): XmlAnswer {
    const { service, account, charset, params } = req;
    const fail = (code: GatewayErrorCode, reason: string, trade?: Trade): XmlAnswer => {
      this.log.add('error', `${service}: ${code}: ${reason}`, trade ? refs(trade) : {});
      return errorXml(code, charset);
    };
    if (service === 'single_trade_query') {
      const tradeNo = params.trade_no || undefined;
      const outTradeNo = params.out_trade_no || undefined;
      const trade = this.lookup(account.partner, tradeNo, outTradeNo);
      if (!trade) return fail('TRADE_NOT_EXIST', `no trade ${tradeNo ? `trade_no=${tradeNo}` : `out_trade_no=${outTradeNo}`} for partner ${account.partner}`);
      this.log.add('query', `single_trade_query by ${tradeNo ? 'trade_no' : 'out_trade_no'}: ${trade.status}`, refs(trade));
      return queryXml(trade, req.echo, account.key, charset);
    }
    if (service === 'send_goods_confirm_by_platform') {
      const trade = this.lookup(account.partner, params.trade_no, undefined);
      if (!trade) return fail('TRADE_NOT_EXIST', `no trade trade_no=${params.trade_no} for partner ${account.partner}`);
      const shipping = { name: params.logistics_name ?? '', ...(params.invoice_no ? { invoiceNo: params.invoice_no } : {}) };
      const result = this.act(trade.tradeNo, 'ship', { shipping }, service);
      if (!result.ok) return fail('TRADE_STATUS_NOT_AVAILD', result.message, trade);
      return successXml(charset);
    }
    // close_trade: CHLOEREI names the merchant's order number out_order_no.
    const tradeNo = params.trade_no || undefined;
    const outOrderNo = params.out_order_no || undefined;
    const trade = this.lookup(account.partner, tradeNo, outOrderNo);
    if (!trade) return fail('TRADE_NOT_EXIST', `no trade ${tradeNo ? `trade_no=${tradeNo}` : `out_order_no=${outOrderNo}`} for partner ${account.partner}`);
    const result = this.act(trade.tradeNo, 'close', {}, service);
    if (!result.ok) return fail('TRADE_STATUS_NOT_AVAILD', result.message, trade);
    return successXml(charset);
  }

  /** trade_no wins over out_trade_no; another partner's trade does not exist for this one. */
  private lookup(partner: string, tradeNo: string | undefined, outTradeNo: string | undefined): Trade | undefined {
    const trade = tradeNo !== undefined ? this.trades.get(tradeNo) : outTradeNo !== undefined ? this.trades.find(partner, outTradeNo) : undefined;
    return trade?.partner === partner ? trade : undefined;
  }

  // ---- buttons ------------------------------------------------------------------------------------------------------

  /** Applies a cashier button (or its server-call twin): new status, notification, and for pay the return redirect. */
  act(tradeNo: string, action: TradeAction, input: Omit<ActInput, 'now'> = {}, via = 'cashier'): ActResult {
    const trade = this.trades.get(tradeNo);
    if (!trade) return { ok: false, status: 404, message: `there is no trade ${tradeNo} in this sandbox` };
    const cannot = unavailable(trade, action);
    if (cannot) return { ok: false, status: 409, message: cannot.refused };
    const now = new Date();
    const next = applyAction(trade, action, { ...input, now: beijingTime(now) });
    if (isRefusal(next)) return { ok: false, status: 400, message: next.refused };
    const stored = this.statusChanged(next, action, via, now);
    // Only the buyer's browser (the cashier button) is sent back to return_url.
    if (action !== 'pay' || !stored.returnUrl || via !== 'cashier') return { ok: true, trade: stored };
    const account = this.account(stored);
    const id = this.ids.issueReturn(stored.partner);
    const location = returnLocation(stored.returnUrl, returnMessage(stored, id, account.key, now));
    this.log.add('return', `302 to return_url with ${stored.status}, return notify_id valid ${this.options.returnIdTtlMs} ms`, { ...refs(stored), notifyId: id });
    return { ok: true, trade: stored, returnLocation: location };
  }

  private statusChanged(trade: Trade, action: TradeAction, via: string, now: Date): Trade {
    const from = this.trades.get(trade.tradeNo)?.status;
    const account = this.account(trade);
    const notifyId = trade.notifyUrl ? this.ids.issueAsync(trade.partner) : undefined;
    const stored: Trade = notifyId ? { ...trade, notifyIds: [...trade.notifyIds, notifyId] } : trade;
    this.trades.put(stored);
    this.log.add('status', `${action} (${via}): ${from} → ${stored.status}${stored.refundStatus ? ` (${stored.refundStatus})` : ''}${notifyId ? '' : ', no notify_url: nothing sent'}`, refs(stored));
    if (notifyId && stored.notifyUrl) {
      const message = notifyMessage(stored, notifyId, account.key, now);
      this.deliveries.enqueue({
        notifyId,
        tradeNo: stored.tradeNo,
        outTradeNo: stored.outTradeNo,
        tradeStatus: stored.status,
        url: stored.notifyUrl,
        body: message.encoded,
        contentType: notifyContentType(stored.charset),
      });
    }
    return stored;
  }

  private account(trade: Trade): ResolvedAccount {
    const account = this.options.accounts.get(trade.partner);
    if (!account) throw new Error(`sandbox: trade ${trade.tradeNo} belongs to partner ${trade.partner}, which has no account`);
    return account;
  }

  // ---- reading ------------------------------------------------------------------------------------------------------

  trade(partner: string, outTradeNo: string): SandboxTrade | undefined {
    const t = this.trades.find(partner, outTradeNo);
    return t && snapshot(t);
  }

  tradeByNo(tradeNo: string): Trade | undefined {
    return this.trades.get(tradeNo);
  }

  allTrades(): SandboxTrade[] {
    return this.trades.all().map(snapshot);
  }
}

const refs = (t: Trade): { tradeNo: string; outTradeNo: string } => ({ tradeNo: t.tradeNo, outTradeNo: t.outTradeNo });
