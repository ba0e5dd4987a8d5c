// Everything a handler needs, built once per cold start: configuration, the store, the gateway client.
import { ALL_SECRETS, type AppConfig, loadConfig, type SecretName } from './config.ts';
import { notifyVerify, type NotifyVerifyAnswer } from './alipay/gateway-client.ts';
import type { PaymentStore } from './payments/store-port.ts';
import type { ReceiveDeps } from './payments/receive.ts';
import type { CreatePaymentDeps } from './payments/create-payment.ts';
import { createDynamoClient } from './store/client.ts';
import { DynamoDbPaymentStore } from './store/dynamodb-payment-store.ts';
import { ssmSecretReader } from './secrets/ssm.ts';
import { Deadline } from './deadline.ts';
import { countMetric } from './metrics.ts';

export interface App {
  config: AppConfig;
  store: PaymentStore;
  now: () => string;
  /** The deadline of one notify or return request. */
  deadline: () => Deadline;
  receiveDeps: ReceiveDeps;
  createPaymentDeps: CreatePaymentDeps;
}

export async function buildApp(env: Readonly<Record<string, string | undefined>>, secrets: readonly SecretName[] = ALL_SECRETS): Promise<App> {
  const config = await loadConfig(env, ssmSecretReader, secrets);
  const store = new DynamoDbPaymentStore(createDynamoClient(env), config.tables);
  const now = () => new Date().toISOString();
  // Every answer Alipay gives (or does not give) to notify_verify is a metric, by answer.
  const verify = coalesced((notifyId: string, signal: AbortSignal) =>
    notifyVerify(config.partner, notifyId, { gatewayUrl: config.gatewayUrl, timeoutMs: config.notifyVerifyTimeoutMs, signal }).then(
      (answer) => (countMetric('NotifyVerifyAnswers', 1, { name: 'Answer', value: String(answer) }), answer),
      (err: unknown) => {
        countMetric('NotifyVerifyAnswers', 1, { name: 'Answer', value: 'error' });
        throw err;
      },
    ));
  // Read the key only where a function loaded it: the getter throws for a function that did not ask for it.
  const receiveDeps: ReceiveDeps = {
    store, partner: config.partner, notifyVerify: verify,
    retentionDays: config.notificationRetentionDays, charset: config.charset, now,
    get key() {
      return config.key;
    },
  };
  return {
    config, store, now, receiveDeps,
    deadline: () => new Deadline(config.handlerDeadlineMs),
    createPaymentDeps: { store, account: config, now },
  };
}

/**
 * Copies of one notification in this process cost one notify_verify request: concurrent ones share it, and a `true`
 * is remembered for a while (it stays true; Alipay only stops saying it once we answered `success`). So a copy cannot
 * be told `false` because another copy was answered first. Across processes, process-event looks for a recorded copy
 * before it calls a `false` a rejection.
 */
export function coalesced(
  ask: (notifyId: string, signal: AbortSignal) => Promise<NotifyVerifyAnswer>,
  opts: { rememberMs?: number; maxRemembered?: number } = {},
) {
  const rememberMs = opts.rememberMs ?? 10 * 60_000;
  const maxRemembered = opts.maxRemembered ?? 1000;
  const inFlight = new Map<string, Promise<NotifyVerifyAnswer>>();
  const confirmedUntil = new Map<string, number>(); // insertion order: the oldest is forgotten first
  return (notifyId: string, signal: AbortSignal): Promise<NotifyVerifyAnswer> => {
    const until = confirmedUntil.get(notifyId);
    if (until !== undefined && until > Date.now()) return Promise.resolve('true');
    let answer = inFlight.get(notifyId);
    if (!answer) {
      answer = ask(notifyId, signal).then((a) => {
        if (a === 'true') {
          confirmedUntil.delete(notifyId);
          confirmedUntil.set(notifyId, Date.now() + rememberMs);
          if (confirmedUntil.size > maxRemembered) confirmedUntil.delete(confirmedUntil.keys().next().value!);
        }
        return a;
      }).finally(() => inFlight.delete(notifyId));
      inFlight.set(notifyId, answer);
    }
    return answer;
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
