// Protocol errors as values: a code a program can switch on, the parameter at fault, and a message that says what to fix.

export type AlipayErrorCode =
  | 'INVALID_PARAMETER' // a value breaks a rule of the service spec
  | 'MISSING_PARAMETER' // a required parameter is absent or empty
  | 'UNKNOWN_PARAMETER' // a parameter the service spec does not know
  | 'CONFLICTING_PARAMETERS' // parameters that exclude each other were both given
  | 'UNKNOWN_SERVICE'
  | 'UNSUPPORTED_CHARSET'
  | 'UNENCODABLE_TEXT' // text that has no representation in the charset (e.g. emoji in GBK)
  | 'MALFORMED_FORM' // a form body or query string that cannot be decoded
  | 'INVALID_CONFIG' // partner id, key, URLs
  | 'INVALID_INPUT'; // wrong type handed to a public function

export class AlipayError extends Error {
  override readonly name = 'AlipayError';
  constructor(
    readonly code: AlipayErrorCode,
    message: string,
    /** The parameter (or config name) at fault, when there is one. */
    readonly field?: string,
  ) {
    super(message);
  }

  toJSON(): { code: AlipayErrorCode; message: string; field?: string } {
    return this.field === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, field: this.field };
  }
}

export function isAlipayError(value: unknown): value is AlipayError {
  return value instanceof AlipayError;
}
