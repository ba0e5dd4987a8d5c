// The merchant account's signed server calls to the gateway, and the use cases that need them. Kept out of shared/app.ts
// so that functions which never call the gateway this way (notify, return) do not bundle the XML parser.
import type { App } from './app.ts';
import type { AppConfig } from './config.ts';
import { callGateway, type ServerAccount } from './alipay/server-call.ts';
import type { ReconcileDeps } from './payments/reconcile.ts';
import type { OperationDeps } from './payments/operations.ts';

export type GatewayCalls = ReturnType<typeof gatewayCalls>;

/** The account's server calls; the key is read when a call is made, so functions without it never touch it. */
export function gatewayCalls(config: AppConfig) {
  const account: ServerAccount = {
    partner: config.partner, charset: config.charset, gatewayUrl: config.gatewayUrl,
    get key() {
      return config.key;
    },
  };
  const options = (signal: AbortSignal) => ({ timeoutMs: config.notifyVerifyTimeoutMs, signal });
  return {
    queryTrade: (outTradeNo: string, signal: AbortSignal) => callGateway('single_trade_query', { out_trade_no: outTradeNo }, account, options(signal)),
    // close_trade names the merchant's order out_order_no (protocol doc §5.3).
    closeTrade: (outTradeNo: string, signal: AbortSignal) => callGateway('close_trade', { out_order_no: outTradeNo }, account, options(signal)),
    sendGoods: (params: Record<string, string>, signal: AbortSignal) => callGateway('send_goods_confirm_by_platform', params, account, options(signal)),
    refundNoPwd: (params: Record<string, string>, signal: AbortSignal) => callGateway('refund_fastpay_by_platform_nopwd', params, account, options(signal)),
  };
}


export function reconcileDeps(app: App): ReconcileDeps {
  const { config } = app;
  const gateway = gatewayCalls(config);
  return {
    store: app.store, partner: config.partner, retentionDays: config.notificationRetentionDays, now: app.now,
    queryTrade: gateway.queryTrade, closeTrade: gateway.closeTrade,
    minAgeMs: config.reconcile.minAgeMs, closeAfterMs: config.reconcile.closeAfterMs,
  };
}

export function operationDeps(app: App): OperationDeps {
  const { config } = app;
  const gateway = gatewayCalls(config);
  return {
    store: app.store, partner: config.partner, retentionDays: config.notificationRetentionDays, now: app.now,
    account: config, refundMode: config.refundMode,
    closeTrade: gateway.closeTrade, sendGoods: gateway.sendGoods, refundNoPwd: gateway.refundNoPwd,
  };
}
