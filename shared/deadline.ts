// One deadline for a whole request, well inside the Lambda timeout: every call it makes (DynamoDB with its retries,
// notify_verify) is abandoned when it passes, so the handler still answers (`fail`: Alipay retries) before Lambda kills it.

/** The deadline passed before the work was done. Transient: nothing half-written, the sender should retry. */
export class DeadlineExceededError extends Error {
  override readonly name = 'DeadlineExceededError';
  readonly transient = true;
  constructor(readonly budgetMs: number) {
    super(`the request's ${budgetMs} ms deadline passed before it was done`);
  }
}

export class Deadline {
  /** Aborts when the deadline passes. */
  readonly signal: AbortSignal;
  private readonly at: number;

  constructor(readonly budgetMs: number) {
    this.at = Date.now() + budgetMs;
    this.signal = AbortSignal.timeout(budgetMs);
  }

  remainingMs(): number {
    return Math.max(0, this.at - Date.now());
  }

  /** Throws DeadlineExceededError once the deadline has passed (checked between steps). */
  check(): void {
    if (this.signal.aborted || this.remainingMs() === 0) throw new DeadlineExceededError(this.budgetMs);
  }
}
