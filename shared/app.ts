// Everything a handler needs, built once per cold start: configuration, the store, the gateway client.
import { type AppConfig, loadConfig } from './config.ts';
import { notifyVerify, type NotifyVerifyAnswer } from './alipay/gateway-client.ts';
import type { PaymentStore } from './orders/store-port.ts';
import type { ProcessDeps } from './orders/process-event.ts';
import type { CreatePaymentDeps } from './orders/create-payment.ts';
import { createDynamoClient } from './store/client.ts';
import { DynamoDbPaymentStore } from './store/dynamodb-payment-store.ts';
import { ssmSecretReader } from './secrets/ssm.ts';

export interface App {
  config: AppConfig;
  store: PaymentStore;
  notifyVerify: (notifyId: string) => Promise<NotifyVerifyAnswer>;
  now: () => string;
  processDeps: ProcessDeps;
  createPaymentDeps: CreatePaymentDeps;
}

export async function buildApp(env: Readonly<Record<string, string | undefined>>): Promise<App> {
  const config = await loadConfig(env, ssmSecretReader);
  const store = new DynamoDbPaymentStore(createDynamoClient(env), config.tables);
  const now = () => new Date().toISOString();
  const verify = (notifyId: string) => notifyVerify(config.partner, notifyId, { gatewayUrl: config.gatewayUrl, timeoutMs: config.notifyVerifyTimeoutMs });
  return {
    config, store, notifyVerify: verify, now,
    processDeps: { store, partner: config.partner, notifyVerify: verify, retentionDays: config.notificationRetentionDays },
    createPaymentDeps: { store, account: config, now },
  };
}

let current: Promise<App> | undefined;

/** The app of this cold start. A failed start is not cached, so the next invocation tries again. */
export function getApp(): Promise<App> {
  current ??= buildApp(process.env).catch((err: unknown) => {
    current = undefined;
    throw err;
  });
  return current;
}

/** Forget the cached app (tests that change the environment between cases). */
export function resetApp(): void {
  current = undefined;
}
