// The end-of-run log scan of test/run.ts: which captured lines it flags, and that its report repeats no secret.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { LOCAL_DEFAULTS } from '../../infra/local/stack.ts';
import { TEST_KEY } from '../support/alipay-messages.ts';
import { STOREFRONT_TOKEN } from '../support/app-env.ts';
import { scanLogCapture } from '../support/log-scan.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'log-scan-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Scans a capture file holding these log lines (as test/support/log-capture.ts writes them). */
function scan(...lines: string[]): ReturnType<typeof scanLogCapture> {
  const file = path.join(dir, `capture-${Math.random().toString(36).slice(2)}.jsonl`);
  writeFileSync(file, lines.map((line) => `${JSON.stringify({ source: 'test/integration/x.test.ts', line })}\n`).join(''));
  return scanLogCapture(file);
}

const logLine = (fields: Record<string, unknown>): string => JSON.stringify({ time: '2026-01-01T00:00:00.000Z', level: 'warn', requestId: 'r', msg: 'notify refused', ...fields });

describe('the log scan of a test run', () => {
  test('clean lines pass: a 34-hex notify_id, a 64-hex sha256, a 6-character sign prefix, a UUID', () => {
    const result = scan(
      logLine({ eventId: 'a'.repeat(34) }),
      logLine({ eventId: `unidentified#${'b'.repeat(64)}` }),
      logLine({ detail: 'sign=8e350a…' }),
      logLine({ requestId: '9f1c2d3e-4b5a-6789-abcd-ef0123456789' }),
    );
    assert.deepEqual(result.findings, []);
    assert.equal(result.lines, 4);
  });

  for (const [what, secret] of [
    ['TEST_KEY', TEST_KEY],
    ['the local stack key', LOCAL_DEFAULTS.ALIPAY_KEY],
    ['an otherkey… key', 'otherkeyotherkeyotherkeyotherkey'],
    ['the storefront token', STOREFRONT_TOKEN],
    ['the local storefront token', LOCAL_DEFAULTS.STOREFRONT_TOKEN],
    ['a full sign', '8e350acc9f0c51883c7a9320719c216a'],
    ['a Bearer value', 'Bearer tokentokentoken'],
  ] as const) {
    test(`${what} in a line is flagged, naming the test file, and the report does not repeat it`, () => {
      const { findings } = scan(logLine({}), logLine({ detail: `x ${secret} y` }));
      assert.equal(findings.length >= 1, true, `${what} not flagged`);
      assert.match(findings[0]!.where, /^test\/integration\/x\.test\.ts \(logged line 2 of /);
      for (const f of findings) assert.ok(!f.excerpt.includes(secret), `the report repeats ${what}: ${f.excerpt}`);
    });
  }

  test('a line over 4 KB, and a line that is not a JSON object, are flagged', () => {
    const { findings } = scan(logLine({ detail: 'x'.repeat(4200) }), '{"time":"t","msg":"cut here');
    assert.deepEqual(findings.map((f) => f.problem.replace(/\d+ bytes/, 'N bytes')), ['the line is N bytes, over 4096', 'the line is not one JSON object']);
  });
});
