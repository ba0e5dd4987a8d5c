// Every handler log line the tests capture, appended to one file for the whole `npm test` run, which test/run.ts
// scans for secrets once every test file has run (each file runs in a process of its own).
import { closeSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';

/** Names the file test/run.ts created; unset (a file run by hand with node --test), nothing is kept. */
export const LOG_CAPTURE_ENV = 'TEST_LOG_CAPTURE_FILE';

/** One captured line as stored: which test file logged it, and the line exactly as the handler wrote it. */
export interface CapturedLine {
  source: string;
  line: string;
}

let fd: number | undefined;
const source = path.relative(process.cwd(), process.argv[1] ?? '') || 'unknown';

/** Appends the lines of `chunk` (what a handler wrote to stdout). One write per line, so files never interleave. */
export function keepLogLines(chunk: string, from = source): void {
  const file = process.env[LOG_CAPTURE_ENV];
  if (!file) return;
  if (fd === undefined) {
    fd = openSync(file, 'a');
    process.once('exit', () => closeSync(fd!));
  }
  for (const line of chunk.split('\n')) {
    if (line !== '') writeSync(fd, `${JSON.stringify({ source: from, line } satisfies CapturedLine)}\n`);
  }
}
