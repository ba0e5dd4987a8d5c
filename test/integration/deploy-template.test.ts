// `npm run package`, checked offline: the build plus `osls package`, then the CloudFormation template it writes:
// routes and payload format, functions, tables, and every IAM statement (least privilege, no wildcards).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { build, ROOT } from '../../infra/build/build.ts';
import { LAMBDA_FUNCTIONS, LAMBDA_HANDLER } from '../../infra/build/functions.ts';
import { ROUTES } from '../../infra/local/routes.ts';
import { NOTIFICATION_TTL_ATTR, notificationsTableDefinition, ordersTableDefinition } from '../../shared/store/tables.ts';
import { EXPECTED } from '../support/iam-expected.ts';

const run = promisify(execFile);
type Template = {
  Resources: Record<string, { Type: string; Properties: any; DeletionPolicy?: string }>;
  Conditions?: Record<string, unknown>;
  Parameters?: Record<string, { Type: string; AllowedPattern?: string }>;
};

// A copy of what serverless.yml needs, so this test's build and .serverless never race another test's dist/.
const work = mkdtempSync(path.join(tmpdir(), 'alipay-package-'));
const templates: Record<'dev' | 'prod' | 'kms' | 'webhook', Template> = {} as never;
const WEBHOOK_URL = 'https://shop.example.com/alipay-events';
const KMS_KEY = 'arn:aws:kms:ap-east-1:123456789012:key/00000000-1111-2222-3333-444444444444';

async function osls(stage: string, out: string, extraEnv: Record<string, string> = {}): Promise<Template> {
  // No credentials and no ALIPAY_PARTNER: packaging needs neither (CloudFormation checks the partner at deploy).
  const env = { PATH: process.env.PATH, HOME: work, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off', ...extraEnv };
  try {
    // Generous: three packagings on a crowded machine can take minutes.
    await run(path.join(ROOT, 'node_modules/.bin/osls'), ['package', '--stage', stage, '--package', out], { cwd: work, env, timeout: 600_000 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; signal?: string };
    throw new Error(`osls package --stage ${stage} failed${e.signal ? ` (${e.signal})` : ''}:\n${e.stderr ?? ''}\n${e.stdout ?? ''}`.slice(0, 4000));
  }
  return JSON.parse(readFileSync(path.join(work, out, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
}

before(async () => {
  for (const f of ['serverless.yml', 'package.json']) cpSync(path.join(ROOT, f), path.join(work, f));
  mkdirSync(path.join(work, 'infra'));
  for (const f of readdirSync(path.join(ROOT, 'infra')).filter((f) => f.endsWith('.yml'))) cpSync(path.join(ROOT, 'infra', f), path.join(work, 'infra', f));
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(work, 'node_modules'));
  await build({ outDir: path.join(work, 'dist'), quiet: true });
  templates.dev = await osls('dev', '.serverless-dev');
  templates.prod = await osls('prod', '.serverless-prod');
  templates.kms = await osls('dev', '.serverless-kms', { SSM_KMS_KEY_ARN: KMS_KEY });
  templates.webhook = await osls('dev', '.serverless-webhook', { STOREFRONT_WEBHOOK_URL: WEBHOOK_URL, ALARM_EMAIL: 'ops@example.com' });
});
after(() => rmSync(work, { recursive: true, force: true }));

const resources = (t: Template, type: string) => Object.entries(t.Resources).filter(([, r]) => r.Type === type);
const logicalId = (slsName: string) => slsName[0]!.toUpperCase() + slsName.slice(1);
const getAtt = (value: any): string | undefined => value?.['Fn::GetAtt']?.[0];

/** The table (or `Table/index/name`) an IAM resource names. */
function tableOf(resource: any): string {
  if (resource?.['Fn::GetAtt']?.[1] === 'StreamArn') return `${getAtt(resource)}/stream`;
  const sub = resource?.['Fn::Sub'];
  if (typeof sub === 'string') {
    const m = /^\$\{(\w+)\.Arn\}(\/index\/[\w-]+)$/.exec(sub);
    assert.ok(m, `unexpected resource ${sub}`);
    return `${m[1]}${m[2]}`;
  }
  return getAtt(resource)!;
}

describe('the packaged CloudFormation template', () => {
  test('the HTTP API routes are the local routes, each on payload format 2.0, each to its own function', () => {
    const t = templates.dev;
    const integrations = Object.fromEntries(resources(t, 'AWS::ApiGatewayV2::Integration'));
    const routes = resources(t, 'AWS::ApiGatewayV2::Route').map(([, r]) => {
      // Target: { Fn::Join: ['/', ['integrations', { Ref: <integration> }]] }
      const integrationId: string = r.Properties.Target['Fn::Join'][1][1].Ref;
      const integration = integrations[integrationId]!;
      assert.equal(integration.Properties.PayloadFormatVersion, '2.0', r.Properties.RouteKey);
      assert.equal(integration.Properties.IntegrationType, 'AWS_PROXY');
      return [r.Properties.RouteKey, getAtt(integration.Properties.IntegrationUri)] as const;
    });
    assert.deepEqual(
      Object.fromEntries(routes),
      {
        'POST /payments': 'CreatePaymentLambdaFunction',
        'GET /payments/{outTradeNo}': 'OrderStatusLambdaFunction',
        'POST /alipay/notify': 'NotifyLambdaFunction',
        'GET /alipay/return': 'ReturnLambdaFunction',
        'POST /payments/{outTradeNo}/close': 'ClosePaymentLambdaFunction',
        'POST /payments/{outTradeNo}/ship': 'ShipPaymentLambdaFunction',
        'POST /payments/{outTradeNo}/refunds': 'RefundPaymentLambdaFunction',
      },
    );
    assert.deepEqual(routes.map(([k]) => k).sort(), ROUTES.map((r) => r.routeKey).sort(), 'npm start serves the same routes');
  });

  test('every function: nodejs22.x on arm64, its own bundle, its own role, and only the secret parameters it reads', () => {
    const t = templates.dev;
    const functions = resources(t, 'AWS::Lambda::Function');
    assert.deepEqual(functions.map(([id]) => id).sort(), LAMBDA_FUNCTIONS.map((f) => `${logicalId(f.slsName)}LambdaFunction`).sort());
    for (const fn of LAMBDA_FUNCTIONS) {
      const p = t.Resources[`${logicalId(fn.slsName)}LambdaFunction`]!.Properties;
      assert.equal(p.Runtime, 'nodejs22.x', fn.slsName);
      assert.equal(p.Handler, LAMBDA_HANDLER, fn.slsName);
      assert.deepEqual(p.Architectures, ['arm64']);
      // HTTP functions answer within API Gateway's patience; reconcile and publishEvents are batches with their own limits.
      const maxTimeout = { reconcile: 60, publishEvents: 30 }[fn.slsName] ?? 10;
      assert.ok(p.Timeout <= maxTimeout && p.MemorySize >= 256, `${fn.slsName}: timeout ${p.Timeout}, memory ${p.MemorySize}`);
      assert.match(p.Code.S3Key, new RegExp(`/${fn.name}\\.zip$`), fn.slsName);
      assert.equal(getAtt(p.Role), `${logicalId(fn.slsName)}Role`);
      const vars = p.Environment.Variables;
      assert.equal(vars.ALIPAY_KEY, undefined, 'no secret in the template');
      assert.equal(vars.STOREFRONT_TOKEN, undefined, 'no secret in the template');
      const parameters = [vars.ALIPAY_KEY_PARAMETER, vars.STOREFRONT_TOKEN_PARAMETER].filter(Boolean).map((v: string) => v.split('/').at(-1)).sort();
      assert.deepEqual(parameters, EXPECTED[fn.slsName]!.parameters, `${fn.slsName} reads only its own secrets`);
      assert.match(vars.ALIPAY_KEY_PARAMETER ?? '/alipay-serverless/dev/', /^\/alipay-serverless\/dev\//);
      assert.deepEqual(vars.ORDERS_TABLE, { Ref: 'OrdersTable' });
      assert.deepEqual(vars.ALIPAY_PARTNER, { Ref: 'AlipayPartner' });
      assert.deepEqual(vars.PUBLIC_BASE_URL, { 'Fn::GetAtt': ['HttpApi', 'ApiEndpoint'] });
      // The handler's own deadline answers `fail` before Lambda kills it, with room for the cold start and the reply.
      assert.ok(Number(vars.HANDLER_DEADLINE_MS) + 3000 <= p.Timeout * 1000, `${fn.slsName}: deadline ${vars.HANDLER_DEADLINE_MS} ms, timeout ${p.Timeout} s`);
      assert.ok(Number(vars.NOTIFY_VERIFY_TIMEOUT_MS) < Number(vars.HANDLER_DEADLINE_MS));
    }
    assert.equal(t.Resources.IamRoleLambdaExecution, undefined, 'no shared role');
    // The partner id is a stack parameter CloudFormation checks at deploy time.
    const pattern = new RegExp(t.Parameters!.AlipayPartner!.AllowedPattern!);
    assert.ok(pattern.test('2088101568358171') && !pattern.test('') && !pattern.test('shop@example.com') && !pattern.test('20881015683581712'));
  });

  test('reconcile runs on a schedule, and only it', () => {
    const t = templates.dev;
    const rules = resources(t, 'AWS::Events::Rule').filter(([, r]) => r.Properties.ScheduleExpression);
    assert.equal(rules.length, 1);
    const [, rule] = rules[0]!;
    assert.equal(rule.Properties.ScheduleExpression, 'rate(10 minutes)');
    assert.equal(rule.Properties.State, 'ENABLED');
    assert.deepEqual(rule.Properties.Targets.map((x: any) => getAtt(x.Arn)), ['ReconcileLambdaFunction']);
  });

  test('the tables: keys, indexes and TTL as the code creates them locally; PITR on; deletion protection per stage', () => {
    for (const stage of ['dev', 'prod'] as const) {
      const t = templates[stage];
      const orders = t.Resources.OrdersTable!;
      const notifications = t.Resources.NotificationsTable!;
      const local = { orders: ordersTableDefinition(`alipay-serverless-${stage}-orders`), notifications: notificationsTableDefinition(`alipay-serverless-${stage}-notifications`) };
      for (const [resource, definition] of [[orders, local.orders], [notifications, local.notifications]] as const) {
        assert.equal(resource.Properties.TableName, definition.TableName);
        assert.equal(resource.Properties.BillingMode, definition.BillingMode);
        assert.deepEqual(resource.Properties.KeySchema, definition.KeySchema);
        assert.deepEqual(resource.Properties.AttributeDefinitions, definition.AttributeDefinitions);
        assert.deepEqual(resource.Properties.GlobalSecondaryIndexes, definition.GlobalSecondaryIndexes);
        assert.deepEqual(resource.Properties.PointInTimeRecoverySpecification, { PointInTimeRecoveryEnabled: true }, `${stage}: PITR`);
        assert.equal(resource.Properties.DeletionProtectionEnabled, stage === 'prod', `${stage}: deletion protection`);
        assert.equal(resource.DeletionPolicy, stage === 'prod' ? 'Retain' : 'Delete');
      }
      assert.deepEqual(orders.Properties.StreamSpecification, { StreamViewType: local.orders.StreamSpecification!.StreamViewType });
      assert.deepEqual(notifications.Properties.TimeToLiveSpecification, { AttributeName: NOTIFICATION_TTL_ATTR, Enabled: true });
      // Reconciliation's index, and the operator CLI's listings (read by no function: no role names them).
      assert.deepEqual(orders.Properties.GlobalSecondaryIndexes.map((i: any) => i.IndexName), ['awaiting-payment', 'by-status', 'with-anomalies']);
      assert.deepEqual(notifications.Properties.GlobalSecondaryIndexes.map((i: any) => i.IndexName), ['by-order']);
      for (const [, group] of resources(t, 'AWS::Logs::LogGroup')) assert.equal(group.Properties.RetentionInDays, stage === 'prod' ? 400 : 14);
    }
  });

  test('IAM: no wildcard action or resource anywhere, and each role holds exactly its own tables, parameters and log group', () => {
    const t = templates.dev;
    const roles = resources(t, 'AWS::IAM::Role');
    assert.deepEqual(roles.map(([id]) => id).sort(), [...LAMBDA_FUNCTIONS.map((f) => `${logicalId(f.slsName)}Role`), 'StorefrontWebhookRole'].sort());
    assert.deepEqual(resources(t, 'AWS::IAM::Policy'), [], 'no policy outside the roles');
    for (const fn of LAMBDA_FUNCTIONS) {
      const role = t.Resources[`${logicalId(fn.slsName)}Role`]!.Properties;
      assert.deepEqual(role.AssumeRolePolicyDocument.Statement, [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }]);
      assert.equal(role.ManagedPolicyArns, undefined);
      const statements = role.Policies.flatMap((p: any) => p.PolicyDocument.Statement).flatMap((s: any) => (s['Fn::If'] ? [s['Fn::If'][1]] : [s]));
      const tables: Record<string, string[]> = {};
      const parameters: string[] = [];
      for (const s of statements) {
        assert.equal(s.Effect, 'Allow');
        const actions: string[] = [s.Action].flat();
        for (const a of actions) assert.ok(!a.includes('*'), `${fn.slsName}: wildcard action ${a}`);
        const targets: unknown[] = [s.Resource].flat();
        for (const r of targets) assert.notEqual(r, '*', `${fn.slsName}: Resource '*'`);
        if (actions[0]!.startsWith('logs:')) {
          assert.deepEqual(actions, ['logs:CreateLogStream', 'logs:PutLogEvents']);
          assert.deepEqual(targets, [{ 'Fn::GetAtt': [`${logicalId(fn.slsName)}LogGroup`, 'Arn'] }], `${fn.slsName} writes only its own logs`);
        } else if (actions[0]!.startsWith('dynamodb:')) {
          for (const r of targets) (tables[tableOf(r)] ??= []).push(...actions);
        } else if (actions[0] === 'events:PutEvents' || actions[0] === 'sqs:SendMessage') {
          assert.equal(actions.length, 1);
          for (const r of targets) (tables[getAtt(r)!] ??= []).push(...actions);
        } else if (actions[0] === 'ssm:GetParameter') {
          for (const r of targets as any[]) parameters.push(/parameter\/alipay-serverless\/dev\/([a-z-]+)$/.exec(r['Fn::Sub'])![1]!);
        } else if (actions[0] === 'kms:Decrypt') {
          assert.deepEqual(actions, ['kms:Decrypt']);
          assert.ok(s.Condition.StringEquals['kms:ViaService'], 'kms:Decrypt only through SSM');
        } else {
          assert.fail(`${fn.slsName}: unexpected statement ${JSON.stringify(s)}`);
        }
      }
      for (const list of Object.values(tables)) list.sort();
      assert.deepEqual(tables, EXPECTED[fn.slsName]!.tables, `${fn.slsName}: DynamoDB`);
      assert.deepEqual(parameters.sort(), EXPECTED[fn.slsName]!.parameters, `${fn.slsName}: SSM`);
    }
    // kms:Decrypt only exists when a customer managed key is named at deploy time.
    assert.deepEqual(t.Conditions?.HasSsmKmsKey, { 'Fn::Not': [{ 'Fn::Equals': ['', ''] }] });
  });

  test('with SSM_KMS_KEY_ARN, every role may decrypt with that one key, and only through SSM', () => {
    const t = templates.kms;
    assert.deepEqual(t.Conditions?.HasSsmKmsKey, { 'Fn::Not': [{ 'Fn::Equals': [KMS_KEY, ''] }] });
    for (const fn of LAMBDA_FUNCTIONS.filter((f) => EXPECTED[f.slsName]!.parameters.length > 0)) {
      const statements = t.Resources[`${logicalId(fn.slsName)}Role`]!.Properties.Policies[0].PolicyDocument.Statement;
      const conditional = statements.filter((s: any) => s['Fn::If']);
      assert.equal(conditional.length, 1, fn.slsName);
      const [condition, granted, otherwise] = conditional[0]['Fn::If'];
      assert.equal(condition, 'HasSsmKmsKey');
      assert.deepEqual(granted.Action, ['kms:Decrypt']);
      assert.equal(granted.Resource, KMS_KEY);
      assert.deepEqual(granted.Condition, { StringEquals: { 'kms:ViaService': { 'Fn::Sub': 'ssm.${AWS::Region}.amazonaws.com' } } });
      assert.deepEqual(otherwise, { Ref: 'AWS::NoValue' });
    }
  });

  test('order events: the Orders stream mapped to publishEvents (batch item failures, bisect, bounded retries, on-failure queue) and the stage bus', () => {
    const t = templates.dev;
    const mappings = resources(t, 'AWS::Lambda::EventSourceMapping');
    assert.equal(mappings.length, 1);
    const m = mappings[0]![1].Properties;
    assert.equal(getAtt(m.FunctionName), 'PublishEventsLambdaFunction');
    assert.deepEqual(m.EventSourceArn, { 'Fn::GetAtt': ['OrdersTable', 'StreamArn'] });
    assert.deepEqual(m.FunctionResponseTypes, ['ReportBatchItemFailures']);
    assert.equal(m.BisectBatchOnFunctionError, true);
    assert.ok(m.MaximumRetryAttempts > 0 && m.MaximumRetryAttempts <= 20, `bounded retries: ${m.MaximumRetryAttempts}`);
    assert.deepEqual(m.DestinationConfig.OnFailure.Destination, { 'Fn::GetAtt': ['PublishEventsFailureQueue', 'Arn'] });
    assert.equal(t.Resources.PublishEventsFailureQueue!.Type, 'AWS::SQS::Queue');
    assert.deepEqual(t.Resources.EventBus!.Properties, { Name: 'alipay-serverless-dev' });
    const vars = t.Resources.PublishEventsLambdaFunction!.Properties.Environment.Variables;
    assert.deepEqual(vars.EVENT_BUS_NAME, { Ref: 'EventBus' });
    assert.equal(vars.EVENT_SOURCE, 'alipay-serverless');
  });

  test('the storefront webhook exists only with STOREFRONT_WEBHOOK_URL: rule -> API destination with an API-key connection from a secret, 24 h of retries, a DLQ', () => {
    const webhookIds = ['StorefrontConnection', 'StorefrontDestination', 'StorefrontWebhookRule', 'StorefrontWebhookRole', 'StorefrontWebhookDeadLetterQueue', 'StorefrontWebhookDeadLetterQueuePolicy', 'StorefrontWebhookDeadLetterAlarm'];
    assert.deepEqual(templates.dev.Conditions?.HasWebhook, { 'Fn::Not': [{ 'Fn::Equals': ['', ''] }] }, 'off without a URL');
    const t = templates.webhook;
    assert.deepEqual(t.Conditions?.HasWebhook, { 'Fn::Not': [{ 'Fn::Equals': [WEBHOOK_URL, ''] }] });
    for (const id of webhookIds) assert.equal((t.Resources[id] as { Condition?: string }).Condition, 'HasWebhook', id);
    const connection = t.Resources.StorefrontConnection!.Properties;
    assert.equal(connection.AuthorizationType, 'API_KEY');
    assert.equal(connection.AuthParameters.ApiKeyAuthParameters.ApiKeyName, 'X-Storefront-Webhook-Key');
    assert.equal(connection.AuthParameters.ApiKeyAuthParameters.ApiKeyValue, '{{resolve:secretsmanager:alipay-serverless/dev/storefront-webhook-key:SecretString}}', 'the key from a secret, not the template');
    const destination = t.Resources.StorefrontDestination!.Properties;
    assert.equal(destination.InvocationEndpoint, WEBHOOK_URL);
    assert.equal(destination.HttpMethod, 'POST');
    assert.equal(getAtt(destination.ConnectionArn), 'StorefrontConnection');
    const rule = t.Resources.StorefrontWebhookRule!.Properties;
    assert.deepEqual(rule.EventBusName, { Ref: 'EventBus' });
    assert.deepEqual(rule.EventPattern, { source: ['alipay-serverless'] });
    const [target] = rule.Targets;
    assert.equal(getAtt(target.Arn), 'StorefrontDestination');
    assert.equal(getAtt(target.RoleArn), 'StorefrontWebhookRole');
    assert.deepEqual(target.RetryPolicy, { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 });
    assert.equal(getAtt(target.DeadLetterConfig.Arn), 'StorefrontWebhookDeadLetterQueue');
    // EventBridge may call that one destination, and put into the DLQ only for that rule.
    const role = t.Resources.StorefrontWebhookRole!.Properties;
    assert.deepEqual(role.AssumeRolePolicyDocument.Statement, [{ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sts:AssumeRole' }]);
    assert.deepEqual(role.Policies.flatMap((p: any) => p.PolicyDocument.Statement), [
      { Effect: 'Allow', Action: ['events:InvokeApiDestination'], Resource: { 'Fn::GetAtt': ['StorefrontDestination', 'Arn'] } },
    ]);
    const [queueStatement, ...more] = t.Resources.StorefrontWebhookDeadLetterQueuePolicy!.Properties.PolicyDocument.Statement;
    assert.deepEqual(more, []);
    assert.deepEqual(queueStatement.Principal, { Service: 'events.amazonaws.com' });
    assert.equal(queueStatement.Action, 'sqs:SendMessage');
    assert.deepEqual(queueStatement.Condition, { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': ['StorefrontWebhookRule', 'Arn'] } } });
  });

  test('alarms, each to the SNS topic (e-mail subscription only with ALARM_EMAIL)', () => {
    const t = templates.dev;
    const alarms = Object.fromEntries(resources(t, 'AWS::CloudWatch::Alarm'));
    const topic = [{ Ref: 'AlarmTopic' }];
    for (const [id, a] of Object.entries(alarms)) assert.deepEqual(a.Properties.AlarmActions, topic, id);
    const metric = (id: string) => {
      const p = alarms[id]!.Properties;
      return { ns: p.Namespace, name: p.MetricName, dims: p.Dimensions, threshold: Number(p.Threshold), op: p.ComparisonOperator };
    };
    const stage = [{ Name: 'Stage', Value: 'dev' }];
    assert.deepEqual(metric('OrderAnomalyAlarm'), { ns: 'AlipayServerless', name: 'OrderAnomalies', dims: stage, threshold: 1, op: 'GreaterThanOrEqualToThreshold' });
    assert.deepEqual(metric('DisownedNotificationAlarm'), { ns: 'AlipayServerless', name: 'NotificationsRejected', dims: stage, threshold: 1, op: 'GreaterThanOrEqualToThreshold' });
    assert.deepEqual(metric('PendingOrdersAlarm'), { ns: 'AlipayServerless', name: 'ReconcilePending', dims: stage, threshold: 20, op: 'GreaterThanOrEqualToThreshold' });
    assert.deepEqual(metric('PublishEventsFailureQueueAlarm'), { ns: 'AWS/SQS', name: 'ApproximateNumberOfMessagesVisible', dims: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['PublishEventsFailureQueue', 'QueueName'] } }], threshold: 1, op: 'GreaterThanOrEqualToThreshold' });
    assert.deepEqual(metric('StorefrontWebhookDeadLetterAlarm').dims, [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['StorefrontWebhookDeadLetterQueue', 'QueueName'] } }]);
    assert.deepEqual(metric('StreamIteratorAgeAlarm'), { ns: 'AWS/Lambda', name: 'IteratorAge', dims: [{ Name: 'FunctionName', Value: { Ref: 'PublishEventsLambdaFunction' } }], threshold: 300000, op: 'GreaterThanThreshold' });
    const rate = alarms.NotifyFailRateAlarm!.Properties;
    assert.deepEqual(rate.Metrics.map((m: any) => m.MetricStat?.Metric.MetricName ?? m.Expression), ['NotifyFailed', 'NotifyAnswered', '100 * FILL(failed, 0) / answered']);
    assert.equal(Number(rate.Threshold), 20);
    assert.equal((t.Resources.AlarmEmailSubscription as { Condition?: string }).Condition, 'HasAlarmEmail');
    assert.deepEqual(templates.webhook.Resources.AlarmEmailSubscription!.Properties, { TopicArn: { Ref: 'AlarmTopic' }, Protocol: 'email', Endpoint: 'ops@example.com' });
    assert.deepEqual(templates.webhook.Conditions?.HasAlarmEmail, { 'Fn::Not': [{ 'Fn::Equals': ['ops@example.com', ''] }] });
  });
});
