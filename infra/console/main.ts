// `npm run console -- [--stage S | --endpoint URL] [--allow-actions] [--port N]`: the orders console of `npm start`
// against any tables the operator CLI can read (a deployed stage with the usual AWS environment, a DynamoDB of one's
// own, or the running local stack), on 127.0.0.1 at a port it prints. Read-only unless --allow-actions.
import { pathToFileURL } from 'node:url';
import { type Io, parseFlags, UsageError } from '../cli/command.ts';
import { explainFailure, resolveTarget, TARGET_FLAGS, TARGET_HELP, targetOptions, type Target } from '../cli/target.ts';
import { openApp, openStore } from '../cli/wiring.ts';
import { listenOnLoopback, type LoopbackServer } from '../local/loopback-server.ts';
import { readRawRequest } from '../local/http-adapter.ts';
import { consoleActions } from './actions.ts';
import { consoleHandler, isConsoleTarget } from './console.ts';

export const CONSOLE_HELP = `usage: npm run console -- [--allow-actions] [--port N] [where]

The orders console (what \`npm start\` serves at /console) against the tables named below, on 127.0.0.1 at the port
it prints (--port N, default any free port). Orders newest first with filters; each order's messages, history,
anomalies and refund ledger. Read-only: actions are hidden and refused (403) unless
  --allow-actions   show ship, close, refund, replay and reconcile now (each asks for confirmation); they use the
                    key (for --stage from SSM, or ALIPAY_KEY) and ALIPAY_PARTNER as the operator CLI does
Ctrl-C stops it.

${TARGET_HELP}`;

export interface RunningConsole {
  url: string;
  target: Target;
  server: LoopbackServer;
}

export async function startConsole(argv: string[], env: Readonly<Record<string, string | undefined>> = process.env): Promise<RunningConsole> {
  const { values } = parseFlags(argv, { 'allow-actions': { type: 'boolean' }, port: { type: 'string' }, ...TARGET_FLAGS });
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!/^\d{1,5}$/.test(values.port ?? '0') || port > 65535) throw new UsageError(`--port must be a port number, got "${values.port}"`);
  const target = await resolveTarget(targetOptions(values), env);
  const store = openStore(target);
  // One read first, so wrong credentials, region or tables are said now and not on the first page.
  try {
    await store.listOrders({ limit: 1 });
  } catch (err) {
    throw new Error(explainFailure(err, target), { cause: err });
  }
  const handle = consoleHandler({
    store,
    where: target.label,
    ...(values['allow-actions'] ? { actions: async () => consoleActions(await openApp(target, true), target.keySource) } : {}),
    explain: (err) => explainFailure(err, target),
  });
  const server = await listenOnLoopback((req, res) => {
    void (async () => {
      const raw = await readRawRequest(req, 1024 * 1024);
      if (raw === 'too_large') return void res.writeHead(413).end();
      if (raw.target === '/' || raw.target === '') return void res.writeHead(302, { location: '/console' }).end();
      if (!isConsoleTarget(raw.target)) return void res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('the console is at /console\n');
      await handle(raw, res);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  }, { port });
  return { url: `${server.url}/console`, target, server };
}

export async function main(argv: string[], io: Io): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.out(CONSOLE_HELP);
    return 0;
  }
  let running: RunningConsole;
  try {
    running = await startConsole(argv);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    io.err(`console: ${message}${err instanceof UsageError ? `\n\n${CONSOLE_HELP.split('\n')[0]}` : ''}`);
    return err instanceof UsageError ? 2 : 1;
  }
  const readOnly = !argv.includes('--allow-actions');
  io.out(`Orders console for ${running.target.label}`);
  io.out(`  ${running.url}  (${readOnly ? 'read-only; --allow-actions to act on orders' : 'actions allowed, each after a confirmation'})`);
  io.out('Ctrl-C stops it.');
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => void running.server.close().then(() => process.exit(0)));
  }
  return new Promise<number>(() => undefined); // runs until a signal
}

// Run as a program (not imported by a test).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  void main(process.argv.slice(2), {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
  }).then((code) => process.exit(code));
}
