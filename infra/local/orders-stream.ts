// The local stand-in for Lambda's stream event source: reads the Orders table's stream from DynamoDB Local (which
// serves the DynamoDB Streams API at its own endpoint) and hands batches to publish-events' handler, retrying a
// batch from the record the handler reports, as Lambda does with ReportBatchItemFailures.
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import {
  DescribeStreamCommand, DynamoDBStreamsClient, ExpiredIteratorException, GetRecordsCommand, type GetRecordsCommandOutput,
  GetShardIteratorCommand, TrimmedDataAccessException, type _Record,
} from '@aws-sdk/client-dynamodb-streams';
import { localDynamoClientConfig } from './dynamodb-local.ts';

export type StreamStart = 'TRIM_HORIZON' | 'LATEST';

/** Reads every shard of one stream, in order, from where it started. */
export class OrdersStreamReader {
  private readonly client: DynamoDBStreamsClient;
  private readonly iterators = new Map<string, string | null>(); // shard -> next iterator (null: shard closed and read)
  private readonly lastRead = new Map<string, string>(); // shard -> sequence number of the last record read
  private opened = false;

  constructor(endpoint: string, private readonly streamArn: string, private readonly start: StreamStart) {
    this.client = new DynamoDBStreamsClient(localDynamoClientConfig(endpoint));
  }

  /** The records written since the last call (each once), oldest first. */
  async read(): Promise<DynamoDBRecord[]> {
    const { StreamDescription } = await this.client.send(new DescribeStreamCommand({ StreamArn: this.streamArn }));
    const out: DynamoDBRecord[] = [];
    for (const shard of StreamDescription?.Shards ?? []) {
      const id = shard.ShardId!;
      if (!this.iterators.has(id)) {
        // A shard that appeared after open() began after our start, so it is read from its beginning. (A new, empty
        // table may have no shard until its first write: with LATEST for that one, a busy machine lost the first
        // order's events, written before the first poll saw the shard.)
        this.iterators.set(id, await this.iterator(id, this.opened ? 'TRIM_HORIZON' : this.start));
      }
      for (let iterator = this.iterators.get(id); iterator;) {
        const page = await this.getRecords(id, iterator);
        const records = page.Records ?? [];
        out.push(...records.map(asLambdaRecord(this.streamArn)));
        const last = records.at(-1)?.dynamodb?.SequenceNumber;
        if (last) this.lastRead.set(id, last);
        this.iterators.set(id, page.NextShardIterator ?? null);
        if (records.length === 0) break;
        iterator = page.NextShardIterator;
      }
    }
    return out;
  }

  /**
   * GetRecords; an iterator DynamoDB Local no longer honours is replaced once, at the same place. DynamoDB Local numbers
   * stream records across all its tables, and an iterator taken while its shard was empty is answered
   * TrimmedDataAccessException for ever once another table's record came before the shard's first one; an idle
   * iterator expires after 15 minutes. The new iterator starts after the last record read from the shard, or at its
   * beginning when none was read (the shard was empty when we took the first one, so nothing before our start is in it).
   */
  private async getRecords(shard: string, iterator: string): Promise<GetRecordsCommandOutput> {
    try {
      return await this.client.send(new GetRecordsCommand({ ShardIterator: iterator }));
    } catch (err) {
      if (!(err instanceof TrimmedDataAccessException || err instanceof ExpiredIteratorException)) throw err;
      const last = this.lastRead.get(shard);
      const fresh = await this.iterator(shard, last ? 'AFTER_SEQUENCE_NUMBER' : 'TRIM_HORIZON', last);
      return fresh ? this.client.send(new GetRecordsCommand({ ShardIterator: fresh })) : { Records: [], NextShardIterator: undefined, $metadata: {} };
    }
  }

  private async iterator(shard: string, type: StreamStart | 'AFTER_SEQUENCE_NUMBER', after?: string): Promise<string | null> {
    const { ShardIterator } = await this.client.send(new GetShardIteratorCommand({
      StreamArn: this.streamArn, ShardId: shard, ShardIteratorType: type, ...(after ? { SequenceNumber: after } : {}),
    }));
    return ShardIterator ?? null;
  }

  /** The first iterators are taken now: with LATEST, what is written from here on is read. */
  async open(): Promise<this> {
    await this.read();
    this.opened = true;
    return this;
  }
}

/** The Streams API's record in the shape Lambda gives a stream-triggered function. */
const asLambdaRecord = (arn: string) => (r: _Record): DynamoDBRecord => ({
  eventID: r.eventID, eventName: r.eventName as DynamoDBRecord['eventName'], eventVersion: r.eventVersion,
  eventSource: 'aws:dynamodb', awsRegion: r.awsRegion, eventSourceARN: arn,
  dynamodb: {
    Keys: r.dynamodb?.Keys as never, NewImage: r.dynamodb?.NewImage as never, OldImage: r.dynamodb?.OldImage as never,
    SequenceNumber: r.dynamodb?.SequenceNumber, SizeBytes: r.dynamodb?.SizeBytes, StreamViewType: r.dynamodb?.StreamViewType,
    ...(r.dynamodb?.ApproximateCreationDateTime ? { ApproximateCreationDateTime: r.dynamodb.ApproximateCreationDateTime.getTime() / 1000 } : {}),
  },
});

export type StreamHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;

/**
 * Polls the stream and calls `handler` with what it read, like Lambda's event source mapping: a reported record and
 * those after it are handed over again on the next poll (at most `maxRetries` times; then they are dropped with a
 * line on stderr, where AWS would send them to the on-failure queue).
 */
export class OrdersStreamPoller {
  private timer: NodeJS.Timeout | undefined;
  private backlog: DynamoDBRecord[] = [];
  private retries = 0;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly reader: OrdersStreamReader,
    private readonly handler: StreamHandler,
    private readonly opts: { intervalMs?: number; batchSize?: number; maxRetries?: number; onError?: (err: unknown) => void } = {},
  ) {}

  start(): this {
    const tick = () => {
      if (this.stopped) return;
      this.running = this.pollOnce().catch((err) => this.opts.onError?.(err)).finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.opts.intervalMs ?? 250);
      });
    };
    tick();
    return this;
  }

  /** One read and delivery. */
  async pollOnce(): Promise<void> {
    this.backlog.push(...(await this.reader.read()));
    while (this.backlog.length > 0) {
      const batch = this.backlog.slice(0, this.opts.batchSize ?? 100);
      const { batchItemFailures = [] } = await this.handler({ Records: batch });
      const failedAt = batchItemFailures.length === 0 ? -1 : batch.findIndex((r) => r.dynamodb?.SequenceNumber === batchItemFailures[0]!.itemIdentifier);
      if (failedAt < 0) {
        this.backlog = this.backlog.slice(batch.length);
        this.retries = 0;
        continue;
      }
      if (++this.retries > (this.opts.maxRetries ?? 10)) {
        process.stderr.write(`orders stream: record ${batchItemFailures[0]!.itemIdentifier} dropped after ${this.retries - 1} retries (AWS would put it on the on-failure queue)\n`);
        this.backlog = this.backlog.slice(failedAt + 1);
        this.retries = 0;
        continue;
      }
      this.backlog = this.backlog.slice(failedAt);
      return; // retried on the next poll
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
