// GET /sandbox: the log (newest first), the delivery knobs and the release button.
import { escapeMarkup } from './markup.ts';
import type { DeliveryKnobs, SandboxLogEntry } from './index.ts';
import { layout } from './pages.ts';

const SHOWN_ENTRIES = 500;

export function controlPage(entries: readonly SandboxLogEntry[], knobs: DeliveryKnobs, held: number): string {
  const e = escapeMarkup;
  const rows = entries
    .slice(-SHOWN_ENTRIES)
    .reverse()
    .map((x) => `<tr data-seq="${x.seq}" data-kind="${e(x.kind)}"><td>${x.seq}</td><td>${e(x.time)}</td><td>${e(x.kind)}</td><td>${e(x.outTradeNo ?? '')}<br>${e(x.tradeNo ?? '')}</td><td>${e(x.notifyId ?? '')}</td><td>${e(x.detail)}</td></tr>`)
    .join('\n');
  return layout(
    'Alipay sandbox log',
    `<main id="sandbox-control">
<h1>沙箱日志 Sandbox log</h1>
<form id="knobs" method="post" action="/sandbox/knobs">
<label>duplicate <input id="knob-duplicate" name="duplicate" type="number" min="0" max="20" value="${knobs.duplicate}"></label>
<label>delayMs <input id="knob-delay" name="delayMs" type="number" min="0" value="${knobs.delayMs}"></label>
<label>hold <select id="knob-hold" name="hold"><option value="false"${knobs.hold ? '' : ' selected'}>off</option><option value="true"${knobs.hold ? ' selected' : ''}>on</option></select></label>
<button type="submit" id="set-knobs">Set knobs</button>
</form>
<form id="release" method="post" action="/sandbox/release">
<select name="order" id="release-order"><option value="fifo">fifo</option><option value="reverse">reverse</option></select>
<button type="submit" id="release-held" data-held="${held}">Release ${held} held</button>
</form>
<p><a href="/sandbox/log.json">log.json</a> · <a href="/sandbox/trades.json">trades.json</a></p>
<table id="log"><thead><tr><th>#</th><th>time</th><th>kind</th><th>out_trade_no / trade_no</th><th>notify_id</th><th>detail</th></tr></thead>
<tbody>
${rows}
</tbody></table>
</main>`,
    ' class="wide"',
  );
}
