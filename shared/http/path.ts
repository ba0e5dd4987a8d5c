// The {outTradeNo} of a route, checked before anything is looked up with it.
import { isOutTradeNo, OUT_TRADE_NO_RULE } from '../alipay/identifiers.ts';
import { HttpError } from './errors.ts';
import type { HttpEvent } from './event.ts';

export function pathOutTradeNo(event: HttpEvent): string {
  const outTradeNo = event.pathParameters?.outTradeNo ?? '';
  if (!isOutTradeNo(outTradeNo)) throw new HttpError(400, 'INVALID_PARAMETER', `outTradeNo must be ${OUT_TRADE_NO_RULE}`, 'outTradeNo');
  return outTradeNo;
}
