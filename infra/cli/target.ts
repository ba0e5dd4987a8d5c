// Where the operator commands look: the running local stack (its stack.json), AWS (`--stage`), or the tables and
// endpoint named the way the handlers name them. The result is the handlers' own settings, so the store, the key and
// the gateway are built by the same code as in Lambda.
import { existsSync, readFileSync } from 'node:fs';
import { StoreUnavailableError } from '../../shared/payments/store-port.ts';
import { errorName } from '../../shared/store/errors.ts';
import type { TableNames } from '../../shared/store/tables.ts';
import type { LocalStackFile } from '../local/stack.ts';
import { type Flags, UsageError } from './command.ts';

/** The flags every command that reads the tables takes. */
export const TARGET_FLAGS = {
  stage: { type: 'string' },
  endpoint: { type: 'string' },
  'orders-table': { type: 'string' },
  'notifications-table': { type: 'string' },
} as const satisfies Flags;

export const TARGET_HELP = `where:
  (default)                 the local stack \`npm start\` runs (it writes stack.json in its data folder,
                            LOCAL_DATA_DIR or .local/dynamodb), with its tables, sandbox and (fake) key
  --stage S                 AWS, with the usual AWS environment (AWS_PROFILE, AWS_REGION, …): the tables
                            alipay-serverless-S-orders and alipay-serverless-S-notifications; the key, for the
                            commands that need it, from SSM /alipay-serverless/S/alipay-key (ALIPAY_KEY wins when
                            set); ALIPAY_PARTNER as for the deploy
  --endpoint URL            a DynamoDB (DYNAMODB_ENDPOINT), with --orders-table/--notifications-table (ORDERS_TABLE,
                            NOTIFICATIONS_TABLE; default the local stack's names); ALIPAY_* as the handlers read them`;

export interface TargetOptions {
  stage?: string;
  endpoint?: string;
  ordersTable?: string;
  notificationsTable?: string;
}

export const targetOptions = (values: { stage?: string; endpoint?: string; 'orders-table'?: string; 'notifications-table'?: string }): TargetOptions => {
  if (values.stage !== undefined && !/^[a-zA-Z0-9-]{1,64}$/.test(values.stage)) throw new UsageError(`--stage "${values.stage}" is not a stage name (letters, digits and hyphens)`);
  return {
    ...(values.stage === undefined ? {} : { stage: values.stage }),
    ...(values.endpoint === undefined ? {} : { endpoint: values.endpoint }),
    ...(values['orders-table'] === undefined ? {} : { ordersTable: values['orders-table'] }),
    ...(values['notifications-table'] === undefined ? {} : { notificationsTable: values['notifications-table'] }),
  };
};

export interface Target {
  kind: 'local' | 'aws' | 'explicit';
  /** Where, in words, for messages. */
  label: string;
  tables: TableNames;
  /** The handlers' variables (shared/config.ts) for this target. */
  env: Record<string, string | undefined>;
  /** Where the key comes from, in words (never the key). */
  keySource: string;
  /** The local sandbox, when the target is the local stack. */
  sandboxUrl?: string;
}

/** The CLI builds no notify_url or return_url, but the configuration asks for a base URL. */
const NO_PUBLIC_URL = 'https://operator-cli.invalid';

type Env = Readonly<Record<string, string | undefined>>;

export async function resolveTarget(opts: TargetOptions, env: Env = process.env): Promise<Target> {
  if (opts.stage !== undefined) return awsTarget(opts, opts.stage, env);
  if (opts.endpoint ?? opts.ordersTable ?? opts.notificationsTable ?? env.DYNAMODB_ENDPOINT ?? env.ORDERS_TABLE ?? env.NOTIFICATIONS_TABLE) {
    return explicitTarget(opts, env);
  }
  return localTarget(env);
}

function awsTarget(opts: TargetOptions, stage: string, env: Env): Target {
  const tables = {
    orders: opts.ordersTable ?? `alipay-serverless-${stage}-orders`,
    notifications: opts.notificationsTable ?? `alipay-serverless-${stage}-notifications`,
  };
  const keyParameter = `/alipay-serverless/${stage}/alipay-key`;
  return {
    kind: 'aws',
    label: `stage ${stage} (${env.AWS_REGION || env.AWS_DEFAULT_REGION || 'the AWS profile\'s region'})`,
    tables,
    env: {
      ...env,
      DYNAMODB_ENDPOINT: undefined,
      ORDERS_TABLE: tables.orders,
      NOTIFICATIONS_TABLE: tables.notifications,
      ALIPAY_KEY_PARAMETER: keyParameter,
      PUBLIC_BASE_URL: env.PUBLIC_BASE_URL || NO_PUBLIC_URL,
    },
    keySource: env.ALIPAY_KEY ? 'ALIPAY_KEY from the environment' : `SSM ${keyParameter}`,
  };
}

async function explicitTarget(opts: TargetOptions, env: Env): Promise<Target> {
  const endpoint = opts.endpoint ?? env.DYNAMODB_ENDPOINT;
  const { LOCAL_DEFAULTS } = await import('../local/stack.ts');
  const orders = opts.ordersTable ?? env.ORDERS_TABLE ?? (endpoint ? LOCAL_DEFAULTS.ORDERS_TABLE : undefined);
  const notifications = opts.notificationsTable ?? env.NOTIFICATIONS_TABLE ?? (endpoint ? LOCAL_DEFAULTS.NOTIFICATIONS_TABLE : undefined);
  if (!orders || !notifications) throw new UsageError('name both tables (--orders-table and --notifications-table, or ORDERS_TABLE and NOTIFICATIONS_TABLE), or give --stage S');
  return {
    kind: 'explicit',
    label: `${orders} and ${notifications}${endpoint ? ` at ${endpoint}` : ''}`,
    tables: { orders, notifications },
    env: { ...env, DYNAMODB_ENDPOINT: endpoint, ORDERS_TABLE: orders, NOTIFICATIONS_TABLE: notifications, PUBLIC_BASE_URL: env.PUBLIC_BASE_URL || NO_PUBLIC_URL },
    keySource: env.ALIPAY_KEY ? 'ALIPAY_KEY from the environment' : env.ALIPAY_KEY_PARAMETER ? `SSM ${env.ALIPAY_KEY_PARAMETER}` : 'ALIPAY_KEY (not set)',
  };
}

/** No local stack to talk to: exit 1, saying how to get one or where else to look. */
export class NoLocalStackError extends Error {
  override readonly name = 'NoLocalStackError';
}

export async function localTarget(env: Env = process.env): Promise<Target> {
  const { LOCAL_DEFAULTS, localDataDir, localStackFile } = await import('../local/stack.ts');
  const file = localStackFile(localDataDir(env));
  const stack = readStackFile(file);
  const key = env.ALIPAY_KEY || (stack.localDefaultKey ? LOCAL_DEFAULTS.ALIPAY_KEY : undefined);
  return {
    kind: 'local',
    label: `the local stack (${file})`,
    tables: stack.tables,
    env: {
      ...env,
      DYNAMODB_ENDPOINT: stack.dynamodbEndpoint,
      ORDERS_TABLE: stack.tables.orders,
      NOTIFICATIONS_TABLE: stack.tables.notifications,
      ALIPAY_PARTNER: stack.partner,
      ALIPAY_KEY: key,
      ALIPAY_KEY_PARAMETER: undefined,
      ALIPAY_GATEWAY_URL: `${stack.sandboxUrl}/gateway.do`,
      PUBLIC_BASE_URL: stack.apiUrl,
      ...(stack.charset ? { ALIPAY_CHARSET: stack.charset } : {}),
    },
    keySource: env.ALIPAY_KEY ? 'ALIPAY_KEY from the environment'
      : stack.localDefaultKey ? 'the fake local default key' : 'ALIPAY_KEY (not set: the local stack runs with a key you set, set it here too)',
    sandboxUrl: stack.sandboxUrl,
  };
}

function readStackFile(file: string): LocalStackFile {
  const elsewhere = 'start it with `npm start`, or give --stage S (AWS) or --endpoint URL';
  if (!existsSync(file)) throw new NoLocalStackError(`no local stack is running (no ${file}): ${elsewhere}`);
  let stack: LocalStackFile;
  try {
    stack = JSON.parse(readFileSync(file, 'utf8')) as LocalStackFile;
  } catch (err) {
    throw new NoLocalStackError(`${file} is not the JSON \`npm start\` writes (${(err as Error).message}): restart the local stack`);
  }
  if (!isAlive(stack.pid)) throw new NoLocalStackError(`the local stack that wrote ${file} (pid ${stack.pid}) is no longer running: ${elsewhere}`);
  return stack;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A command's work failed (exit 1); the message already says where and what to do. */
export class CommandFailure extends Error {
  override readonly name = 'CommandFailure';
}

/** Resolves the target and runs `work` on it; a failure is reworded for that target (usage errors pass as they are). */
export async function onTarget<T>(opts: TargetOptions, work: (target: Target) => Promise<T>): Promise<T> {
  const target = await resolveTarget(opts);
  try {
    return await work(target);
  } catch (err) {
    if (err instanceof UsageError || err instanceof CommandFailure) throw err;
    throw new CommandFailure(explainFailure(err, target), { cause: err });
  }
}

/** A failure in words that say what to do, for the target it happened on. */
export function explainFailure(err: unknown, target: Target | undefined): string {
  const message = err instanceof Error ? err.message : String(err);
  const name = errorName(err);
  if (name === 'ResourceNotFoundException' && target) {
    return `${message}: no such table in ${target.label}${target.kind === 'aws' ? ' — is the stage deployed, and is AWS_REGION the one it is in?' : ''}`;
  }
  if (name === 'ValidationException' && /specified index/.test(message) && target) {
    return `${message}: the tables in ${target.label} predate the operator indexes — ${target.kind === 'aws' ? 'deploy this version to the stage (README, "Operator CLI": one deploy per new index)' : 'restart `npm start`, which adds them'}`;
  }
  if (err instanceof StoreUnavailableError && target?.kind === 'local') return `${message} — is the local stack still running?`;
  if (/ALIPAY_PARTNER: is not set/.test(message) && target?.kind === 'aws') return `${message} — with --stage, set it as for the deploy (ALIPAY_PARTNER=2088… npm run --silent alipay -- …)`;
  if (/credential/i.test(message) && target?.kind === 'aws') return `${message} — set AWS_PROFILE (or the AWS_* variables) for the account of the stage`;
  return message;
}
