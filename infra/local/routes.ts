// The HTTP API's routes and the handler behind each: what serverless.yml declares for API Gateway.
import { handler as createPayment } from '../../functions/create-payment.ts';
import { handler as notify } from '../../functions/notify.ts';
import { handler as orderStatus } from '../../functions/order-status.ts';
import { handler as alipayReturn } from '../../functions/return.ts';
import { handler as closePayment } from '../../functions/close-payment.ts';
import { handler as shipPayment } from '../../functions/ship-payment.ts';
import { handler as refundPayment } from '../../functions/refund-payment.ts';
import type { Route } from './http-adapter.ts';

export const ROUTES: readonly Route[] = [
  { routeKey: 'POST /payments', handler: createPayment },
  { routeKey: 'GET /payments/{outTradeNo}', handler: orderStatus },
  { routeKey: 'POST /alipay/notify', handler: notify },
  { routeKey: 'GET /alipay/return', handler: alipayReturn },
  { routeKey: 'POST /payments/{outTradeNo}/close', handler: closePayment },
  { routeKey: 'POST /payments/{outTradeNo}/ship', handler: shipPayment },
  { routeKey: 'POST /payments/{outTradeNo}/refunds', handler: refundPayment },
];
