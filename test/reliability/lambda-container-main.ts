// One Lambda-like container: a child process serving the real notify and return handlers over HTTP on 127.0.0.1 with
// the environment it was started with, until it is killed. It prints `READY <url>` once it listens.
// Run by lambda-containers.ts: node --import tsx test/reliability/lambda-container-main.ts
import { handler as notify } from '../../functions/notify.ts';
import { handler as alipayReturn } from '../../functions/return.ts';
import { apiGatewayListener } from '../../infra/local/http-adapter.ts';
import { listenOnLoopback } from '../../infra/local/loopback-server.ts';

const server = await listenOnLoopback(apiGatewayListener([
  { routeKey: 'POST /alipay/notify', handler: notify },
  { routeKey: 'GET /alipay/return', handler: alipayReturn },
]));
process.stderr.write(`READY ${server.url}\n`);
// Stop with the parent: a container whose parent is gone has nobody to answer.
process.on('disconnect', () => process.exit(0));
