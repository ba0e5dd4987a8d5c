// Configuration, read and validated once per cold start. A bad value stops the start with a message naming it.
import { parseCharset } from './alipay/charset.ts';
import { validateMd5Key, validatePartnerId, validateUrl } from './alipay/credentials.ts';
import { DEFAULT_GATEWAY_URL } from './alipay/account.ts';
import { isAlipayError } from './alipay/errors.ts';
import type { MerchantAccount } from './alipay/account.ts';
import { registerSecret } from './log.ts';

export interface AppConfig extends MerchantAccount {
  /** Where the return page sends the buyer (302) instead of rendering its own page, when set. */
  returnResultUrl?: string;
  storefrontToken: string;
  tables: { orders: string; notifications: string };
  dynamodbEndpoint?: string;
  notifyVerifyTimeoutMs: number;
  /** One deadline for a whole notify or return request, well under the Lambda timeout. */
  handlerDeadlineMs: number;
  notificationRetentionDays: number;
  reconcile: {
    /** Orders younger than this are left to their notifications. */
    minAgeMs: number;
    /** How long an order without it_b_pay stays payable before reconciliation closes it. */
    closeAfterMs: number;
    /** Orders one run looks at, at most. */
    maxOrders: number;
  };
  /** How refunds are asked for by default: the seller confirms on Alipay's page (pwd), or server to server (nopwd). */
  refundMode: 'pwd' | 'nopwd';
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly variable: string, message: string) {
    super(`configuration: ${variable}: ${message}`);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** The secrets a function may need. Each handler names its own, so its IAM role grants only those parameters. */
export type SecretName = 'ALIPAY_KEY' | 'STOREFRONT_TOKEN';
export const ALL_SECRETS: readonly SecretName[] = ['ALIPAY_KEY', 'STOREFRONT_TOKEN'];

/**
 * A secret the function did not ask for is not read (no SSM call, no IAM permission needed). Touching it is a bug
 * in the handler's list of secrets, reported as such instead of as an undefined key.
 */
function notLoaded(config: object, field: 'key' | 'storefrontToken', variable: SecretName): void {
  Object.defineProperty(config, field, {
    enumerable: false,
    get() {
      throw new ConfigError(variable, 'is not loaded for this function: add it to the secrets its handler needs (and grant its SSM parameter to the function\'s role)');
    },
  });
}
/** Reads a secret by SSM parameter name; injected so this module stays free of AWS imports. */
export type SecretReader = (parameterName: string) => Promise<string>;

function required(env: Env, name: string, hint: string): string {
  const v = env[name];
  if (v === undefined || v === '') throw new ConfigError(name, `is not set: ${hint}`);
  return v;
}

function check<T>(name: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (isAlipayError(err)) throw new ConfigError(name, err.message);
    throw err;
  }
}

async function secret(env: Env, name: string, readSecret: SecretReader | undefined, hint: string): Promise<string> {
  const direct = env[name];
  const parameter = env[`${name}_PARAMETER`];
  if (direct !== undefined && direct !== '') return direct;
  if (parameter !== undefined && parameter !== '') {
    if (!readSecret) throw new ConfigError(`${name}_PARAMETER`, 'is set but no SSM reader is available');
    try {
      return await readSecret(parameter);
    } catch (err) {
      throw new ConfigError(`${name}_PARAMETER`, `reading SSM parameter ${parameter} failed: ${(err as Error).message}`);
    }
  }
  throw new ConfigError(name, `is not set (nor ${name}_PARAMETER, the SSM SecureString holding it): ${hint}`);
}

function positiveInt(env: Env, name: string, fallback: number, opts: { zero?: boolean } = {}): number {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  if (!(opts.zero ? /^(0|[1-9]\d{0,6})$/ : /^[1-9]\d{0,6}$/).test(v)) throw new ConfigError(name, `"${v}" is not a ${opts.zero ? 'whole number' : 'positive whole number'}`);
  return Number(v);
}

function oneOf<T extends string>(env: Env, name: string, values: readonly T[], fallback: T): T {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  if (!(values as readonly string[]).includes(v)) throw new ConfigError(name, `"${v}" is not one of ${values.join(', ')}`);
  return v as T;
}

export async function loadConfig(env: Env, readSecret?: SecretReader, needs: readonly SecretName[] = ALL_SECRETS): Promise<AppConfig> {
  const partner = check('ALIPAY_PARTNER', () => validatePartnerId(required(env, 'ALIPAY_PARTNER', 'your 16-digit partner id starting with 2088'), 'ALIPAY_PARTNER'));
  const sellerId = check('ALIPAY_SELLER_ID', () => validatePartnerId(env.ALIPAY_SELLER_ID || partner, 'ALIPAY_SELLER_ID'));
  const charset = check('ALIPAY_CHARSET', () => parseCharset(env.ALIPAY_CHARSET || 'utf-8', 'ALIPAY_CHARSET'));
  const gatewayUrl = check('ALIPAY_GATEWAY_URL', () => validateUrl(env.ALIPAY_GATEWAY_URL || DEFAULT_GATEWAY_URL, 'ALIPAY_GATEWAY_URL', { allowQuery: false }));
  const base = check('PUBLIC_BASE_URL', () =>
    validateUrl(required(env, 'PUBLIC_BASE_URL', 'the public https base URL of this API, e.g. https://abc.execute-api.region.amazonaws.com'), 'PUBLIC_BASE_URL', { allowQuery: false }),
  ).replace(/\/+$/, '');
  const returnResultUrl = env.RETURN_RESULT_URL
    ? check('RETURN_RESULT_URL', () => validateUrl(env.RETURN_RESULT_URL, 'RETURN_RESULT_URL', { allowQuery: true }))
    : undefined;
  const config = {
    partner, sellerId, charset, gatewayUrl,
    notifyUrl: `${base}/alipay/notify`,
    returnUrl: `${base}/alipay/return`,
    ...(returnResultUrl ? { returnResultUrl } : {}),
    tables: {
      orders: required(env, 'ORDERS_TABLE', 'the DynamoDB Orders table name'),
      notifications: required(env, 'NOTIFICATIONS_TABLE', 'the DynamoDB Notifications table name'),
    },
    ...(env.DYNAMODB_ENDPOINT ? { dynamodbEndpoint: env.DYNAMODB_ENDPOINT } : {}),
    notifyVerifyTimeoutMs: positiveInt(env, 'NOTIFY_VERIFY_TIMEOUT_MS', 5000),
    handlerDeadlineMs: positiveInt(env, 'HANDLER_DEADLINE_MS', 6000),
    reconcile: {
      minAgeMs: positiveInt(env, 'RECONCILE_MIN_AGE_MINUTES', 30, { zero: true }) * 60_000,
      closeAfterMs: positiveInt(env, 'RECONCILE_CLOSE_AFTER_MINUTES', 2 * 24 * 60) * 60_000,
      maxOrders: positiveInt(env, 'RECONCILE_MAX_ORDERS', 200),
    },
    refundMode: oneOf(env, 'ALIPAY_REFUND_MODE', ['pwd', 'nopwd'] as const, 'pwd'),
    notificationRetentionDays: positiveInt(env, 'NOTIFICATION_RETENTION_DAYS', 400),
  } as AppConfig;
  // Secrets last, so a bad setting above fails before any SSM call.
  if (needs.includes('ALIPAY_KEY')) {
    const value = await secret(env, 'ALIPAY_KEY', readSecret, 'the 32-character MD5 key from your Alipay merchant account');
    config.key = check('ALIPAY_KEY', () => validateMd5Key(value, 'ALIPAY_KEY'));
    registerSecret(config.key);
  } else {
    notLoaded(config, 'key', 'ALIPAY_KEY');
  }
  if (needs.includes('STOREFRONT_TOKEN')) {
    const token = await secret(env, 'STOREFRONT_TOKEN', readSecret, 'the bearer token your storefront sends to POST /payments');
    if (token.length < 16) throw new ConfigError('STOREFRONT_TOKEN', 'is shorter than 16 characters: use a long random token');
    config.storefrontToken = token;
    registerSecret(token);
  } else {
    notLoaded(config, 'storefrontToken', 'STOREFRONT_TOKEN');
  }
  return config;
}
