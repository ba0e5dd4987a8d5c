// What each function's role may do, and nothing more: table (or table/index/name) → DynamoDB actions, SSM parameters.
// The template test checks the roles are exactly this; the IAM coverage test checks the code needs no more.
/** What each function may do, and nothing more: table → actions, SSM parameters, log group. */
export const EXPECTED: Record<string, { tables: Record<string, string[]>; parameters: string[] }> = {
  createPayment: { tables: { OrdersTable: ['dynamodb:PutItem'] }, parameters: ['alipay-key', 'storefront-token'] },
  orderStatus: { tables: { OrdersTable: ['dynamodb:GetItem'] }, parameters: ['storefront-token'] },
  notify: {
    tables: { OrdersTable: ['dynamodb:BatchGetItem', 'dynamodb:PutItem'], NotificationsTable: ['dynamodb:BatchGetItem', 'dynamodb:PutItem'] },
    parameters: ['alipay-key'],
  },
  return: {
    tables: { OrdersTable: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem'], NotificationsTable: ['dynamodb:BatchGetItem', 'dynamodb:PutItem'] },
    parameters: ['alipay-key'],
  },
  closePayment: {
    tables: { OrdersTable: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem'], NotificationsTable: ['dynamodb:BatchGetItem', 'dynamodb:PutItem'] },
    parameters: ['alipay-key', 'storefront-token'],
  },
  shipPayment: {
    tables: { OrdersTable: ['dynamodb:GetItem', 'dynamodb:PutItem'], NotificationsTable: ['dynamodb:PutItem'] },
    parameters: ['alipay-key', 'storefront-token'],
  },
  refundPayment: {
    tables: { OrdersTable: ['dynamodb:GetItem', 'dynamodb:PutItem'], NotificationsTable: ['dynamodb:PutItem', 'dynamodb:UpdateItem'] },
    parameters: ['alipay-key', 'storefront-token'],
  },
  reconcile: {
    tables: {
      OrdersTable: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem'],
      'OrdersTable/index/awaiting-payment': ['dynamodb:Query'],
      NotificationsTable: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem'],
    },
    parameters: ['alipay-key'],
  },
  // Reads the Orders stream (through its event source mapping), puts on the stage bus, and sends what keeps failing
  // to its on-failure queue. `tables` here names every resource of its role (the stream, the bus, the queue).
  publishEvents: {
    tables: {
      'OrdersTable/stream': ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'],
      EventBus: ['events:PutEvents'],
      PublishEventsFailureQueue: ['sqs:SendMessage'],
    },
    parameters: [],
  },
};
