// The start/stop/URL part every test fake on 127.0.0.1 shares; a fake only says how it answers.
import type http from 'node:http';
import { listenOnLoopback, type LoopbackServer } from '../../infra/local/loopback-server.ts';

export abstract class LoopbackFake {
  private server: LoopbackServer | undefined;

  protected abstract handle(req: http.IncomingMessage, res: http.ServerResponse): void | Promise<void>;

  async start(): Promise<this> {
    this.server = await listenOnLoopback((req, res) => void this.handle(req, res));
    return this;
  }

  /** Stops listening and drops every connection, including requests left hanging. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await server?.close();
  }

  /** `http://127.0.0.1:PORT` */
  protected get baseUrl(): string {
    if (!this.server) throw new Error(`${this.constructor.name}: start() it first`);
    return this.server.url;
  }
}
