// Fuzzing POST /payments with mutants of valid storefront requests (fast-check): never a 5xx; a refusal is always a 4xx
// JSON {error: {code, message, field?}} with a message; an order is written only when the answer is 201; and every
// form answered is validly signed, as judged by an MD5 oracle written apart from the product.
// FUZZ_SEED=<n> replays a run; FUZZ_SCALE=<x> multiplies the number of cases.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { handler as createPaymentHandler } from '../../functions/create-payment.ts';
import { TEST_KEY } from '../support/alipay-messages.ts';
import { STOREFRONT_TOKEN, useTestApp } from '../support/app-env.ts';
import type { HttpAnswer } from '../support/events.ts';
import { callChecked } from '../support/api.ts';
import { describeJsonMutant, type MutatedJson, mutatedJson } from '../support/json-mutations.ts';
import { paymentExample } from '../support/payments.ts';
import { expectedSign } from '../support/presign-oracle.ts';
import { SERVICE_NAMES } from '../../shared/alipay/services.ts';

const { app } = useTestApp();

const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const BATCH = 500;

async function send(m: MutatedJson): Promise<HttpAnswer> {
  const authorization = m.authorization === 'storefront' ? `Bearer ${STOREFRONT_TOKEN}` : m.authorization;
  // Every mutant's answer is checked against the API document too, and none it refuses may be accepted.
  return callChecked(createPaymentHandler, {
    method: 'POST', path: '/payments', routeKey: 'POST /payments',
    headers: { 'Content-Type': 'application/json', ...(authorization === null ? {} : { Authorization: authorization }) },
    body: m.body, base64: true,
  });
}

async function countOrders(): Promise<number> {
  const out = await DynamoDBDocumentClient.from(app.client).send(new ScanCommand({ TableName: app.tables.orders, Select: 'COUNT', ConsistentRead: true }));
  return out.Count ?? 0;
}

/** The answered form's fields, signed as Alipay will check them: bytes in the form's charset, our key. */
function assertSignedForm(fields: Record<string, string>, what: string): void {
  const charset = fields._input_charset;
  assert.ok(charset === 'utf-8' || charset === 'gbk', `${what}: _input_charset ${charset}`);
  const bytes = new Map(Object.entries(fields).map(([k, v]) => [k, charset === 'gbk' ? iconv.encode(v, 'gbk') : Buffer.from(v, 'utf8')]));
  assert.equal(fields.sign_type, 'MD5', what);
  assert.equal(fields.sign, expectedSign(bytes, TEST_KEY), `${what}: the answered form is not validly signed`);
}

function check(res: HttpAnswer, m: MutatedJson): void {
  const what = `POST /payments, ${describeJsonMutant(m)}`;
  assert.ok(res.status < 500, `${what}: answered ${res.status} ${res.body.slice(0, 300)}`);
  assert.match(res.headers['content-type'] ?? '', /^application\/json/, what);
  if (m.authorization !== 'storefront') assert.equal(res.status, 401, `${what}: answered ${res.status} without the storefront's token`);
  if (res.status === 200 || res.status === 201) {
    assert.equal(typeof res.json?.outTradeNo, 'string', what);
    assertSignedForm(res.json.form.fields, what);
    return;
  }
  assert.ok([400, 401, 409, 413].includes(res.status), `${what}: answered ${res.status}`);
  const error = res.json?.error;
  assert.ok(error && typeof error === 'object', `${what}: no {error} object in ${res.body.slice(0, 300)}`);
  assert.match(String(error.code), /^[A-Z][A-Z_]+$/, `${what}: error code ${error.code}`);
  assert.ok(typeof error.message === 'string' && error.message.trim() !== '', `${what}: empty error message`);
  // A message that starts with a blank has lost the name it starts with (" is not a parameter of …").
  assert.equal(error.message, error.message.trimStart(), `${what}: the message starts with a blank: ${JSON.stringify(error.message)}`);
  assert.ok(error.field === undefined || typeof error.field === 'string', `${what}: field ${JSON.stringify(error.field)}`);
}

describe('fuzzing POST /payments with mutants of valid requests', () => {
  // Found by the fuzzing below: the message read " is not a parameter of create_direct_pay_by_user".
  for (const name of ['', ' ', 'a b']) {
    test(`a key ${JSON.stringify(name)}: 400 UNKNOWN_PARAMETER whose message quotes the name`, async () => {
      const { body } = paymentExample('create_direct_pay_by_user');
      const res = await send({ base: 0, steps: [], authorization: 'storefront', body: Buffer.from(JSON.stringify({ ...body, [name]: 'x' })) });
      assert.equal(res.status, 400, res.body);
      assert.deepEqual(res.json.error, {
        code: 'UNKNOWN_PARAMETER', field: name, message: `${JSON.stringify(name)} is not a field of a payment request for create_direct_pay_by_user: use the documented camelCase names`,
      });
    });
  }

  test('4000 mutants: never a 5xx, every refusal a 4xx JSON error with a message, an order written only for a 201', { timeout: 600_000 }, async (t) => {
    const statuses = new Map<number, number>();
    const runs = Math.max(1, Math.round((4000 * SCALE) / BATCH));
    for (let batch = 0; batch < runs; batch++) {
      const bases = SERVICE_NAMES.flatMap((service) => [paymentExample(service).body, paymentExample(service, { charset: 'gbk' }).body]);
      const before = await countOrders();
      let created = 0;
      await fc.assert(
        fc.asyncProperty(mutatedJson(bases), async (m) => {
          const res = await send(m);
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          if (res.status === 201) created++;
          check(res, m);
        }),
        { numRuns: BATCH, seed: SEED + batch, includeErrorInReport: true },
      );
      assert.equal(await countOrders() - before, created, `batch ${batch + 1}: orders written but not answered 201 (FUZZ_SEED=${SEED})`);
    }
    const figures = [...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${n}×${s}`).join(', ');
    t.diagnostic(`POST /payments: ${runs * BATCH} mutants (${figures}), FUZZ_SEED=${SEED}`);
  });
});
