// `npm run --silent alipay -- <command>`: Alipay signatures from the shell, and the operator's commands over the
// orders and their messages (the local stack by default, AWS with --stage). Each command loads only what it uses.
import { pathToFileURL } from 'node:url';
import { type Command, EXIT, InputError, type Io, UsageError } from './command.ts';
import { runSignatures, SIGNATURE_COMMANDS, SIGNATURES_USAGE } from './signatures.ts';

/** The operator commands, loaded when named. */
const OPERATOR: Record<string, () => Promise<Command<unknown>>> = {
  order: async () => (await import('./commands/order.ts')).order as Command<unknown>,
  orders: async () => (await import('./commands/orders.ts')).orders as Command<unknown>,
  notifications: async () => (await import('./commands/notifications.ts')).notifications as Command<unknown>,
  replay: async () => (await import('./commands/replay.ts')).replay as Command<unknown>,
  reconcile: async () => (await import('./commands/reconcile.ts')).reconcile as Command<unknown>,
  trigger: async () => (await import('./commands/trigger.ts')).trigger as Command<unknown>,
};

export async function usage(): Promise<string> {
  const commands = await Promise.all(Object.values(OPERATOR).map((load) => load()));
  return `usage: npm run --silent alipay -- <command> [options]      (<command> --help for more)

${SIGNATURES_USAGE}

operator (the running local stack by default; --stage S for AWS, --endpoint URL for a DynamoDB of your own):
${commands.map((c) => `  ${c.synopsis}\n      ${c.summary}`).join('\n')}

Exit codes: 0 ok, 1 not found or failed, 2 usage or unreadable input. No command prints the key.`;
}

const wantsHelp = (argv: string[]) => argv.includes('--help') || argv.includes('-h');

export async function main(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    io.out(await usage());
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  const load = OPERATOR[command];
  const isSignature = (SIGNATURE_COMMANDS as readonly string[]).includes(command);
  if (!load && !isSignature) {
    io.err(`alipay: unknown command "${command}"\n\n${await usage()}`);
    return EXIT.usage;
  }
  const cmd = load ? await load() : undefined;
  if (wantsHelp(rest)) {
    io.out(cmd ? cmd.help : SIGNATURES_USAGE);
    return EXIT.ok;
  }
  try {
    if (!cmd) return await runSignatures(command, rest, io);
    return await cmd.run(cmd.parse(rest), io);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof UsageError) {
      io.err(`alipay ${command}: ${message}\n\n${cmd ? cmd.help.split('\n')[0] : SIGNATURES_USAGE}${cmd ? `\n(npm run --silent alipay -- ${command} --help for more)` : ''}`);
      return EXIT.usage;
    }
    io.err(`alipay ${command}: ${message}`);
    return err instanceof InputError ? EXIT.usage : EXIT.failed;
  }
}

const stdio: Io = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

// Run as a program (not imported by a test).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // The SDK's notice that its 2027 releases need Node 22 (Lambda runs nodejs22.x) is not an operator's business.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  main(process.argv.slice(2), stdio).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`alipay: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
      process.exitCode = EXIT.failed;
    },
  );
}
