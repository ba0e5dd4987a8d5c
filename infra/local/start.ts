// `npm start`: the local stack in the foreground. Prints the URLs, stops everything on Ctrl-C or SIGTERM.

// The AWS SDK warns that its 2027 releases need Node 22 (Lambda runs nodejs22.x); not news to someone trying the demo.
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (!`${w.name} ${w.message}`.includes('NodeVersionSupportWarning')) process.stderr.write(`${w.name}: ${w.message}\n`);
});
const { startLocalStack, LOCAL_DEFAULTS } = await import('./stack.ts');

const say = (line: string) => process.stdout.write(`${line}\n`);

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
say('Open the demo shop, buy something, pay on the sandbox cashier, and watch the order become paid. Ctrl-C stops.');
say('');

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    say(`\n${signal}: stopping the local stack…`);
    void stack.stop().then(() => {
      say('stopped.');
      process.exit(0);
    });
  });
}
