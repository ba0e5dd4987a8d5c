import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../shared/config.ts';

const FAKE_KEY = 'fakekeyfakekeyfakekeyfakekey1234';
const env = {
  ALIPAY_PARTNER: '2088101568358171',
  ALIPAY_KEY: FAKE_KEY,
  PUBLIC_BASE_URL: 'https://pay.example.com/',
  STOREFRONT_TOKEN: 'storefront-token-for-tests',
  ORDERS_TABLE: 'orders',
  NOTIFICATIONS_TABLE: 'notifications',
};

async function configError(over: Record<string, string | undefined>): Promise<ConfigError> {
  try {
    await loadConfig({ ...env, ...over });
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the configuration to be refused');
}

describe('loadConfig', () => {
  test('a complete environment gives callback URLs built from PUBLIC_BASE_URL and sensible defaults', async () => {
    const c = await loadConfig(env);
    assert.equal(c.notifyUrl, 'https://pay.example.com/alipay/notify');
    assert.equal(c.returnUrl, 'https://pay.example.com/alipay/return');
    assert.equal(c.sellerId, env.ALIPAY_PARTNER);
    assert.equal(c.charset, 'utf-8');
    assert.equal(c.gatewayUrl, 'https://mapi.alipay.com/gateway.do');
    assert.equal(c.notifyVerifyTimeoutMs, 5000);
  });

  test('the key and token can come from SSM parameter names', async () => {
    const read: string[] = [];
    const c = await loadConfig(
      { ...env, ALIPAY_KEY: undefined, ALIPAY_KEY_PARAMETER: '/shop/key', STOREFRONT_TOKEN: undefined, STOREFRONT_TOKEN_PARAMETER: '/shop/token' },
      async (name) => {
        read.push(name);
        return name === '/shop/key' ? FAKE_KEY : 'token-from-ssm-0123456789';
      },
    );
    assert.equal(c.key, FAKE_KEY);
    assert.equal(c.storefrontToken, 'token-from-ssm-0123456789');
    assert.deepEqual(read, ['/shop/key', '/shop/token']);
  });

  test('a function reads only the secrets it names: no SSM call for the others, and touching one is a named error', async () => {
    const read: string[] = [];
    const reader = async (name: string) => {
      read.push(name);
      return name === '/shop/key' ? FAKE_KEY : 'token-from-ssm-0123456789';
    };
    const ssmEnv = { ...env, ALIPAY_KEY: undefined, ALIPAY_KEY_PARAMETER: '/shop/key', STOREFRONT_TOKEN: undefined, STOREFRONT_TOKEN_PARAMETER: '/shop/token' };

    const statusOnly = await loadConfig(ssmEnv, reader, ['STOREFRONT_TOKEN']);
    assert.deepEqual(read, ['/shop/token'], 'order-status never asks SSM for the MD5 key');
    assert.equal(statusOnly.storefrontToken, 'token-from-ssm-0123456789');
    assert.throws(() => statusOnly.key, (err: unknown) => err instanceof ConfigError && err.variable === 'ALIPAY_KEY' && /not loaded for this function/.test(err.message));
    assert.equal(JSON.stringify(statusOnly).includes('key'), false, 'an unloaded secret is not enumerable');

    read.length = 0;
    const notifyOnly = await loadConfig(ssmEnv, reader, ['ALIPAY_KEY']);
    assert.deepEqual(read, ['/shop/key'], 'notify never asks SSM for the storefront token');
    assert.equal(notifyOnly.key, FAKE_KEY);
    assert.throws(() => notifyOnly.storefrontToken, /STOREFRONT_TOKEN: is not loaded for this function/);

    // A function that needs no token starts even when no token is configured for it.
    await loadConfig({ ...env, STOREFRONT_TOKEN: undefined }, undefined, ['ALIPAY_KEY']);
  });

  for (const [what, over, variable, pattern] of [
    ['partner given as an email', { ALIPAY_PARTNER: 'shop@example.com' }, 'ALIPAY_PARTNER', /email/],
    ['partner with a trailing space', { ALIPAY_PARTNER: '2088101568358171 ' }, 'ALIPAY_PARTNER', /whitespace/],
    ['key with a trailing newline', { ALIPAY_KEY: `${FAKE_KEY}\n` }, 'ALIPAY_KEY', /whitespace/],
    ['key of the wrong length', { ALIPAY_KEY: FAKE_KEY.slice(1) }, 'ALIPAY_KEY', /32/],
    ['no key at all', { ALIPAY_KEY: undefined }, 'ALIPAY_KEY', /ALIPAY_KEY_PARAMETER/],
    ['a charset Alipay does not speak', { ALIPAY_CHARSET: 'big5' }, 'ALIPAY_CHARSET', /utf-8/],
    ['a relative base URL', { PUBLIC_BASE_URL: 'pay.example.com' }, 'PUBLIC_BASE_URL', /absolute/],
    ['a gateway URL with a query', { ALIPAY_GATEWAY_URL: 'https://mapi.alipay.com/gateway.do?x=1' }, 'ALIPAY_GATEWAY_URL', /query/],
    ['a short storefront token', { STOREFRONT_TOKEN: 'short' }, 'STOREFRONT_TOKEN', /16/],
    ['no tables', { ORDERS_TABLE: undefined }, 'ORDERS_TABLE', /table/],
    ['a timeout that is not a number', { NOTIFY_VERIFY_TIMEOUT_MS: '5s' }, 'NOTIFY_VERIFY_TIMEOUT_MS', /whole number/],
  ] as const) {
    test(`${what}: refused, naming ${variable}, never echoing the key`, async () => {
      const err = await configError(over);
      assert.equal(err.variable, variable);
      assert.match(err.message, pattern);
      assert.ok(!err.message.includes(FAKE_KEY.slice(0, 12)), err.message);
    });
  }
});
