// How long Alipay keeps confirming a notify_id with notify_verify. An async notify's id stays valid across all its
// resends until the merchant answers "success"; a return's id lives about a minute (protocol doc §3.1, §3.4).
const BEIJING = '+08:00';
/** A minute, plus generous room for clock skew between Alipay and us. */
export const RETURN_FRESH_MS = 5 * 60 * 1000;

export type Channel = 'notify' | 'return';

/**
 * Whether notify_verify can still say `true` for a genuine message of `channel` sent at `notifyTime` (Beijing time
 * "yyyy-MM-dd HH:mm:ss"). Missing or unreadable times: let notify_verify decide.
 */
export function stillConfirmable(channel: Channel, notifyTime: string | undefined, nowIso: string): boolean {
  if (channel === 'notify' || !notifyTime) return true;
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})$/.exec(notifyTime);
  if (!m) return true;
  const sent = Date.parse(`${m[1]}T${m[2]}${BEIJING}`);
  return Math.abs(Date.parse(nowIso) - sent) <= RETURN_FRESH_MS;
}
