// An HTTP server on 127.0.0.1 whose close() also drops open (even hanging) connections. Used by the local stack,
// the sandbox and the test fakes. A taken port fails with a message naming the variable that moves it.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface LoopbackServer {
  readonly server: http.Server;
  readonly port: number;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  openConnections(): number;
  close(): Promise<void>;
}

export interface ListenOptions {
  /** 0 or undefined: a free port. */
  port?: number;
  /** The setting that chooses this port (PORT, SANDBOX_PORT), named when the port is taken. */
  variable?: string;
}

export async function listenOnLoopback(handler: http.RequestListener | undefined, opts: ListenOptions = {}): Promise<LoopbackServer> {
  const server = http.createServer(handler);
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const wanted = opts.port ?? 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const change = opts.variable ? `set ${opts.variable} to another port` : 'choose another port';
      if (err.code === 'EADDRINUSE') reject(new Error(`port ${wanted} is already in use: stop what uses it or ${change}`));
      else if (err.code === 'EACCES') reject(new Error(`port ${wanted} needs privileges: ${change} (above 1023)`));
      else reject(err);
    });
    server.listen({ port: wanted, host: '127.0.0.1', exclusive: true }, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    openConnections: () => sockets.size,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
