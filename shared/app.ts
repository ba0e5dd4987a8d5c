// Everything a handler needs, built once per cold start: configuration, the store, the gateway client.
import { ALL_SECRETS, type AppConfig, loadConfig, type SecretName } from './config.ts';
import { notifyVerify, type NotifyVerifyAnswer } from './alipay/gateway-client.ts';
import type { PaymentStore } from './payments/store-port.ts';
import type { ProcessDeps } from './payments/process-event.ts';
import type { CreatePaymentDeps } from './payments/create-payment.ts';
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

export async function buildApp(env: Readonly<Record<string, string | undefined>>, secrets: readonly SecretName[] = ALL_SECRETS): Promise<App> {
  const config = await loadConfig(env, ssmSecretReader, secrets);
  const store = new DynamoDbPaymentStore(createDynamoClient(env), config.tables);
  const now = () => new Date().toISOString();
  const verify = (notifyId: string) => notifyVerify(config.partner, notifyId, { gatewayUrl: config.gatewayUrl, timeoutMs: config.notifyVerifyTimeoutMs });
  return {
    config, store, notifyVerify: verify, now,
    processDeps: { store, partner: config.partner, notifyVerify: verify, retentionDays: config.notificationRetentionDays },
    createPaymentDeps: { store, account: config, now },
  };
}

// One app per set of secrets: in Lambda a process runs one function; locally the four share a process.
const apps = new Map<string, Promise<App>>();

/**
 * The app of this cold start, with only the `secrets` the calling function needs read (from the environment or
 * SSM). A failed start is not cached, so the next invocation tries again.
 */
export function getApp(secrets: readonly SecretName[] = ALL_SECRETS): Promise<App> {
  const id = [...secrets].sort().join(',');
  let app = apps.get(id);
  if (!app) {
    app = buildApp(process.env, secrets).catch((err: unknown) => {
      apps.delete(id);
      throw err;
    });
    apps.set(id, app);
  }
  return app;
}

/** Forget the cached apps (tests that change the environment between cases). */
export function resetApp(): void {
  apps.clear();
}
