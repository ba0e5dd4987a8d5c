// `alipay trigger <outTradeNo> <TRADE_STATUS>`: the local sandbox moves the order's trade to that status with the
// cashier button that does so, and sends the signed notification itself, as Alipay would. So the notify_id is one
// the sandbox issued, and its notify_verify confirms it: the whole notify path runs, nothing is faked.
import { isTradeStatus, type TradeStatus } from '../../../shared/orders/trade-status.ts';
import { type Command, EXIT, parseFlags, UsageError } from '../command.ts';
import { CommandFailure, localTarget } from '../target.ts';

interface TriggerOptions {
  outTradeNo: string;
  status: TradeStatus;
  sandboxUrl?: string;
  amount?: string;
}

/** What /sandbox/trades.json says of a trade (the fields used here). */
interface SandboxTrade {
  partner: string;
  kind: 'instant' | 'escrow';
  outTradeNo: string;
  tradeNo: string;
  status: string;
  totalFee: string;
  notifyUrl?: string;
  notifyIds: string[];
}

type Button = 'pay' | 'close' | 'ship' | 'confirm' | 'finish' | 'refund';

/**
 * The sandbox's cashier buttons (infra/local/sandbox/README.md), by kind and current status: the one that moves a
 * trade to each status. The sandbox has the last word: it refuses a button that is not allowed now.
 */
const BUTTONS: Readonly<Record<SandboxTrade['kind'], Readonly<Record<string, Partial<Record<TradeStatus, Button>>>>>> = {
  instant: {
    WAIT_BUYER_PAY: { TRADE_SUCCESS: 'pay', TRADE_CLOSED: 'close' },
    TRADE_SUCCESS: { TRADE_FINISHED: 'finish', TRADE_CLOSED: 'refund' },
  },
  escrow: {
    WAIT_BUYER_PAY: { WAIT_SELLER_SEND_GOODS: 'pay', TRADE_CLOSED: 'close' },
    WAIT_SELLER_SEND_GOODS: { WAIT_BUYER_CONFIRM_GOODS: 'ship' },
    WAIT_BUYER_CONFIRM_GOODS: { TRADE_FINISHED: 'confirm' },
  },
};

export const trigger: Command<TriggerOptions> = {
  name: 'trigger',
  synopsis: 'trigger <outTradeNo> <TRADE_STATUS>',
  summary: 'local sandbox only: it moves the trade and sends that notification itself',
  help: `usage: npm run --silent alipay -- trigger <outTradeNo> <TRADE_STATUS> [--amount YUAN] [--sandbox URL]

Local sandbox only (never AWS). Like a payment provider's test trigger: the sandbox moves the order's trade to
TRADE_STATUS by pressing the cashier button that does so, and then sends the signed async notification to the
trade's notify_url itself, with a notify_id it issued (so its notify_verify confirms it), resent on its schedule
until the handler answers \`success\`. One button per run:
  instant (direct pay, digital goods, donation):  WAIT_BUYER_PAY → TRADE_SUCCESS (pay; TRADE_FINISHED when the
      sandbox runs with SANDBOX_INSTANT_MODE=basic) or TRADE_CLOSED (close); TRADE_SUCCESS → TRADE_FINISHED
      (refund window ends) or TRADE_CLOSED (full refund)
  escrow:  WAIT_BUYER_PAY → WAIT_SELLER_SEND_GOODS (pay) or TRADE_CLOSED (close); → WAIT_BUYER_CONFIRM_GOODS (ship);
      → TRADE_FINISHED (buyer confirms)
WAIT_BUYER_PAY and TRADE_PENDING have no button. The trade exists once the buyer opened the cashier (the payment
form was submitted to the sandbox). The CLI never signs a notification itself: one it made up would carry a
notify_id the sandbox never issued, which the handler rightly rejects.
  --amount YUAN   a donation without an amount: what the donor pays
  --sandbox URL   the sandbox (default: the running local stack's, from its stack.json)
Exit 0 sent, 1 no such trade or no button for that move, 2 usage.`,
  parse(argv) {
    const { values, positionals } = parseFlags(argv, { sandbox: { type: 'string' }, amount: { type: 'string' }, stage: { type: 'string' } }, ['outTradeNo', 'TRADE_STATUS']);
    if (values.stage !== undefined) throw new UsageError('trigger works against the local sandbox only: AWS talks to the real Alipay, which has no trigger');
    const status = positionals[1]!;
    if (!isTradeStatus(status)) throw new UsageError(`"${status}" is not a trade status: use WAIT_SELLER_SEND_GOODS, WAIT_BUYER_CONFIRM_GOODS, TRADE_SUCCESS, TRADE_FINISHED or TRADE_CLOSED`);
    if (values.amount !== undefined && !/^\d{1,9}(\.\d{1,2})?$/.test(values.amount)) throw new UsageError(`--amount must be yuan like 10.00, got "${values.amount}"`);
    return {
      outTradeNo: positionals[0]!, status,
      ...(values.sandbox === undefined ? {} : { sandboxUrl: values.sandbox.replace(/\/+$/, '') }),
      ...(values.amount === undefined ? {} : { amount: values.amount }),
    };
  },
  async run(opts, io) {
    const sandboxUrl = opts.sandboxUrl ?? (await localTarget()).sandboxUrl!;
    const trade = await findTrade(sandboxUrl, opts.outTradeNo);
    const button = BUTTONS[trade.kind][trade.status]?.[opts.status];
    if (!button) {
      const possible = Object.keys(BUTTONS[trade.kind][trade.status] ?? {});
      throw new CommandFailure(`the sandbox has no button that moves ${trade.kind} trade ${trade.tradeNo} from ${trade.status} to ${opts.status}` +
        (possible.length ? `: possible now: ${possible.join(', ')}` : ': nothing moves it any more'));
    }
    if (button === 'pay' && trade.totalFee === '' && opts.amount === undefined) throw new UsageError('this is a donation without an amount: give --amount YUAN');
    const answer = await fetch(`${sandboxUrl}/cashier/${trade.tradeNo}/${button}`, {
      method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: button === 'pay' && opts.amount !== undefined ? new URLSearchParams({ total_fee: opts.amount }).toString() : '',
    });
    if (answer.status >= 400) throw new CommandFailure(`the sandbox refused ${button} on trade ${trade.tradeNo} (HTTP ${answer.status}): ${problemOf(await answer.text())}`);
    await answer.body?.cancel();

    const after = await findTrade(sandboxUrl, opts.outTradeNo);
    const sent = after.notifyIds.filter((id) => !trade.notifyIds.includes(id));
    io.out(`sandbox: ${button} on trade ${after.tradeNo} (${trade.kind}): ${trade.status} → ${after.status}`);
    if (sent.length === 0) io.out('no notification: the trade has no notify_url');
    else io.out(`notification ${after.status}, notify_id ${sent.join(', ')}, sent by the sandbox to ${after.notifyUrl} (resent until it answers success; ${sandboxUrl}/sandbox shows each send)`);
    if (after.status !== opts.status) {
      io.err(`the trade is now ${after.status}, not ${opts.status}${button === 'pay' && trade.kind === 'instant' ? ': this sandbox runs in basic instant mode, where paying finishes the trade' : ''}`);
      return EXIT.failed;
    }
    return EXIT.ok;
  },
};

async function findTrade(sandboxUrl: string, outTradeNo: string): Promise<SandboxTrade> {
  let trades: SandboxTrade[];
  try {
    const res = await fetch(`${sandboxUrl}/sandbox/trades.json`);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    trades = (await res.json()) as SandboxTrade[];
  } catch (err) {
    throw new CommandFailure(`could not read the sandbox's trades at ${sandboxUrl}/sandbox/trades.json (${(err as Error).message}): is the local stack running?`);
  }
  const found = trades.filter((t) => t.outTradeNo === outTradeNo);
  if (found.length === 0) throw new CommandFailure(`the sandbox has no trade for ${outTradeNo}: it has one once the buyer opened the cashier (the payment form was submitted to ${sandboxUrl}/gateway.do)`);
  if (found.length > 1) throw new CommandFailure(`the sandbox has trades for ${outTradeNo} under several partners (${found.map((t) => t.partner).join(', ')})`);
  return found[0]!;
}

/** The message of the sandbox's problem page. */
const problemOf = (html: string): string =>
  /id="problem-message">([^<]*)</.exec(html)?.[1]?.replace(/&#39;|&quot;|&amp;|&lt;|&gt;/g, (e) => ({ '&#39;': "'", '&quot;': '"', '&amp;': '&', '&lt;': '<', '&gt;': '>' })[e]!) ?? html.slice(0, 200);
