// Test runner for `npm test`: starts one DynamoDB Local, then runs node:test on the files.
// Usage: node --import tsx test/run.ts [test files...]
// With no arguments runs every *.test.ts under test/unit, test/integration and test/e2e.
// If DYNAMODB_ENDPOINT is already set, that endpoint is used and nothing is started.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { constants } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDynamoDbLocal } from '../infra/local/dynamodb-local.ts';

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

const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=tap', '--test-concurrency=2', ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, DYNAMODB_ENDPOINT: endpoint } },
);

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
child.on('exit', (code, signal) => void finish(code ?? 128 + (signal ? constants.signals[signal] : 0)));
child.on('error', (err) => {
  console.error(err);
  void finish(1);
});
