// Scenario results as text: one line per figure for a test's diagnostics, one table for `npm run reliability`.
import type { ScenarioResult, Stats } from './scenarios.ts';

const stats = (s: Stats): string => `${s.min}/${s.avg}/${s.max}`;
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** The figures of one scenario, one per line (t.diagnostic). */
export function describeResult(r: ScenarioResult): string[] {
  const byModel = Object.entries(r.verifyCallsByModel).map(([m, s]) => `${m} ${stats(s)}`).join(', ');
  return [
    `${r.scenario} (seed ${r.seed}): ${r.orders} orders, ${r.notifications} notifications, ${r.deliveries} deliveries in ${seconds(r.wallMs)}`,
    `lost ${r.lost}, double-applied ${r.doubleApplied}, wrong final state ${r.wrongFinal}, moved backwards ${r.backwards}, rejected records ${r.rejectedRecords}`,
    `faults injected ${r.faultsInjected}${r.faultsInjected ? `: ${Object.entries(r.faultsByKind).map(([k, v]) => `${k} ${v}`).join(', ')}` : ''}`,
    `notify_verify calls per notify_id min/avg/max ${stats(r.verifyCallsPerId)}${byModel ? ` (${byModel})` : ''}`,
    `max sends to converge ${r.maxDeliveriesToConverge}, slowest answer ${r.slowestAnswerMs} ms, peak RSS ${r.peakRssMb} MB`,
    ...(Object.keys(r.failedAnswers).length ? [`answers other than success: ${Object.entries(r.failedAnswers).map(([k, v]) => `${JSON.stringify(k)} ×${v}`).join(', ')}`] : []),
    ...r.notes,
    ...r.problems.map((p) => `PROBLEM ${p}`),
  ];
}

const COLUMNS: { title: string; value: (r: ScenarioResult) => string }[] = [
  { title: 'scenario', value: (r) => r.scenario },
  { title: 'deliveries', value: (r) => String(r.deliveries) },
  { title: 'faults injected', value: (r) => String(r.faultsInjected) },
  { title: 'orders', value: (r) => String(r.orders) },
  { title: 'lost', value: (r) => String(r.lost) },
  { title: 'double-applied', value: (r) => String(r.doubleApplied) },
  { title: 'wrong final state', value: (r) => String(r.wrongFinal) },
  { title: 'backwards', value: (r) => String(r.backwards) },
  { title: 'notify_verify calls/id min/avg/max', value: (r) => stats(r.verifyCallsPerId) },
  { title: 'max sends to converge', value: (r) => String(r.maxDeliveriesToConverge) },
  { title: 'slowest answer', value: (r) => `${r.slowestAnswerMs} ms` },
  { title: 'peak RSS', value: (r) => `${r.peakRssMb} MB` },
  { title: 'wall time', value: (r) => seconds(r.wallMs) },
];

/** One table, a row per scenario, columns aligned. */
export function table(results: readonly ScenarioResult[]): string {
  const rows = [COLUMNS.map((c) => c.title), ...results.map((r) => COLUMNS.map((c) => c.value(r)))];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}
