// The record of a refund request, keyed by its batch_no: it is also how a batch refund notification finds its order.
export const refundRequestId = (batchNo: string): string => `refund-request#${batchNo}`;
