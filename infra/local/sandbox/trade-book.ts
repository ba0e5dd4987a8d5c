// Where the sandbox keeps its trades: by trade_no, and by (partner, out_trade_no) since out_trade_no is unique per partner.
import type { Trade } from './trades.ts';

export class TradeBook {
  private readonly byTradeNo = new Map<string, Trade>();
  private readonly byOutTradeNo = new Map<string, string>();

  /** `onChange` is called after every put (e.g. to save the trades). */
  constructor(private readonly onChange: () => void = () => {}) {}

  private static outKey(partner: string, outTradeNo: string): string {
    return `${partner}\n${outTradeNo}`;
  }

  get(tradeNo: string): Trade | undefined {
    return this.byTradeNo.get(tradeNo);
  }

  find(partner: string, outTradeNo: string): Trade | undefined {
    const tradeNo = this.byOutTradeNo.get(TradeBook.outKey(partner, outTradeNo));
    return tradeNo === undefined ? undefined : this.byTradeNo.get(tradeNo);
  }

  /** Adds a new trade or replaces the stored version of the same trade_no. */
  put(trade: Trade): void {
    this.keep(trade);
    this.onChange();
  }

  /** Takes back trades kept from an earlier run, without calling onChange. */
  load(trades: readonly Trade[]): void {
    for (const trade of trades) this.keep(trade);
  }

  private keep(trade: Trade): void {
    this.byTradeNo.set(trade.tradeNo, trade);
    this.byOutTradeNo.set(TradeBook.outKey(trade.partner, trade.outTradeNo), trade.tradeNo);
  }

  all(): Trade[] {
    return [...this.byTradeNo.values()];
  }
}
