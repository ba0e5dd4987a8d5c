// Test runner for `npm test`: starts one DynamoDB Local, then runs node:test on the files.
// Usage: node --import tsx test/run.ts [test files...]
// With no arguments runs every *.test.ts under test/unit, test/integration and test/e2e.
// If DYNAMODB_ENDPOINT is already set, that endpoint is used and nothing is started.
// Every handler log line of the run is collected in one file (test/support/log-capture.ts) and scanned at the end:
// a test key, a storefront token or a full sign in a log line, or a line over 4 KB, fails the run.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDynamoDbLocal } from '../infra/local/dynamodb-local.ts';
import { keepLogLines, LOG_CAPTURE_ENV } from './support/log-capture.ts';
import { scanLogCapture } from './support/log-scan.ts';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

function listTests(): string[] {
  return ['test/unit', 'test/integration', 'test/e2e']
    .filter((dir) => existsSync(path.join(root, dir)))
    .flatMap((dir) =>
      readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.test.ts'))
        .map((f) => path.join(dir, f)),
    )
    .sort();
}

const files = process.argv.length > 2 ? process.argv.slice(2).map((f) => path.resolve(f)) : listTests();
if (files.length === 0) {
  console.error('test/run.ts: no *.test.ts files found');
  process.exit(1);
}

let endpoint = process.env.DYNAMODB_ENDPOINT;
const ddb = endpoint ? undefined : await startDynamoDbLocal({});
endpoint ??= ddb!.endpoint;
console.error(`# DynamoDB Local: ${endpoint}${ddb ? ` (pid ${ddb.pid})` : ' (from DYNAMODB_ENDPOINT)'}`);

const captureDir = mkdtempSync(path.join(tmpdir(), 'alipay-test-logs-'));
const captureFile = path.join(captureDir, 'handler-logs.jsonl');
writeFileSync(captureFile, '');
process.env[LOG_CAPTURE_ENV] = captureFile; // the test files inherit it; this process adds what the report shows

const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=tap', '--test-concurrency=2', ...files],
  { cwd: root, stdio: ['inherit', 'pipe', 'inherit'], env: { ...process.env, DYNAMODB_ENDPOINT: endpoint } },
);
// The report passes through untouched. A handler log line in it (a test file that does not capture its logs) is kept
// for the scan as well.
let pending = '';
child.stdout!.on('data', (chunk: Buffer) => {
  process.stdout.write(chunk);
  const lines = (pending + chunk.toString('utf8')).split('\n');
  pending = lines.pop()!;
  for (const line of lines) {
    const log = /^\s*# (\{"time":.*)$/.exec(line);
    if (log) keepLogLines(log[1]!, 'the test report (a log line no test captured)');
  }
});

/** Scans the run's log lines; the run fails on a finding, and the capture file is kept for a look. */
function scanLogs(): boolean {
  const { lines, sources, findings } = scanLogCapture(captureFile);
  if (findings.length === 0) {
    console.error(`# log scan: ${lines} handler log lines from ${sources} test files, no secret, no sign, none over 4 KB`);
    rmSync(captureDir, { recursive: true, force: true });
    return true;
  }
  console.error(`# log scan FAILED: ${findings.length} problems in ${lines} handler log lines (all lines kept in ${captureFile})`);
  for (const f of findings.slice(0, 20)) console.error(`#   ${f.where}: ${f.problem}: ${f.excerpt}`);
  if (findings.length > 20) console.error(`#   … and ${findings.length - 20} more`);
  return false;
}

let exiting = false;
async function finish(code: number): Promise<void> {
  if (exiting) return;
  exiting = true;
  await ddb?.stop();
  process.exit(code);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    child.kill(signal);
    void finish(128 + constants.signals[signal]);
  });
}
child.on('close', (code, signal) => {
  const status = code ?? 128 + (signal ? constants.signals[signal] : 0);
  const clean = scanLogs();
  void finish(status !== 0 ? status : clean ? 0 : 1);
});
child.on('error', (err) => {
  console.error(err);
  void finish(1);
});
