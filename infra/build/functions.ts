// The Lambda functions, one bundle each: the build, serverless.yml checks and the bundle tests read this list.

export interface LambdaFunction {
  /** The artifact name: dist/<name>/index.js and dist/<name>.zip. */
  name: string;
  /** The handler module, relative to the repo root; it exports `handler`. */
  entry: string;
  /** The function's key under `functions:` in serverless.yml. */
  slsName: string;
}

export const LAMBDA_FUNCTIONS: readonly LambdaFunction[] = [
  { name: 'create-payment', entry: 'functions/create-payment.ts', slsName: 'createPayment' },
  { name: 'order-status', entry: 'functions/order-status.ts', slsName: 'orderStatus' },
  { name: 'notify', entry: 'functions/notify.ts', slsName: 'notify' },
  { name: 'return', entry: 'functions/return.ts', slsName: 'return' },
  { name: 'close-payment', entry: 'functions/close-payment.ts', slsName: 'closePayment' },
  { name: 'ship-payment', entry: 'functions/ship-payment.ts', slsName: 'shipPayment' },
  { name: 'refund-payment', entry: 'functions/refund-payment.ts', slsName: 'refundPayment' },
  { name: 'reconcile', entry: 'functions/reconcile.ts', slsName: 'reconcile' },
  { name: 'publish-events', entry: 'functions/publish-events.ts', slsName: 'publishEvents' },
];

/** The handler string of every bundle: `index.js` at the zip root, exporting `handler` (CommonJS). */
export const LAMBDA_HANDLER = 'index.handler';
