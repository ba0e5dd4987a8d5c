// Why a storefront operation on an order could not be done: a code the HTTP layer maps to a status, and a message
// that says what to do instead.
export type PaymentErrorCode =
  | 'ORDER_NOT_FOUND'
  | 'NOT_CLOSABLE' // paid (or shipped…) already: a paid order is refunded, not closed
  | 'NOT_SHIPPABLE' // not an escrow trade waiting for the seller to ship
  | 'ALREADY_SHIPPED' // shipped before, with other details
  | 'NOT_REFUNDABLE'
  | 'EXCEEDS_REFUNDABLE'
  | 'REQUEST_ID_REUSED'
  | 'ALIPAY_REFUSED'; // Alipay answered is_success=F with an error code

export class PaymentError extends Error {
  override readonly name = 'PaymentError';
  constructor(readonly code: PaymentErrorCode, message: string, readonly field?: string, readonly details?: Readonly<Record<string, unknown>>) {
    super(message);
  }
}
