// The child-process side of the bench: a fresh Node process that loads one bundle the way the Lambda runtime does
// (require of index.js), then runs a list of events through its handler at a given concurrency and reports init time,
// first answer, latencies, its own CPU and peak RSS. Written next to the bundles as plain CommonJS.
export const DRIVER = `
const fs = require('node:fs');
const [bundle, eventsFile, concurrency, outFile] = process.argv.slice(2);
const t0 = performance.now();
const { handler } = require(bundle);
const initMs = performance.now() - t0;
const events = eventsFile === '-' ? [] : JSON.parse(fs.readFileSync(eventsFile, 'utf8'));
(async () => {
  const cpu0 = process.cpuUsage();
  const latencies = [];
  const bodies = {};
  let next = 0;
  let firstAnswerMs;
  const started = performance.now();
  const worker = async () => {
    while (next < events.length) {
      const event = events[next++];
      const t = performance.now();
      const result = await handler(event, { awsRequestId: 'bench', getRemainingTimeInMillis: () => 10000 });
      const now = performance.now();
      firstAnswerMs ??= now; // performance.now() counts from the process's start
      latencies.push(now - t);
      const body = String(result && result.body);
      bodies[body] = (bodies[body] || 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: Number(concurrency) || 1 }, worker));
  const cpu = process.cpuUsage(cpu0);
  fs.writeFileSync(outFile, JSON.stringify({
    initMs, firstAnswerMs, wallMs: performance.now() - started, cpuUs: cpu.user + cpu.system, latencies, bodies,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  }));
})().catch((err) => { console.error(err); process.exit(1); });
`;

export interface DriverResult {
  initMs: number;
  firstAnswerMs?: number;
  wallMs: number;
  cpuUs: number;
  latencies: number[];
  bodies: Record<string, number>;
  maxRssMb: number;
}

/**
 * The heap limits the Lambda Node.js runtime starts Node with for a function of `memoryMb` (its bootstrap script:
 * new space = memory / 10, --max-semi-space-size = half of that, --max-old-space-size = the rest). Without them Node
 * sizes its heap from this machine's memory, grows its young generation far beyond what a 128 MB function allows, and
 * peak RSS says little about Lambda.
 */
export function lambdaNodeFlags(memoryMb: number): string[] {
  if (!Number.isInteger(memoryMb) || memoryMb < 128) throw new Error(`lambdaNodeFlags: a Lambda memory size in MB (128 or more), got ${memoryMb}`);
  const newSpace = Math.floor(memoryMb / 10);
  return [`--max-semi-space-size=${Math.floor(newSpace / 2)}`, `--max-old-space-size=${memoryMb - newSpace}`];
}
