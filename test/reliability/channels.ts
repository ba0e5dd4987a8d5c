// How the simulator's sends reach the product: the real notify handler in this process (test/support/api.ts), where a
// "cold start" (a new Lambda container: a fresh app, an empty notify_verify memory) can be made to happen at a rate.
import { resetApp } from '../../shared/app.ts';
import type { SignedMessage } from '../support/alipay-messages.ts';
import { postNotify } from '../support/api.ts';
import type { Answer, Channel } from './alipay-simulator.ts';

export interface InProcessChannel extends Channel {
  /** Cold starts made so far. */
  readonly coldStarts: () => number;
}

/**
 * The notify handler called in this process. With `coldStartRate`, that fraction of sends first forgets the cached
 * app, as if Alipay's request landed on a new container: requests already running keep theirs, so several
 * "containers" (each with its own remembered notify_verify answers) serve at once.
 */
export function inProcessNotify(opts: { coldStartRate?: number; random?: () => number } = {}): InProcessChannel {
  const random = opts.random ?? Math.random;
  let coldStarts = 0;
  const channel = async (message: SignedMessage): Promise<Answer> => {
    if (opts.coldStartRate && random() < opts.coldStartRate) {
      resetApp();
      coldStarts++;
    }
    // Alipay posts form bodies; API Gateway hands them over base64-encoded.
    const res = await postNotify(message);
    return { status: res.status, body: res.body };
  };
  return Object.assign(channel, { coldStarts: () => coldStarts });
}
