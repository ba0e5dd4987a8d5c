// A recording proxy in front of DynamoDB Local: every request passes through unchanged, and what it asked for
// (operation, table, index, and the per-item actions of a transaction) is kept, for checking IAM against real calls.
import http from 'node:http';
import { LoopbackFake } from './loopback-fake.ts';

/** One IAM-relevant access: the action IAM authorises, on a table (or `table/index/name`). */
export interface Access {
  action: string;
  resource: string;
}

export class DynamoDbRecorder extends LoopbackFake {
  readonly accesses: Access[] = [];

  constructor(private readonly target: string) {
    super();
  }

  get endpoint(): string {
    return this.baseUrl;
  }

  /** The accesses recorded since the last call, and forget them. */
  take(): Access[] {
    return this.accesses.splice(0);
  }

  protected handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const operation = String(req.headers['x-amz-target'] ?? '').replace(/^DynamoDB_\d+\./, '');
      try {
        this.accesses.push(...accessesOf(operation, JSON.parse(body.toString('utf8') || '{}')));
      } catch {
        this.accesses.push({ action: `dynamodb:${operation}`, resource: '?' });
      }
      const upstream = http.request(`${this.target}${req.url ?? '/'}`, { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => req.socket.destroy());
      upstream.end(body);
    });
  }
}

/** IAM authorises TransactWriteItems and BatchGetItem per item and table; everything else per table (or index). */
function accessesOf(operation: string, input: any): Access[] {
  if (operation === 'TransactWriteItems') {
    return (input.TransactItems ?? []).flatMap((item: Record<string, { TableName: string }>) =>
      Object.entries(item).map(([kind, v]) => ({ action: `dynamodb:${{ Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem' }[kind] ?? kind}`, resource: v.TableName })));
  }
  if (operation === 'BatchGetItem' || operation === 'BatchWriteItem') {
    return Object.keys(input.RequestItems ?? {}).map((table) => ({ action: `dynamodb:${operation}`, resource: table }));
  }
  const resource = input.IndexName ? `${input.TableName}/index/${input.IndexName}` : String(input.TableName);
  return [{ action: `dynamodb:${operation}`, resource }];
}
