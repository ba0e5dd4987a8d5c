// The operator's order listing over the listing indexes: newest first, never a Scan. Without a status it reads the
// status index once per status and merges the answers, so the cost grows with the page, not with the table.
import { type DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { type OrderStatus, TRADE_STATUSES } from '../orders/trade-status.ts';
import type { CallOptions, OrderPage, OrderQuery, OrderSummary, PageCursor } from '../payments/store-port.ts';
import { storeError } from './errors.ts';
import { type Item, orderSummaryFromItem } from './items.ts';
import { BY_STATUS_INDEX, CREATED_AT_ATTR, HAS_ANOMALIES_ATTR, HAS_ANOMALIES_VALUE, ORDER_KEY, STATUS_ATTR, WITH_ANOMALIES_INDEX } from './tables.ts';

const ORDER_STATUSES: readonly OrderStatus[] = ['CREATED', ...TRADE_STATUSES];

/** One Query partition the listing reads: an index, its partition value, and maybe a filter. */
interface Source {
  /** Its name in the cursor. */
  name: string;
  index: string;
  partitionAttr: string;
  partitionValue: string;
  filterStatus?: OrderStatus;
}

type Key = Record<string, string>;
/** Where a source goes on: `start`, or after the item `<createdAt>|<outTradeNo>` (its partition is the source's). */
type Position = string;
const START = 'start';

interface Fetched {
  source: Source;
  /** At most `limit` items, newest first. */
  items: Item[];
  /** The source holds more after these. */
  more: boolean;
}

/** Which partitions answer the query. */
function sourcesOf(query: OrderQuery): Source[] {
  if (query.anomalies) {
    // Few orders have anomalies: a status is a filter on those, not another index.
    return [{
      name: 'anomalies', index: WITH_ANOMALIES_INDEX, partitionAttr: HAS_ANOMALIES_ATTR, partitionValue: HAS_ANOMALIES_VALUE,
      ...(query.status === undefined ? {} : { filterStatus: query.status }),
    }];
  }
  if (query.status !== undefined) return [statusSource(query.status)];
  return ORDER_STATUSES.map(statusSource);
}

const statusSource = (status: OrderStatus): Source => ({ name: status, index: BY_STATUS_INDEX, partitionAttr: STATUS_ATTR, partitionValue: status });

const positionOf = (item: Item): Position => `${String(item[CREATED_AT_ATTR])}|${String(item[ORDER_KEY])}`;

/** The index key DynamoDB continues after. */
function keyAt(source: Source, position: Position): Key {
  const bar = position.indexOf('|');
  return { [source.partitionAttr]: source.partitionValue, [CREATED_AT_ATTR]: position.slice(0, bar), [ORDER_KEY]: position.slice(bar + 1) };
}

/**
 * Newest first. Only the time is compared: the sort is stable, so each source's items keep DynamoDB's order (ties
 * included) and the items a page takes from a source are a prefix of them, which is what its cursor continues after.
 */
const newestFirst = (a: Item, b: Item): number => String(b[CREATED_AT_ATTR]).localeCompare(String(a[CREATED_AT_ATTR]));

export async function listOrders(doc: DynamoDBDocumentClient, table: string, query: OrderQuery, opts: CallOptions): Promise<OrderPage> {
  const all = sourcesOf(query);
  const positions = query.cursor ? readCursor(query.cursor, all) : new Map(all.map((s) => [s.name, START]));
  const fetched = await Promise.all(
    all.filter((s) => positions.has(s.name)).map((s) => fetchSource(doc, table, s, positions.get(s.name)!, query, opts)),
  );
  const page = fetched.flatMap((f) => f.items.map((item) => ({ f, item }))).sort((a, b) => newestFirst(a.item, b.item)).slice(0, query.limit);

  // Each source continues after the last of its items on this page; one with items left over continues after that.
  const next: Record<string, string> = {};
  for (const f of fetched) {
    const taken = page.filter((p) => p.f === f);
    if (taken.length < f.items.length || f.more) next[f.source.name] = taken.length ? positionOf(taken.at(-1)!.item) : positions.get(f.source.name)!;
  }
  return {
    orders: page.map((p): OrderSummary => orderSummaryFromItem(p.item)),
    ...(Object.keys(next).length ? { next } : {}),
  };
}

/** Up to `query.limit` items of one source, newest first, after `position`; one more is read to know if there are more. */
async function fetchSource(doc: DynamoDBDocumentClient, table: string, source: Source, position: Position, query: OrderQuery, opts: CallOptions): Promise<Fetched> {
  const items: Item[] = [];
  let start: Key | undefined = position === START ? undefined : keyAt(source, position);
  for (;;) {
    const input: QueryCommandInput = {
      TableName: table,
      IndexName: source.index,
      KeyConditionExpression: `#pk = :pk${query.since ? ' AND #created >= :since' : ''}`,
      ExpressionAttributeNames: { '#pk': source.partitionAttr, ...(query.since ? { '#created': CREATED_AT_ATTR } : {}), ...(source.filterStatus ? { '#status': STATUS_ATTR } : {}) },
      ExpressionAttributeValues: { ':pk': source.partitionValue, ...(query.since ? { ':since': query.since } : {}), ...(source.filterStatus ? { ':status': source.filterStatus } : {}) },
      ...(source.filterStatus ? { FilterExpression: '#status = :status' } : {}),
      ScanIndexForward: false,
      Limit: query.limit + 1 - items.length,
      ...(start ? { ExclusiveStartKey: start } : {}),
    };
    let out;
    try {
      out = await doc.send(new QueryCommand(input), opts.signal ? { abortSignal: opts.signal } : {});
    } catch (err) {
      throw storeError(err, `Query (${source.index})`);
    }
    items.push(...(out.Items ?? []));
    if (items.length > query.limit) return { source, items: items.slice(0, query.limit), more: true };
    // Short of the page with more to read: a filtered source, or a response cut at 1 MB.
    if (!out.LastEvaluatedKey) return { source, items, more: false };
    start = out.LastEvaluatedKey as Key;
  }
}

/** The positions a cursor from an earlier page names; a cursor of another query is refused, not misread. */
function readCursor(cursor: PageCursor, sources: Source[]): Map<string, Position> {
  const names = new Set(sources.map((s) => s.name));
  for (const [name, position] of Object.entries(cursor)) {
    if (!names.has(name) || (position !== START && !/^[^|]+\|.+$/s.test(position))) throw new InvalidCursorError();
  }
  return new Map(Object.entries(cursor));
}

export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
  constructor() {
    super('the cursor does not belong to this listing: pass back the cursor of the previous page with the same filters');
  }
}
