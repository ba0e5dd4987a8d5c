// `alipay order <outTradeNo>`: one order as stored — state, amounts, refund ledger, shipment, history, anomalies.
import { HISTORY_LIMIT } from '../../../shared/orders/order.ts';
import { type Command, EXIT, parseFlags } from '../command.ts';
import { formatOrder } from '../order-text.ts';
import { CommandFailure, onTarget, TARGET_FLAGS, TARGET_HELP, targetOptions, type TargetOptions } from '../target.ts';
import { cliDeadline, openStore } from '../wiring.ts';

interface OrderOptions {
  outTradeNo: string;
  json: boolean;
  target: TargetOptions;
}

export const order: Command<OrderOptions> = {
  name: 'order',
  synopsis: 'order <outTradeNo> [--json]',
  summary: 'one order: state, amounts, refund ledger, shipment, history, anomalies',
  help: `usage: npm run --silent alipay -- order <outTradeNo> [--json] [where]

One order as stored: status (and refund status), service, amounts in yuan (what the buyer must pay, what Alipay
reported paid, refunded and still refundable), trade_no, the refund ledger, the shipment, the history of applied
events (oldest first, the last ${HISTORY_LIMIT}) and the anomalies recorded on it. --json prints the stored order (amounts in fen).
Exit 0 found, 1 no such order.

${TARGET_HELP}`,
  parse(argv) {
    const { values, positionals } = parseFlags(argv, { json: { type: 'boolean' }, ...TARGET_FLAGS }, ['outTradeNo']);
    return { outTradeNo: positionals[0]!, json: values.json === true, target: targetOptions(values) };
  },
  run: (opts, io) => onTarget(opts.target, async (target) => {
    const found = await openStore(target).getOrder(opts.outTradeNo, { signal: cliDeadline().signal });
    if (!found) throw new CommandFailure(`no order ${opts.outTradeNo} in ${target.label}`);
    io.out(opts.json ? JSON.stringify(found, null, 2) : formatOrder(found));
    return EXIT.ok;
  }),
};
