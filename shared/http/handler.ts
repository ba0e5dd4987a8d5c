// The frame every JSON handler shares: request id, logger, app, and one error mapping.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { getApp, type App } from '../app.ts';
import type { SecretName } from '../config.ts';
import { logger, type Logger } from '../log.ts';
import { requestId } from './event.ts';
import { errorResponse } from './responses.ts';

export interface HandlerContext {
  app: App;
  log: Logger;
  requestId: string;
}

export type HttpHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

export function jsonHandler(
  name: string,
  secrets: readonly SecretName[],
  run: (event: APIGatewayProxyEventV2, ctx: HandlerContext) => Promise<APIGatewayProxyStructuredResultV2>,
): HttpHandler {
  return async (event) => {
    const id = requestId(event);
    const log = logger(id);
    try {
      const app = await getApp(secrets);
      return await run(event, { app, log, requestId: id });
    } catch (err) {
      log.warn(`${name} failed`, { error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
      return errorResponse(err, log, id);
    }
  };
}
