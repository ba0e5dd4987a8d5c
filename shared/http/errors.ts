// Errors that carry their HTTP status. The one place that maps any error to a response is responses.ts.
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(readonly status: number, readonly code: string, message: string, readonly field?: string, readonly details?: unknown) {
    super(message);
  }
}
