// A return's notify_id is valid for about a minute; past that notify_verify says "false" for a genuine one.
const BEIJING = '+08:00';
/** Generous to allow for clock skew between Alipay and us. */
export const RETURN_FRESH_MS = 5 * 60 * 1000;

/** notify_time is Beijing time "yyyy-MM-dd HH:mm:ss". Missing or unreadable: let notify_verify decide. */
export function returnIsFresh(notifyTime: string | undefined, nowIso: string): boolean {
  if (!notifyTime) return true;
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})$/.exec(notifyTime);
  if (!m) return true;
  const sent = Date.parse(`${m[1]}T${m[2]}${BEIJING}`);
  return Math.abs(Date.parse(nowIso) - sent) <= RETURN_FRESH_MS;
}
