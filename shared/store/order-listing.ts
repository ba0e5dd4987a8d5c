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
/** Where a source goes on: from its beginning, or after an item. */
type Position = 'start' | Key;

interface Fetched {
  source: Source;
  items: Item[];
  /** After the last item fetched, when the source may hold more. */
  resume?: Key;
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

/** The index key of an item: what DynamoDB needs to continue after it. */
const keyOf = (source: Source, item: Item): Key => ({
  [source.partitionAttr]: String(item[source.partitionAttr]),
  [CREATED_AT_ATTR]: String(item[CREATED_AT_ATTR]),
  [ORDER_KEY]: String(item[ORDER_KEY]),
});

/** Newest first; the same creation time is ordered by out_trade_no so pages never overlap. */
const newestFirst = (a: Item, b: Item): number =>
  String(b[CREATED_AT_ATTR]).localeCompare(String(a[CREATED_AT_ATTR])) || String(b[ORDER_KEY]).localeCompare(String(a[ORDER_KEY]));

export async function listOrders(doc: DynamoDBDocumentClient, table: string, query: OrderQuery, opts: CallOptions): Promise<OrderPage> {
  const all = sourcesOf(query);
  const positions = query.cursor ? readCursor(query.cursor, all) : new Map(all.map((s) => [s.name, 'start' as Position]));
  const fetched = await Promise.all(
    all.filter((s) => positions.has(s.name)).map((s) => fetchSource(doc, table, s, positions.get(s.name)!, query, opts)),
  );
  const page = fetched.flatMap((f) => f.items.map((item) => ({ f, item }))).sort((a, b) => newestFirst(a.item, b.item)).slice(0, query.limit);

  // Each source continues after the last of its items on this page; one with items left over continues after that.
  const next: Record<string, string> = {};
  for (const f of fetched) {
    const taken = page.filter((p) => p.f === f).map((p) => p.item);
    if (taken.length < f.items.length) next[f.source.name] = JSON.stringify(taken.length ? keyOf(f.source, taken.at(-1)!) : positions.get(f.source.name)!);
    else if (f.resume) next[f.source.name] = JSON.stringify(f.resume);
  }
  return {
    orders: page.map((p): OrderSummary => orderSummaryFromItem(p.item)),
    ...(Object.keys(next).length ? { next } : {}),
  };
}

/** Up to `query.limit` items of one source, newest first, from `position`. */
async function fetchSource(doc: DynamoDBDocumentClient, table: string, source: Source, position: Position, query: OrderQuery, opts: CallOptions): Promise<Fetched> {
  const items: Item[] = [];
  let start: Key | undefined = position === 'start' ? undefined : position;
  for (;;) {
    const input: QueryCommandInput = {
      TableName: table,
      IndexName: source.index,
      KeyConditionExpression: `#pk = :pk${query.since ? ' AND #created >= :since' : ''}`,
      ExpressionAttributeNames: { '#pk': source.partitionAttr, ...(query.since ? { '#created': CREATED_AT_ATTR } : {}), ...(source.filterStatus ? { '#status': STATUS_ATTR } : {}) },
      ExpressionAttributeValues: { ':pk': source.partitionValue, ...(query.since ? { ':since': query.since } : {}), ...(source.filterStatus ? { ':status': source.filterStatus } : {}) },
      ...(source.filterStatus ? { FilterExpression: '#status = :status' } : {}),
      ScanIndexForward: false,
      Limit: query.limit,
      ...(start ? { ExclusiveStartKey: start } : {}),
    };
    let out;
    try {
      out = await doc.send(new QueryCommand(input), opts.signal ? { abortSignal: opts.signal } : {});
    } catch (err) {
      throw storeError(err, `Query (${source.index})`);
    }
    items.push(...(out.Items ?? []));
    const more = out.LastEvaluatedKey as Key | undefined;
    if (items.length >= query.limit) {
      const kept = items.slice(0, query.limit);
      // Cut inside a page: continue after the last item kept, not where DynamoDB stopped reading.
      const resume = items.length > query.limit || more ? keyOf(source, kept.at(-1)!) : undefined;
      return { source, items: kept, ...(resume ? { resume } : {}) };
    }
    if (!more) return { source, items };
    // Only a filtered source comes back short with more to read.
    start = more;
  }
}

/** The positions a cursor from an earlier page names; a cursor of another query is refused, not misread. */
function readCursor(cursor: PageCursor, sources: Source[]): Map<string, Position> {
  const names = new Set(sources.map((s) => s.name));
  const positions = new Map<string, Position>();
  for (const [name, value] of Object.entries(cursor)) {
    let position: unknown;
    try {
      position = JSON.parse(value);
    } catch {
      position = undefined;
    }
    const valid = position === 'start' || (typeof position === 'object' && position !== null && Object.values(position).every((v) => typeof v === 'string'));
    if (!names.has(name) || !valid) throw new InvalidCursorError();
    positions.set(name, position as Position);
  }
  return positions;
}

export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
  constructor() {
    super('the cursor does not belong to this listing: pass back the cursor of the previous page with the same filters');
  }
}
