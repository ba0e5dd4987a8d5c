// `alipay notifications <outTradeNo>`: every stored message about an order, decoded, with its source and outcome.
import type { EventRecord, PageCursor } from '../../../shared/payments/store-port.ts';
import { type Command, EXIT, parseFlags } from '../command.ts';
import { formatRecord, recordJson } from '../record-text.ts';
import { CommandFailure, onTarget, TARGET_FLAGS, TARGET_HELP, targetOptions, type TargetOptions } from '../target.ts';
import { cliDeadline, openStore } from '../wiring.ts';

interface NotificationsOptions {
  outTradeNo: string;
  json: boolean;
  target: TargetOptions;
}

const PAGE = 100;

export const notifications: Command<NotificationsOptions> = {
  name: 'notifications',
  synopsis: 'notifications <outTradeNo> [--json]',
  summary: 'every stored message about an order, decoded, with its source and outcome',
  help: `usage: npm run --silent alipay -- notifications <outTradeNo> [--json] [where]

Every event record about the order, oldest first: when it came, its source (notify, return, query, close, ship,
refund_request), its outcome (applied, duplicate, stale, anomaly, rejected:<why>), its event id (the notify_id, or
derived) and the stored raw message decoded in its charset (UTF-8, or GBK when the bytes are not valid UTF-8): a
notify body or return query as its fields, an XML answer as text. Messages whose signature failed were never stored.
Use an event id with \`replay\`. --json adds the raw bytes in base64. Reads the Notifications table's by-order index.
Exit 0, or 1 when there is none.

${TARGET_HELP}`,
  parse(argv) {
    const { values, positionals } = parseFlags(argv, { json: { type: 'boolean' }, ...TARGET_FLAGS }, ['outTradeNo']);
    return { outTradeNo: positionals[0]!, json: values.json === true, target: targetOptions(values) };
  },
  run: (opts, io) => onTarget(opts.target, async (target) => {
    const store = openStore(target);
    const { signal } = cliDeadline();
    const records: EventRecord[] = [];
    let cursor: PageCursor | undefined;
    do {
      const page = await store.listEventRecords(opts.outTradeNo, { limit: PAGE, ...(cursor ? { cursor } : {}) }, { signal });
      records.push(...page.records);
      cursor = page.next;
    } while (cursor);
    if (opts.json) io.out(JSON.stringify(records.map(recordJson), null, 2));
    else if (records.length) io.out([`${records.length} event record${records.length === 1 ? '' : 's'} for ${opts.outTradeNo}, oldest first`, ...records.map(formatRecord)].join('\n\n'));
    if (records.length === 0) throw new CommandFailure(`no event records for ${opts.outTradeNo} in ${target.label}`);
    return EXIT.ok;
  }),
};
