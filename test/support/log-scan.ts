// What no log line of a test run may hold: the MD5 keys and storefront tokens the tests use, a full sign (32 hex
// characters), an Authorization value; nor may a line exceed 4 KB or be anything but one JSON object.
import { readFileSync } from 'node:fs';
import { LOCAL_DEFAULTS } from '../../infra/local/stack.ts';
import { TEST_KEY } from './alipay-messages.ts';
import { STOREFRONT_TOKEN } from './app-env.ts';
import type { CapturedLine } from './log-capture.ts';

const MAX_LINE_BYTES = 4096;

/** Secrets by name: a finding names the secret, never shows it. */
const SECRETS: [name: string, pattern: RegExp][] = [
  ['the test MD5 key (TEST_KEY)', literal(TEST_KEY)],
  ['the local stack\'s MD5 key (LOCAL_DEFAULTS.ALIPAY_KEY)', literal(LOCAL_DEFAULTS.ALIPAY_KEY)],
  ['an "otherkey…" test key', /otherkey/i],
  ['the test storefront token (STOREFRONT_TOKEN)', literal(STOREFRONT_TOKEN)],
  ['the local stack\'s storefront token (LOCAL_DEFAULTS.STOREFRONT_TOKEN)', literal(LOCAL_DEFAULTS.STOREFRONT_TOKEN)],
  ['an Authorization header value', /Bearer\s+[A-Za-z0-9._~+/=-]{8,}/],
  // Exactly 32: a notify_id (34) or a sha256 (64) is no sign.
  ['a full sign or MD5 key (exactly 32 hex characters)', /(?<![0-9a-fA-F])[0-9a-fA-F]{32}(?![0-9a-fA-F])/],
];

function literal(value: string): RegExp {
  return new RegExp(value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
}

export interface LogFinding {
  /** The test file that logged the line, and the line's number in the capture file. */
  where: string;
  problem: string;
  /** Around the match, with every secret and hex run shortened, so the report repeats none. */
  excerpt: string;
}

export function scanLogCapture(file: string): { lines: number; sources: number; findings: LogFinding[] } {
  const text = readFileSync(file, 'utf8');
  const findings: LogFinding[] = [];
  const sources = new Set<string>();
  const rows = text.split('\n').filter((r) => r !== '');
  rows.forEach((row, i) => {
    let captured: CapturedLine;
    try {
      captured = JSON.parse(row) as CapturedLine;
    } catch {
      findings.push({ where: `${file}:${i + 1}`, problem: 'the capture file has a broken row', excerpt: hide(row.slice(0, 160)) });
      return;
    }
    const { source, line } = captured;
    sources.add(source);
    const where = `${source} (logged line ${i + 1} of ${file})`;
    const bytes = Buffer.byteLength(line, 'utf8');
    if (bytes > MAX_LINE_BYTES) findings.push({ where, problem: `the line is ${bytes} bytes, over ${MAX_LINE_BYTES}`, excerpt: hide(line.slice(0, 160)) });
    try {
      const value: unknown = JSON.parse(line);
      if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
    } catch {
      findings.push({ where, problem: 'the line is not one JSON object', excerpt: hide(line.slice(0, 160)) });
    }
    for (const [name, pattern] of SECRETS) {
      const m = pattern.exec(line);
      if (m) findings.push({ where, problem: `holds ${name}`, excerpt: hide(line.slice(Math.max(0, m.index - 80), m.index + m[0].length + 80)) });
    }
  });
  return { lines: rows.length, sources: sources.size, findings };
}

/** The excerpt with the secrets named instead of shown, and hex runs of 8+ characters cut to their first 6. */
function hide(text: string): string {
  for (const [name, pattern] of SECRETS.slice(0, -1)) text = text.replace(new RegExp(pattern.source, `${pattern.flags}g`), `[${name}]`);
  return text.replace(/[0-9a-fA-F]{8,}/g, (hex) => `${hex.slice(0, 6)}…`);
}
