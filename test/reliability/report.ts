// `npm run reliability`: the reliability scenarios at full size against a DynamoDB Local of their own, one table of
// figures on stdout and the same as JSON in reliability-report.json.
// Usage: node --import tsx test/reliability/report.ts [scenario names…]   (storm, reorder, faults, crashes, race)
// RELIABILITY_SCALE=0.2 shrinks every count (a quick look); RELIABILITY_SEED=<n> replays a run.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDynamoDbLocal } from '../../infra/local/dynamodb-local.ts';
import { captureLogs, setUpApp } from '../support/app-env.ts';
import { ALL_FAULTS, DynamoDbFaultProxy } from '../support/dynamodb-fault-proxy.ts';
import { ALL_GATEWAY_FAULTS } from '../support/fake-gateway.ts';
import { seeded } from './random.ts';
import { describeResult, table } from './report-table.ts';
import {
  crashes, DEPLOYED_BUDGETS, duplicateStorm, faultyDelivery, problemCount, reorderedDelivery, returnNotifyRace,
  type ScenarioEnv, type ScenarioResult,
} from './scenarios.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const OUT = path.join(root, 'reliability-report.json');
const scale = Number(process.env.RELIABILITY_SCALE ?? 1);
const n = (count: number): number => Math.max(1, Math.round(count * scale));

const SCENARIOS: Record<string, (env: ScenarioEnv) => Promise<ScenarioResult>> = {
  storm: (env) => duplicateStorm(env, { orders: n(2000), copies: 5, concurrency: 64, burstFraction: 0.25, speedup: 6000, coldStartRate: 0.005 }),
  reorder: (env) => reorderedDelivery(env, { runsPerLifecycle: n(30), concurrency: 16 }),
  faults: (env) => faultyDelivery(env, {
    orders: n(600), copies: 2, concurrency: 32, speedup: 600,
    dynamoRate: 0.15, dynamoFaults: ALL_FAULTS, gatewayRate: 0.1, gatewayFaults: ALL_GATEWAY_FAULTS,
    coldStartRate: 0.005, budgets: DEPLOYED_BUDGETS,
  }),
  crashes: (env) => crashes(env, { orders: n(100), containers: 4, crashEvery: 10, speedup: 600, budgets: DEPLOYED_BUDGETS }),
  race: (env) => returnNotifyRace(env, { orders: n(400), concurrency: 32, notifyCopies: 3, returnLoads: 2 }),
};

const wanted = process.argv.slice(2);
for (const name of wanted) if (!(name in SCENARIOS)) throw new Error(`unknown scenario ${name}: choose from ${Object.keys(SCENARIOS).join(', ')}`);
const names = wanted.length > 0 ? wanted : Object.keys(SCENARIOS);

/** CPU seconds a process used so far (Linux /proc), to tell the work done from the time a busy machine adds. */
function cpuSeconds(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

const given = process.env.DYNAMODB_ENDPOINT;
const ddb = given ? undefined : await startDynamoDbLocal({});
const endpoint = given ?? ddb!.endpoint;
process.env.DYNAMODB_ENDPOINT = endpoint;
const logs = captureLogs();
const random = seeded();
console.error(`# DynamoDB Local ${endpoint}${ddb ? ` (pid ${ddb.pid})` : ''}, seed ${random.seed}, scale ${scale}`);

const results: (ScenarioResult & { cpuSeconds: { node: number; dynamodb?: number } })[] = [];
const started = Date.now();
try {
  for (const name of names) {
    const app = await setUpApp();
    const proxy = await new DynamoDbFaultProxy(endpoint).start();
    const cpu0 = process.cpuUsage();
    const java0 = ddb ? cpuSeconds(ddb.pid) : undefined;
    try {
      const result = await SCENARIOS[name]!({ app, proxy, realEndpoint: endpoint, random, logs });
      const cpu = process.cpuUsage(cpu0);
      const java1 = ddb ? cpuSeconds(ddb.pid) : undefined;
      results.push({
        ...result,
        cpuSeconds: { node: Math.round((cpu.user + cpu.system) / 1e4) / 100, ...(java0 !== undefined && java1 !== undefined ? { dynamodb: Math.round((java1 - java0) * 100) / 100 } : {}) },
      });
      for (const line of describeResult(result)) console.error(`#   ${line}`);
    } finally {
      await proxy.stop();
      await app.close();
      logs.lines.length = 0;
    }
  }
} finally {
  logs.restore();
  await ddb?.stop();
}

console.log(table(results));
writeFileSync(OUT, `${JSON.stringify({ startedAt: new Date(started).toISOString(), seed: random.seed, scale, wallMs: Date.now() - started, results }, null, 2)}\n`);
console.error(`# written to ${path.relative(process.cwd(), OUT)}; ${Math.round((Date.now() - started) / 1000)} s in all`);
const bad = results.filter((r) => problemCount(r) > 0);
if (bad.length > 0) {
  console.error(`# PROBLEMS in ${bad.map((r) => r.scenario).join(', ')}: see the lines above`);
  process.exitCode = 1;
}
// Containers and hanging sockets are gone; DynamoDB Local is stopped. Anything left is a leak: do not wait for it.
process.exit();
