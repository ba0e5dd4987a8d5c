// The console as `npm start` serves it at /console: the local stack's tables, actions allowed (the key is the stack's),
// and each order linked to its sandbox cashier, the demo shop's result page and what the sandbox logged about it.
import { buildApp } from '../../shared/app.ts';
import { createDynamoClient } from '../../shared/store/client.ts';
import { DynamoDbPaymentStore } from '../../shared/store/dynamodb-payment-store.ts';
import type { Sandbox } from '../local/sandbox/index.ts';
import { consoleActions } from './actions.ts';
import { consoleHandler, type ConsoleHandler } from './console.ts';

export interface LocalConsoleOptions {
  /** The handlers' environment (tables, endpoint, key, partner). */
  env: Readonly<Record<string, string>>;
  apiUrl: string;
  sandbox: Sandbox;
}

export function localConsole({ env, apiUrl, sandbox }: LocalConsoleOptions): ConsoleHandler {
  const tables = { orders: env.ORDERS_TABLE!, notifications: env.NOTIFICATIONS_TABLE! };
  return consoleHandler({
    store: new DynamoDbPaymentStore(createDynamoClient(env), tables),
    where: `the local stack: ${tables.orders} and ${tables.notifications} at ${env.DYNAMODB_ENDPOINT}`,
    actions: async () => consoleActions(await buildApp(env, ['ALIPAY_KEY']), 'the local stack\'s key'),
    links: (order) => {
      const trade = sandbox.trade(order.partner, order.outTradeNo);
      const tradeNo = trade?.tradeNo ?? order.tradeNo;
      return {
        ...(trade ? { cashierUrl: `${sandbox.url}/cashier/${encodeURIComponent(trade.tradeNo)}` } : {}),
        resultUrl: `${apiUrl}/shop/result?outTradeNo=${encodeURIComponent(order.outTradeNo)}`,
        sandboxLog: {
          url: `${sandbox.url}/sandbox?outTradeNo=${encodeURIComponent(order.outTradeNo)}`,
          entries: sandbox.log.filter((e) => e.outTradeNo === order.outTradeNo || (tradeNo !== undefined && e.tradeNo === tradeNo)),
        },
      };
    },
  });
}
