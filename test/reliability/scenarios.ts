// The reliability scenarios, each a plain async function over a test app (tables, fake gateway) and, where it needs
// one, a DynamoDB fault proxy: the integration tests run them small, `npm run reliability` runs them large. Each one
// creates its orders through POST /payments, lets Alipay (the simulator) deliver, then audits what was stored.
import fc from 'fast-check';
import type { Order } from '../../shared/orders/order.ts';
import { returnQuery } from '../support/alipay-messages.ts';
import type { ServiceName } from '../../shared/alipay/services.ts';
import { getReturn, postPayment } from '../support/api.ts';
import type { TestApp } from '../support/app-env.ts';
import type { DynamoDbFaultProxy, Fault } from '../support/dynamodb-fault-proxy.ts';
import type { GatewayFault } from '../support/fake-gateway.ts';
import { paymentExample } from '../support/payments.ts';
import { type Answer, type Deliverable, deliverAll, type DeliveryRun, describeAnswer, isSuccess, type NotificationDeliveries } from './alipay-simulator.ts';
import { audit, readOrders, sampleRss, watchProgress, type AuditResult } from './audit.ts';
import { inProcessNotify } from './channels.ts';
import { LambdaContainers } from './lambda-containers.ts';
import { type Lifecycle, LIFECYCLES, type PlannedNotification, planTrade, type TradePlan } from './lifecycles.ts';
import { type VerifyModel, verifyCallsPerId, verifyModel } from './notify-verify-models.ts';
import { deliveryOrder } from './orderings.ts';
import { mapLimit } from './pool.ts';
import { type Random, shuffled } from './random.ts';

export interface ScenarioEnv {
  app: TestApp;
  /** A fault proxy in front of DynamoDB: the faults and crash scenarios need one. */
  proxy?: DynamoDbFaultProxy;
  realEndpoint: string;
  random: Random;
  /** The handlers' JSON log lines (captureLogs), for scenarios that tell passing trouble from a wrong answer. */
  logs?: { lines: readonly string[] };
}

export interface Stats {
  min: number;
  avg: number;
  max: number;
}

export interface ScenarioResult {
  scenario: string;
  seed: number;
  orders: number;
  notifications: number;
  /** Every request Alipay (or the buyer's browser) made. */
  deliveries: number;
  faultsInjected: number;
  faultsByKind: Record<string, number>;
  lost: number;
  doubleApplied: number;
  wrongFinal: number;
  backwards: number;
  /** Records of a genuine notification notify_verify disowned (harmless when the notification was also recorded). */
  rejectedRecords: number;
  verifyCallsPerId: Stats;
  verifyCallsByModel: Partial<Record<VerifyModel, Stats>>;
  maxDeliveriesToConverge: number;
  slowestAnswerMs: number;
  peakRssMb: number;
  wallMs: number;
  /** Answers other than `success`, by what they were. */
  failedAnswers: Record<string, number>;
  /** The first problems found, for the report and the test message. */
  problems: string[];
  notes: string[];
}

export const problemCount = (r: ScenarioResult): number => r.lost + r.doubleApplied + r.wrongFinal + r.backwards;

const MAX_PROBLEMS = 20;

/**
 * An order created through POST /payments, sent again on a 503 as a storefront would (the same request is answered
 * the same): on a busy machine a new connection to DynamoDB Local can take longer than the client's 1 s to open.
 */
export async function createOrder(service: ServiceName): Promise<{ outTradeNo: string; paidFee: string }> {
  const example = paymentExample(service);
  for (let attempt = 1; ; attempt++) {
    const res = await postPayment(example.body);
    if (res.status === 201 || res.status === 200) return { outTradeNo: example.body.outTradeNo as string, paidFee: example.paidFee };
    if (res.status !== 503 || attempt >= 10) throw new Error(`POST /payments answered ${res.status}: ${res.body}`);
    await new Promise((r) => setTimeout(r, 100 * attempt));
  }
}

/** Orders of the given lifecycles (cycling through them), created through POST /payments, with their plans. */
export async function createTrades(lifecycles: readonly Lifecycle[], count: number, concurrency: number): Promise<TradePlan[]> {
  const chosen = Array.from({ length: count }, (_, i) => lifecycles[i % lifecycles.length]!);
  return mapLimit(chosen, concurrency, async (lifecycle) => planTrade(lifecycle, await createOrder(lifecycle.service)));
}

const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;
const roundStats = (s: { min: number; avg: number; max: number }): Stats => ({ min: s.min, avg: round(s.avg), max: s.max });

interface Finish {
  scenario: string;
  env: ScenarioEnv;
  plans: readonly TradePlan[];
  delivery: DeliveryRun;
  observedBackwards: readonly string[];
  models?: (notifyId: string) => VerifyModel;
  started: number;
  rss: { stop(): number };
  faultsByKind: Record<string, number>;
  extraDeliveries?: number;
  extraProblems?: { wrongFinal?: string[]; doubleApplied?: string[] };
  notes?: string[];
}

async function finish(f: Finish): Promise<ScenarioResult> {
  const orders = await readOrders(f.plans, (o) => f.env.app.getOrder(o));
  const records = await f.env.app.notifications();
  const a: AuditResult = audit({ plans: f.plans, orders, records, delivery: f.delivery, observedBackwards: f.observedBackwards });
  const wrongFinal = [...a.wrongFinal, ...(f.extraProblems?.wrongFinal ?? [])];
  const doubleApplied = [...a.doubleApplied, ...(f.extraProblems?.doubleApplied ?? [])];
  const ids = f.plans.flatMap((p) => p.notifications.map((n) => n.notifyId));
  const byModel: Partial<Record<VerifyModel, Stats>> = {};
  if (f.models) {
    for (const model of ['true-always', 'false-after-success'] as const) {
      const mine = ids.filter((id) => f.models!(id) === model);
      if (mine.length > 0) byModel[model] = roundStats(verifyCallsPerId(f.env.app.gateway, mine));
    }
  }
  return {
    scenario: f.scenario,
    seed: f.env.random.seed,
    orders: a.orders,
    notifications: a.notifications,
    deliveries: f.delivery.deliveries + (f.extraDeliveries ?? 0),
    faultsInjected: Object.values(f.faultsByKind).reduce((x, y) => x + y, 0),
    faultsByKind: f.faultsByKind,
    lost: a.lost.length,
    doubleApplied: doubleApplied.length,
    wrongFinal: wrongFinal.length,
    backwards: a.backwards.length,
    rejectedRecords: a.rejectedRecords,
    verifyCallsPerId: roundStats(verifyCallsPerId(f.env.app.gateway, ids)),
    verifyCallsByModel: byModel,
    maxDeliveriesToConverge: f.delivery.maxSendsToConverge,
    slowestAnswerMs: Math.round(f.delivery.slowestMs),
    peakRssMb: f.rss.stop(),
    wallMs: Math.round(performance.now() - f.started),
    failedAnswers: f.delivery.failures,
    problems: [...a.lost, ...doubleApplied, ...wrongFinal, ...a.backwards].slice(0, MAX_PROBLEMS),
    notes: f.notes ?? [],
  };
}

const deliverables = (plans: readonly TradePlan[]): Deliverable[] => plans.flatMap((p) => p.notifications);

/** Half the notify_ids (alternating by order) under each notify_verify model. */
function splitModels(plans: readonly TradePlan[]): (notifyId: string) => VerifyModel {
  const model = new Map<string, VerifyModel>();
  plans.forEach((p, i) => p.notifications.forEach((n) => model.set(n.notifyId, i % 2 === 0 ? 'true-always' : 'false-after-success')));
  return (id) => model.get(id) ?? 'true-always';
}

// ---------------------------------------------------------------------------------------------------------------------

export interface StormOptions {
  orders: number;
  /** Copies of every notification (each resent on its own until `success`). */
  copies: number;
  concurrency: number;
  /** Fraction of notifications whose copies all arrive at once. */
  burstFraction: number;
  speedup: number;
  /** Fraction of sends that land on a new container (cold start). */
  coldStartRate: number;
  /** Default: every lifecycle. */
  lifecycles?: readonly Lifecycle[];
}

/** Every notification of every lifecycle, `copies` times, shuffled; half the ids under each notify_verify model. */
export async function duplicateStorm(env: ScenarioEnv, o: StormOptions): Promise<ScenarioResult> {
  const started = performance.now();
  const rss = sampleRss();
  const plans = await createTrades(o.lifecycles ?? LIFECYCLES, o.orders, o.concurrency);
  const models = splitModels(plans);
  const channel = inProcessNotify({ coldStartRate: o.coldStartRate, random: env.random });
  const watcher = watchProgress(plans, (id) => env.app.getOrder(id), env.random);
  const delivery = await deliverAll(deliverables(plans), {
    channel, concurrency: o.concurrency, copies: o.copies, burstFraction: o.burstFraction, speedup: o.speedup,
    random: env.random, onAnswer: verifyModel(env.app.gateway, models),
  });
  const watched = await watcher.stop();
  return finish({
    scenario: 'duplicate storm', env, plans, delivery, observedBackwards: watched.backwards, models, started, rss, faultsByKind: {},
    notes: [`${o.copies} copies each, ${Math.round(o.burstFraction * 100)}% in bursts, concurrency ${o.concurrency}, ${channel.coldStarts()} cold starts, ${watched.reads} watcher reads`],
  });
}

// ---------------------------------------------------------------------------------------------------------------------

export interface Budgets {
  HANDLER_DEADLINE_MS: string;
  NOTIFY_VERIFY_TIMEOUT_MS: string;
  DYNAMODB_REQUEST_TIMEOUT_MS: string;
}

/** serverless.yml's budgets: the 6 s deadline, notify_verify 3 s, DynamoDB 3 s per attempt. */
export const DEPLOYED_BUDGETS: Budgets = { HANDLER_DEADLINE_MS: '6000', NOTIFY_VERIFY_TIMEOUT_MS: '3000', DYNAMODB_REQUEST_TIMEOUT_MS: '3000' };

export interface FaultOptions {
  orders: number;
  copies: number;
  concurrency: number;
  speedup: number;
  dynamoRate: number;
  dynamoFaults: readonly Fault[];
  gatewayRate: number;
  gatewayFaults: readonly GatewayFault[];
  coldStartRate: number;
  budgets: Budgets;
}

/** The app pointed at the proxy with `budgets` while `run` runs; back to the real endpoint and its own budgets after. */
async function throughProxy<T>(env: ScenarioEnv, budgets: Budgets, run: (proxy: DynamoDbFaultProxy) => Promise<T>): Promise<T> {
  const proxy = env.proxy;
  if (!proxy) throw new Error('this scenario needs a DynamoDB fault proxy');
  env.app.setEnv({ DYNAMODB_ENDPOINT: proxy.endpoint, ...budgets });
  try {
    return await run(proxy);
  } finally {
    proxy.heal();
    env.app.gateway.failAtRate(undefined);
    env.app.setEnv({
      DYNAMODB_ENDPOINT: env.realEndpoint,
      HANDLER_DEADLINE_MS: env.app.env.HANDLER_DEADLINE_MS,
      NOTIFY_VERIFY_TIMEOUT_MS: env.app.env.NOTIFY_VERIFY_TIMEOUT_MS,
      DYNAMODB_REQUEST_TIMEOUT_MS: env.app.env.DYNAMODB_REQUEST_TIMEOUT_MS,
    });
  }
}

/** Faults injected since `from` (indexes into the proxy's and the gateway's logs), by kind. */
function faultsSince(env: ScenarioEnv, from: { proxy: number; gateway: number }): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const f of env.proxy?.injected.slice(from.proxy) ?? []) counts[`dynamodb ${f.fault}`] = (counts[`dynamodb ${f.fault}`] ?? 0) + 1;
  for (const f of env.app.gateway.injected.slice(from.gateway)) counts[`notify_verify ${f.fault}`] = (counts[`notify_verify ${f.fault}`] ?? 0) + 1;
  return counts;
}

/** DynamoDB and notify_verify failing at a rate while Alipay delivers as it does, with the deployed budgets. */
export async function faultyDelivery(env: ScenarioEnv, o: FaultOptions): Promise<ScenarioResult> {
  const started = performance.now();
  const rss = sampleRss();
  const plans = await createTrades(LIFECYCLES, o.orders, o.concurrency);
  const models = splitModels(plans);
  const from = { proxy: env.proxy?.injected.length ?? 0, gateway: env.app.gateway.injected.length };
  const { delivery, watched, coldStarts } = await throughProxy(env, o.budgets, async (proxy) => {
    proxy.chaos({ rate: o.dynamoRate, faults: o.dynamoFaults, random: env.random });
    env.app.gateway.failAtRate({ rate: o.gatewayRate, faults: o.gatewayFaults, random: env.random });
    const channel = inProcessNotify({ coldStartRate: o.coldStartRate, random: env.random });
    const watcher = watchProgress(plans, (id) => env.app.getOrder(id), env.random);
    const delivery = await deliverAll(deliverables(plans), {
      channel, concurrency: o.concurrency, copies: o.copies, burstFraction: 0.2, speedup: o.speedup,
      random: env.random, onAnswer: verifyModel(env.app.gateway, models),
    });
    return { delivery, watched: await watcher.stop(), coldStarts: channel.coldStarts() };
  });
  const calls = env.proxy!.operations.length;
  return finish({
    scenario: 'faults', env, plans, delivery, observedBackwards: watched.backwards, models, started, rss,
    faultsByKind: faultsSince(env, from),
    notes: [
      `DynamoDB ${Math.round(o.dynamoRate * 100)}% of calls (${o.dynamoFaults.join(', ')}), notify_verify ${Math.round(o.gatewayRate * 100)}% (${o.gatewayFaults.join(', ')})`,
      `deadline ${o.budgets.HANDLER_DEADLINE_MS} ms, ${calls} DynamoDB calls through the proxy, ${coldStarts} cold starts`,
    ],
  });
}

// ---------------------------------------------------------------------------------------------------------------------

export interface CrashOptions {
  orders: number;
  containers: number;
  /**
   * Every `crashEvery`-th TransactWriteItems carrying a notification kills its container: alternately before the write
   * reaches DynamoDB and right after DynamoDB applied it (before the answer reaches the handler).
   */
  crashEvery: number;
  speedup: number;
  budgets: Budgets;
}

const eventIdOf = (body: Buffer): string | undefined => {
  try {
    const req = JSON.parse(body.toString('utf8')) as { TransactItems?: { Put?: { Item?: { eventId?: { S?: string } } } }[] };
    return req.TransactItems?.[0]?.Put?.Item?.eventId?.S;
  } catch {
    return undefined;
  }
};

/**
 * The handler's process dies between notify_verify's `true` and the write (or right after the write): notify runs in
 * Lambda-like child processes, and the proxy kills the one whose TransactWriteItems it receives, then drops what it
 * sent. Alipay sees no answer and resends (to a new container: a cold start).
 */
export async function crashes(env: ScenarioEnv, o: CrashOptions): Promise<ScenarioResult> {
  const started = performance.now();
  const rss = sampleRss();
  const plans = await createTrades(LIFECYCLES, o.orders, 8);
  const models = splitModels(plans);
  const byId = new Map<string, PlannedNotification>(plans.flatMap((p) => p.notifications.map((n) => [n.notifyId, n] as const)));
  const halfWritten: string[] = [];
  const kinds: Record<string, number> = {};
  const crashedTimes = new Map<string, number>();
  let writes = 0;
  let crashed = 0;

  const { delivery, watched, starts } = await throughProxy(env, o.budgets, async (proxy) => {
    const pool = await new LambdaContainers(o.containers, { ...process.env }).start();
    try {
      // After the kill, before Alipay resends: the event is recorded as applied exactly when the order holds it, and a
      // write that never reached DynamoDB left no record.
      const check = async (kind: 'before' | 'after', n: PlannedNotification) => {
        const read = await env.app.store.readForEvent(n.outTradeNo, n.notifyId);
        const inHistory = read.order?.history.some((h) => h.eventId === n.notifyId) ?? false;
        if (kind === 'before' && (read.record || inHistory)) {
          halfWritten.push(`${n.outTradeNo}: the container died before its write, yet ${read.record ? 'the record' : 'the order'} holds ${n.notifyId}`);
        }
        if ((read.record?.outcome === 'applied') !== inHistory) {
          halfWritten.push(`${n.outTradeNo}: after a crash ${kind} the write, ${n.notifyId} is ${read.record ? `recorded as ${read.record.outcome}` : 'not recorded'} but ${inHistory ? '' : 'not '}in the order's history`);
        }
      };
      proxy.intercept(async (operation, body) => {
        if (operation !== 'TransactWriteItems') return { action: 'forward' };
        const id = eventIdOf(body);
        const n = id === undefined ? undefined : byId.get(id);
        const container = id === undefined ? undefined : pool.servingNotifyId(id);
        if (!n || !container || (crashedTimes.get(id!) ?? 0) >= 2 || writes++ % o.crashEvery !== 0) return { action: 'forward' };
        const kind = crashed++ % 2 === 0 ? 'before' : 'after';
        crashedTimes.set(id!, (crashedTimes.get(id!) ?? 0) + 1);
        kinds[`crash ${kind} the write`] = (kinds[`crash ${kind} the write`] ?? 0) + 1;
        const kill = async () => {
          await pool.kill(container);
          await check(kind, n);
        };
        return kind === 'before' ? { action: 'drop', before: kill } : { action: 'lose_answer', after: kill };
      });
      const watcher = watchProgress(plans, (id) => env.app.getOrder(id), env.random);
      const delivery = await deliverAll(deliverables(plans), {
        channel: (m) => pool.notify(m), concurrency: o.containers, copies: 1, speedup: o.speedup,
        random: env.random, onAnswer: verifyModel(env.app.gateway, models),
      });
      return { delivery, watched: await watcher.stop(), starts: pool.starts };
    } finally {
      await pool.stop();
    }
  });
  return finish({
    scenario: 'process crashes', env, plans, delivery, observedBackwards: watched.backwards, models, started, rss,
    faultsByKind: kinds, extraProblems: { doubleApplied: halfWritten },
    notes: [`${o.containers} containers, ${starts} started (cold starts), ${halfWritten.length} half-written`],
  });
}

// ---------------------------------------------------------------------------------------------------------------------

/** The parts of an order that must not depend on the delivery order (its trade_no, its own, is checked apart). */
export const endState = (o: Order | undefined) => o && {
  status: o.status, refund: o.refund ?? null, paidFen: o.paidFen ?? null, anomalies: o.anomalies.map((a) => a.code),
};

export interface ReorderOptions {
  /** Delivery orders tried per lifecycle. */
  runsPerLifecycle: number;
  concurrency: number;
}

/**
 * Each lifecycle delivered in order once (the reference), then in `runsPerLifecycle` orders drawn by fast-check
 * (permutations with repeats), one notification after another through the handler: every run must end where the
 * in-order one did, and that must be the lifecycle's end.
 */
export async function reorderedDelivery(env: ScenarioEnv, o: ReorderOptions): Promise<ScenarioResult> {
  const started = performance.now();
  const rss = sampleRss();
  const runs: { lifecycle: Lifecycle; order: number[] }[] = [];
  for (const lifecycle of LIFECYCLES) {
    const n = lifecycle.states.length;
    runs.push({ lifecycle, order: Array.from({ length: n }, (_, i) => i) });
    for (const order of fc.sample(deliveryOrder(n), { numRuns: o.runsPerLifecycle, seed: Math.floor(env.random() * 2 ** 31) })) {
      runs.push({ lifecycle, order });
    }
  }
  const channel = inProcessNotify();
  const results = await mapLimit(runs, o.concurrency, async (run) => {
    const [plan] = await createTrades([run.lifecycle], 1, 1);
    const answers: Answer[] = [];
    const acceptedAtSend = new Map<string, number | undefined>();
    const sends = new Map<string, number>();
    let slowestMs = 0;
    // One send at a time, in the drawn order. A send answered anything but `success` (passing trouble on a crowded
    // machine) is sent again before the next one, as Alipay would, so the drawn order is what the handler sees.
    for (const i of run.order) {
      const n = plan!.notifications[i]!;
      let accepted: number | undefined;
      for (let send = 1; send <= 8 && accepted === undefined; send++) {
        const t0 = performance.now();
        const answer = await channel(n.message);
        answers.push(answer);
        sends.set(n.notifyId, (sends.get(n.notifyId) ?? 0) + 1);
        slowestMs = Math.max(slowestMs, performance.now() - t0);
        if (isSuccess(answer)) accepted = send;
      }
      // A repeated index (a duplicate delivery) keeps its first acceptance.
      if (!acceptedAtSend.has(n.notifyId) || acceptedAtSend.get(n.notifyId) === undefined) acceptedAtSend.set(n.notifyId, accepted);
    }
    return { run, plan: plan!, answers, slowestMs, acceptedAtSend, sends };
  });
  const plans = results.map((r) => r.plan);
  const orders = await readOrders(plans, (id) => env.app.getOrder(id));
  const mismatches: string[] = [];
  const reference = new Map<string, string>();
  for (const { run, plan } of results) {
    const end = JSON.stringify(endState(orders.get(plan.outTradeNo)));
    const ref = reference.get(run.lifecycle.name);
    if (ref === undefined) reference.set(run.lifecycle.name, end);
    else if (ref !== end) mismatches.push(`${run.lifecycle.name}: delivered as [${run.order.join(' ')}] ends ${end}, in order ${ref}`);
  }
  const failures: Record<string, number> = {};
  for (const { answers } of results) {
    for (const a of answers) if (!isSuccess(a)) failures[describeAnswer(a)] = (failures[describeAnswer(a)] ?? 0) + 1;
  }
  const perNotification = new Map(results.flatMap(({ plan, acceptedAtSend, sends }) => plan.notifications.map((n): [string, NotificationDeliveries] => [n.notifyId, {
    notifyId: n.notifyId, sends: sends.get(n.notifyId) ?? 0, acceptedAtSend: [acceptedAtSend.get(n.notifyId)], slowestMs: 0,
  }])));
  const deliveries = results.reduce((sum, r) => sum + r.answers.length, 0);
  const delivery: DeliveryRun = {
    deliveries, perNotification, failures, slowestMs: Math.max(0, ...results.map((r) => r.slowestMs)),
    maxSendsToConverge: Math.max(1, ...results.flatMap((r) => [...r.acceptedAtSend.values()].map((v) => v ?? 0))), neverAccepted: [], elapsedMs: 0,
  };
  return finish({
    scenario: 'reordered delivery', env, plans, delivery, observedBackwards: [], started, rss, faultsByKind: {},
    extraProblems: { wrongFinal: mismatches },
    notes: [`${LIFECYCLES.length} lifecycles × (1 in order + ${o.runsPerLifecycle} drawn orders), one send at a time per order`],
  });
}

// ---------------------------------------------------------------------------------------------------------------------

export interface ReturnRaceOptions {
  orders: number;
  concurrency: number;
  /** Copies of the async notification racing the return. */
  notifyCopies: number;
  /** Times the buyer's browser loads return_url (a reload is a second request). */
  returnLoads: number;
}

type ReturnCase = {
  name: string;
  lifecycle: Lifecycle;
  /** The return's trade_status. */
  returnStatus: string;
  /** notify_verify's answer for the return's notify_id, or a return too old to be confirmed. */
  returnIs: 'genuine' | 'disowned' | 'unverifiable' | 'too old';
  paid: boolean;
};

const RETURN_CASES: readonly ReturnCase[] = [
  { name: 'instant, paid', lifecycle: { name: 'instant paid', family: 'instant', service: 'create_direct_pay_by_user', states: [{ tradeStatus: 'TRADE_SUCCESS' }] }, returnStatus: 'TRADE_SUCCESS', returnIs: 'genuine', paid: true },
  { name: 'basic instant, paid', lifecycle: { name: 'instant basic paid', family: 'instant', service: 'create_direct_pay_by_user', states: [{ tradeStatus: 'TRADE_FINISHED' }] }, returnStatus: 'TRADE_FINISHED', returnIs: 'genuine', paid: true },
  { name: 'escrow, paid', lifecycle: { name: 'escrow paid', family: 'escrow', service: 'create_partner_trade_by_buyer', states: [{ tradeStatus: 'WAIT_SELLER_SEND_GOODS' }] }, returnStatus: 'WAIT_SELLER_SEND_GOODS', returnIs: 'genuine', paid: true },
  { name: 'dual as instant, paid', lifecycle: { name: 'dual paid', family: 'dual', service: 'trade_create_by_buyer', states: [{ tradeStatus: 'TRADE_SUCCESS' }] }, returnStatus: 'TRADE_SUCCESS', returnIs: 'genuine', paid: true },
  { name: 'unpaid, return disowned by notify_verify', lifecycle: { name: 'unpaid', family: 'instant', service: 'create_direct_pay_by_user', states: [{ tradeStatus: 'WAIT_BUYER_PAY' }] }, returnStatus: 'TRADE_SUCCESS', returnIs: 'disowned', paid: false },
  { name: 'unpaid, notify_verify unreachable for the return', lifecycle: { name: 'unpaid', family: 'instant', service: 'create_direct_pay_by_user', states: [{ tradeStatus: 'WAIT_BUYER_PAY' }] }, returnStatus: 'TRADE_SUCCESS', returnIs: 'unverifiable', paid: false },
  { name: 'unpaid, return too old to confirm', lifecycle: { name: 'unpaid', family: 'instant', service: 'create_direct_pay_by_user', states: [{ tradeStatus: 'WAIT_BUYER_PAY' }] }, returnStatus: 'TRADE_SUCCESS', returnIs: 'too old', paid: false },
  { name: 'closed unpaid, return disowned', lifecycle: { name: 'closed unpaid', family: 'closed', service: 'create_direct_pay_by_user', states: [{ tradeStatus: 'WAIT_BUYER_PAY' }, { tradeStatus: 'TRADE_CLOSED' }] }, returnStatus: 'TRADE_SUCCESS', returnIs: 'disowned', paid: false },
];

/** The result the handler's own return page shows (its data-result attribute). */
export const pageResult = (html: string): string => /data-result="([a-z]+)"/.exec(html)?.[1] ?? 'no result page';

/**
 * The buyer's return and Alipay's notify for the same trade, at the same moment, many times: the trade is applied once
 * and ends right, and the return page never says paid for a trade that is not.
 */
export async function returnNotifyRace(env: ScenarioEnv, o: ReturnRaceOptions): Promise<ScenarioResult> {
  const started = performance.now();
  const rss = sampleRss();
  const cases = Array.from({ length: o.orders }, (_, i) => RETURN_CASES[i % RETURN_CASES.length]!);
  const plans = await mapLimit(cases, o.concurrency, async (c) => planTrade(c.lifecycle, await createOrder(c.lifecycle.service)));
  const pages: Record<string, number> = {};
  const wrongPages: string[] = [];
  const waitingForPaid = new Map<string, number>();
  let returnLoads = 0;
  const runs = await mapLimit(shuffled(plans.map((plan, i) => ({ plan, c: cases[i]! })), env.random), o.concurrency, async ({ plan, c }) => {
    const message = returnQuery({
      outTradeNo: plan.outTradeNo, tradeStatus: c.returnStatus, totalFee: plan.paidFee, service: c.lifecycle.service,
      ...(c.returnIs === 'too old' ? { notifyTime: new Date(Date.now() - 30 * 60_000) } : {}),
    });
    if (c.returnIs === 'disowned') env.app.gateway.answer(message.notifyId, 'false');
    if (c.returnIs === 'unverifiable') env.app.gateway.answer(message.notifyId, { status: 502 });
    const [delivery, ...loads] = await Promise.all([
      deliverAll(plan.notifications, { channel: inProcessNotify(), concurrency: o.notifyCopies, copies: o.notifyCopies, burstFraction: 1, speedup: 6000, random: env.random }),
      ...Array.from({ length: o.returnLoads }, () => getReturn(message)),
    ]);
    for (const page of loads) {
      returnLoads++;
      const result = pageResult(page.body);
      pages[`${c.name}: ${result}`] = (pages[`${c.name}: ${result}`] ?? 0) + 1;
      // A paid trade's page says paid: either this return applied it, or the order read after it already was. It may
      // say waiting only where the handler could not apply the return (passing trouble, logged), checked below.
      if (c.paid && result === 'waiting') waitingForPaid.set(plan.outTradeNo, (waitingForPaid.get(plan.outTradeNo) ?? 0) + 1);
      else if (!(c.paid ? ['paid', 'escrow', 'shipped'] : ['waiting', 'closed']).includes(result)) wrongPages.push(`${plan.outTradeNo} (${c.name}): the return page says ${result}`);
    }
    return delivery;
  });
  const couldNotApply = (outTradeNo: string) => (env.logs?.lines ?? [])
    .filter((l) => (l.includes('return could not be applied') || l.includes('return could not read the order')) && l.includes(outTradeNo)).length;
  let waitingAfterTrouble = 0;
  for (const [outTradeNo, waiting] of waitingForPaid) {
    const excused = Math.min(waiting, couldNotApply(outTradeNo));
    waitingAfterTrouble += excused;
    if (waiting > excused) {
      // What the handlers logged about this order, so the report names the cause.
      const said = (env.logs?.lines ?? []).filter((l) => l.includes(outTradeNo)).map((l) => {
        try {
          const j = JSON.parse(l) as { msg?: string; message?: string; reason?: string; error?: string };
          return [j.msg ?? j.message, j.reason, j.error].filter(Boolean).join(' ');
        } catch {
          return l.slice(0, 120);
        }
      });
      wrongPages.push(`${outTradeNo} (paid): the return page says waiting ${waiting - excused} time(s) without any trouble applying it; logged: ${said.join(' | ') || 'nothing'}`);
    }
  }
  const delivery: DeliveryRun = {
    deliveries: runs.reduce((s, r) => s + r.deliveries, 0),
    perNotification: new Map(runs.flatMap((r) => [...r.perNotification])),
    failures: runs.reduce<Record<string, number>>((all, r) => {
      for (const [k, v] of Object.entries(r.failures)) all[k] = (all[k] ?? 0) + v;
      return all;
    }, {}),
    slowestMs: Math.max(0, ...runs.map((r) => r.slowestMs)),
    maxSendsToConverge: Math.max(0, ...runs.map((r) => r.maxSendsToConverge)),
    neverAccepted: runs.flatMap((r) => r.neverAccepted),
    elapsedMs: 0,
  };
  return finish({
    scenario: 'return/notify race', env, plans, delivery, observedBackwards: [], started, rss, faultsByKind: {},
    extraDeliveries: returnLoads, extraProblems: { wrongFinal: wrongPages },
    notes: [
      `return pages: ${Object.entries(pages).sort().map(([k, v]) => `${k} ×${v}`).join(', ')}`,
      `${waitingAfterTrouble} page(s) of a paid trade said waiting after the handler logged passing trouble applying the return`,
    ],
  });
}
