// The refund services (protocol doc §5.4): a checked request becomes a batch; _pwd waits for the seller to confirm on
// /refund/{partner}/{batch_no}, _nopwd is applied at once. Applying a batch refunds each trade (each sends its
// trade_status_sync with refund_status and gmt_refund), then the batch_refund_notify goes to the request's notify_url.
import type { Charset } from './alipay-charset.ts';
import type { GatewayRefusal } from './alipay-rules.ts';
import type { Deliveries } from './deliveries.ts';
import type { GatewayAnswer } from './engine.ts';
import { beijingTime } from './ids.ts';
import type { SandboxLog } from './log.ts';
import { batchRefundMessage, notifyContentType } from './messages.ts';
import type { NotifyIds } from './notify-ids.ts';
import type { ResolvedAccount } from './options.ts';
import { type BatchBook, type RefundBatch, sameRequest, successNum } from './refund-batches.ts';
import type { RefundRequest } from './refund-rules.ts';
import type { TradeBook } from './trade-book.ts';
import { applyRefund, refundRefusal } from './trade-refunds.ts';
import type { Trade } from './trades.ts';
import { errorXml, successXml } from './xml.ts';
import { fenOf, yuanOf } from './yuan.ts';

export interface RefundDeskDeps {
  accounts: ReadonlyMap<string, ResolvedAccount>;
  trades: TradeBook;
  batches: BatchBook;
  ids: NotifyIds;
  deliveries: Deliveries;
  log: SandboxLog;
  /** Stores a trade a refund changed, logs it and sends its trade_status_sync. */
  tradeChanged(next: Trade, what: string, via: string, now: Date): Trade;
}

export type ConfirmResult = { ok: true; batch: RefundBatch } | { ok: false; status: 404 | 409; message: string };

export class RefundDesk {
  constructor(private readonly deps: RefundDeskDeps) {}

  /** A refund request the gateway accepted: refused over the seller, the batch_no or a trade, or taken as a batch. */
  request(account: ResolvedAccount, charset: Charset, req: RefundRequest, now = new Date()): GatewayAnswer {
    const { log, batches, trades } = this.deps;
    const pwd = req.service === 'refund_fastpay_by_platform_pwd';
    const refuse = (r: GatewayRefusal, trade?: Trade): GatewayAnswer => {
      log.add('error', `${req.service} batch ${req.batchNo}: ${r.code}: ${r.reason}`, trade ? { tradeNo: trade.tradeNo, outTradeNo: trade.outTradeNo } : {});
      return pwd ? { kind: 'error_page', code: r.code, reason: r.reason } : { kind: 'xml', xml: errorXml(r.code, charset) };
    };
    const seller = this.seller(req);
    if ('code' in seller) return refuse(seller);
    const existing = batches.get(account.partner, req.batchNo);
    if (existing) {
      if (pwd && sameRequest(existing, req, seller.sellerId)) {
        log.add('refund', `${req.service}: batch ${req.batchNo} again, not confirmed yet: back to the seller's page`);
        return { kind: 'refund_page', partner: account.partner, batchNo: req.batchNo };
      }
      return refuse({ code: 'DUPLICATE_BATCH_NO', reason: `batch_no ${req.batchNo} was already used by partner ${account.partner} (${existing.status === 'APPLIED' ? `applied ${existing.appliedAt}` : 'awaiting the seller, with other details'}): use a new batch_no` });
    }
    for (const [i, item] of req.items.entries()) {
      const trade = trades.get(item.tradeNo);
      const problem = refundRefusal(trade, account.partner, seller.sellerId, fenOf(item.amount));
      if (problem) return refuse({ code: problem.code, reason: `detail_data item ${i + 1}: ${problem.reason}` }, trade?.partner === account.partner ? trade : undefined);
    }
    const batch: RefundBatch = {
      partner: account.partner, service: req.service, charset, batchNo: req.batchNo, refundDate: req.refundDate,
      sellerId: seller.sellerId, ...(req.notifyUrl ? { notifyUrl: req.notifyUrl } : {}), detailData: req.detailData,
      items: req.items.map((i) => ({ ...i })), requestedAt: beijingTime(now), status: 'AWAITING_SELLER',
    };
    batches.put(batch);
    const total = req.items.reduce((sum, i) => sum + fenOf(i.amount), 0n);
    log.add('refund', `${req.service}: batch ${req.batchNo}, ${req.items.length} item(s), ¥${yuanOf(total)} in all${pwd ? ': awaiting the seller\'s confirmation' : ''}${req.notifyUrl ? '' : ', no notify_url'}`);
    if (pwd) return { kind: 'refund_page', partner: account.partner, batchNo: req.batchNo };
    this.apply(batch, 'nopwd', now);
    return { kind: 'xml', xml: successXml(charset) };
  }

  /** The seller's confirmation of a _pwd batch. */
  confirm(partner: string, batchNo: string, via = 'seller'): ConfirmResult {
    const batch = this.deps.batches.get(partner, batchNo);
    if (!batch) return { ok: false, status: 404, message: `partner ${partner} has no refund batch ${batchNo} in this sandbox` };
    if (batch.status !== 'AWAITING_SELLER') return { ok: false, status: 409, message: `batch ${batchNo} was already applied at ${batch.appliedAt}` };
    if (!this.deps.accounts.has(partner)) return { ok: false, status: 409, message: `partner ${partner} is not an account of this sandbox any more` };
    return { ok: true, batch: this.apply(batch, via, new Date()) };
  }

  /**
   * Refunds each item whose trade still takes it (the trades may have changed since the request: another batch, the
   * refund window ending); the others are reported with the code of the rule they now break.
   */
  private apply(batch: RefundBatch, via: string, now: Date): RefundBatch {
    const { trades, batches, ids, deliveries, log } = this.deps;
    const at = beijingTime(now);
    const results = batch.items.map((item) => {
      const trade = trades.get(item.tradeNo);
      const fen = fenOf(item.amount);
      const problem = refundRefusal(trade, batch.partner, batch.sellerId, fen);
      if (problem || !trade) return { tradeNo: item.tradeNo, amount: item.amount, result: problem?.code ?? 'NOT_THIS_PARTNERS_TRADE' };
      this.deps.tradeChanged(applyRefund(trade, { fen, reason: item.reason, batchNo: batch.batchNo, now: at }), `refund ${item.amount} (batch ${batch.batchNo})`, via, now);
      return { tradeNo: item.tradeNo, amount: item.amount, result: 'SUCCESS' };
    });
    const notifyId = batch.notifyUrl ? ids.issueAsync(batch.partner) : undefined;
    const applied: RefundBatch = { ...batch, status: 'APPLIED', appliedAt: at, results, ...(notifyId ? { notifyId } : {}) };
    batches.put(applied);
    const single = results.length === 1 ? trades.get(results[0]!.tradeNo) : undefined;
    const refs = single?.partner === batch.partner ? { tradeNo: single.tradeNo, outTradeNo: single.outTradeNo } : undefined;
    log.add('refund', `batch ${batch.batchNo} applied (${via}): ${successNum(applied)} of ${results.length} refunded${notifyId ? '' : ', no notify_url: nothing sent'}`, { ...refs, ...(notifyId ? { notifyId } : {}) });
    const account = this.deps.accounts.get(batch.partner);
    if (notifyId && applied.notifyUrl && account) {
      deliveries.enqueue({
        notifyId,
        label: `batch_refund_notify ${batch.batchNo}`,
        ...(refs ? { trade: refs } : {}),
        url: applied.notifyUrl,
        body: batchRefundMessage(applied, notifyId, account.key, now).encoded,
        contentType: notifyContentType(applied.charset),
      });
    }
    return applied;
  }

  /** The seller the request names: seller_user_id as given, or the account whose seller has that seller_email. */
  private seller(req: RefundRequest): { sellerId: string } | GatewayRefusal {
    const accounts = [...this.deps.accounts.values()];
    const { by, value } = req.seller;
    const account = by === 'seller_user_id'
      ? accounts.find((a) => a.sellerId === value)
      : accounts.find((a) => a.hasSellerEmail && a.sellerEmail === value);
    if (account) return { sellerId: account.sellerId };
    // [inference] a seller Alipay does not know is SELLER_INFO_NOT_EXIST.
    const hint = by === 'seller_email' && !accounts.some((a) => a.hasSellerEmail) ? ' (no account of this sandbox has a sellerEmail configured: send seller_user_id)' : '';
    return { code: 'SELLER_INFO_NOT_EXIST', reason: `${by} ${value} is not a seller of this sandbox${hint}` };
  }
}
