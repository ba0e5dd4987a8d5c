// `npm start`: the local stack in the foreground. Prints the URLs, stops everything on Ctrl-C or SIGTERM.

// The AWS SDK warns that its 2027 releases need Node 22 (Lambda runs nodejs22.x); not news to someone trying the demo.
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (!`${w.name} ${w.message}`.includes('NodeVersionSupportWarning')) process.stderr.write(`${w.name}: ${w.message}\n`);
});
const { startLocalStack, LOCAL_DEFAULTS } = await import('./stack.ts');

const say = (line: string) => process.stdout.write(`${line}\n`);
const STOP_GRACE_MS = 15_000;

/** Calls `gone` once when the parent process (npm) no longer exists: this process was orphaned. */
function watchParent(gone: () => void): void {
  const parent = process.ppid;
  if (parent <= 1) return; // started by init or a container: nothing to watch
  const timer = setInterval(() => {
    try {
      process.kill(parent, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') return;
      clearInterval(timer);
      gone();
    }
  }, 1_000);
  timer.unref();
}

let stack;
try {
  stack = await startLocalStack({ log: (line) => say(`  · ${line}`) });
} catch (err) {
  process.stderr.write(`npm start: could not start the local stack: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}

const { env, defaults } = stack;
say('');
say('alipay-serverless local stack is running');
say(`  Demo shop        ${stack.shopUrl}`);
say(`  Payments API     ${stack.apiUrl}  (POST /payments, GET /payments/{outTradeNo}, POST /alipay/notify, GET /alipay/return)`);
say(`  Alipay sandbox   ${stack.sandbox.gatewayUrl}`);
say(`  Sandbox log      ${stack.sandbox.url}/sandbox`);
say(`  Orders console   ${stack.consoleUrl}`);
say(`  DynamoDB Local   ${stack.dynamodbEndpoint}${stack.dataDir ? `  (data kept in ${stack.dataDir})` : ''}`);
say(`  Partner          ${env.ALIPAY_PARTNER}${defaults.partner ? '  (fake local default; set ALIPAY_PARTNER to change)' : ''}`);
// A key the user supplied is never printed; the fake default is, so the sandbox can be used by hand.
say(`  MD5 key          ${defaults.key ? `${LOCAL_DEFAULTS.ALIPAY_KEY}  (fake local default; set ALIPAY_KEY to change)` : '(from ALIPAY_KEY, not shown)'}`);
say(`  Storefront token ${defaults.token ? `${LOCAL_DEFAULTS.STOREFRONT_TOKEN}  (fake local default; set STOREFRONT_TOKEN to change)` : '(from STOREFRONT_TOKEN, not shown)'}`);
say('Open the demo shop, buy something, pay on the sandbox cashier, and watch the order become paid.');
say(`Ctrl-C stops (or kill -TERM the npm process, or this one: pid ${process.pid}).`);
say('');

// Ctrl-C, `kill <pid>` of npm or of this process, a closed terminal: each stops everything. npm forwards SIGINT and
// SIGTERM to this process (the script `exec`s node, so no shell sits between them); a signal npm does not forward
// (SIGHUP) or npm dying otherwise leaves this process orphaned, which watchParent notices. DynamoDB Local's Java
// dies with this process even on SIGKILL (dynamodb-local.ts).
let stopping = false;
const shutdown = (why: string) => {
  if (stopping) return;
  stopping = true;
  say(`\n${why}: stopping the local stack…`);
  // A stop that hangs must not keep the ports: give up waiting after a while and exit (the exit handler kills Java).
  setTimeout(() => {
    process.stderr.write('npm start: the stack did not stop in time; exiting anyway\n');
    process.exit(1);
  }, STOP_GRACE_MS).unref();
  void stack.stop().then(() => {
    say('stopped.');
    process.exit(0);
  });
};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => shutdown(signal));
watchParent(() => shutdown('the process that started this one (npm) has exited'));
