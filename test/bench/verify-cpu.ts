// Item 4: CPU per verification (form decode + MD5 + compare, then the fields as text) against a bare MD5 of the same
// notification bytes. CPU time of this process (process.cpuUsage), in short interleaved batches, median of the
// per-round ratios: on a shared machine wall time mostly measures the other jobs.
import { createHash } from 'node:crypto';
import type { Charset } from '../../shared/alipay/charset.ts';
import { decodeForm } from '../../shared/alipay/form.ts';
import { receiveMessage } from '../../shared/alipay/receive.ts';
import { verifyForm } from '../../shared/alipay/sign.ts';
import { notification, TEST_KEY } from '../support/alipay-messages.ts';
import { median } from './stats.ts';

export interface VerifyCpu {
  charset: Charset;
  bodyBytes: number;
  /** µs of CPU per call (medians over rounds). */
  md5Us: number;
  verifyUs: number;
  receiveUs: number;
  /** Medians of the per-round ratios to the bare MD5. */
  verifyRatio: number;
  receiveRatio: number;
}

function cpuUsPerCall(f: () => unknown, n: number): number {
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) f();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / n;
}

export function measureVerifyCpu(charset: Charset, rounds = 40, batch = 3_000): VerifyCpu {
  const body = notification({ outTradeNo: 'B20240501000000000001', tradeStatus: 'TRADE_SUCCESS', totalFee: '128.00' }, { charset, key: TEST_KEY }).bytes;
  const md5 = () => createHash('md5').update(body).update(TEST_KEY).digest('hex');
  // What receiveMessage does before any text is decoded.
  const verify = () => {
    if (!verifyForm(decodeForm(body), TEST_KEY).valid) throw new Error('bench notification does not verify');
  };
  const receive = () => {
    if (!receiveMessage(body, TEST_KEY, 'utf-8').ok) throw new Error('bench notification is refused');
  };
  for (const f of [md5, verify, receive]) cpuUsPerCall(f, batch); // warm up (JIT)
  const m: number[] = [], v: number[] = [], r: number[] = [], vr: number[] = [], rr: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const a = cpuUsPerCall(md5, batch);
    const b = cpuUsPerCall(verify, batch);
    const c = cpuUsPerCall(receive, batch);
    const a2 = cpuUsPerCall(md5, batch);
    const base = (a + a2) / 2;
    m.push(base); v.push(b); r.push(c); vr.push(b / base); rr.push(c / base);
  }
  return { charset, bodyBytes: body.length, md5Us: median(m), verifyUs: median(v), receiveUs: median(r), verifyRatio: median(vr), receiveRatio: median(rr) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const cs of ['utf-8', 'gbk'] as const) console.log(measureVerifyCpu(cs));
}
