import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { INestApplication, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { httpServerSpan } from '@monorepo/observability';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { AppModule } from './app.module.js';
import type { ApiDependencies } from './app.module.js';
import { HttpErrorFilter } from './http/http-error-filter.js';
import { strictInternalPaths } from './http/internal-paths.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The route a request matched (its pattern, never the raw path), or `unmatched`. */
function routeOf(req: Request): string {
  const route = (req.route as { path?: string } | undefined)?.path;
  return route === undefined ? 'unmatched' : `${req.baseUrl}${route}`;
}

/** Nest's own messages, as JSON through pino. */
function nestLogger(logger: Logger): LoggerService {
  const child = logger.child({ component: 'nest' });
  return {
    log: (message: unknown) => child.debug(String(message)),
    error: (message: unknown, trace?: unknown) => child.error({ trace }, String(message)),
    warn: (message: unknown) => child.warn(String(message)),
    debug: (message: unknown) => child.debug(String(message)),
    verbose: (message: unknown) => child.trace(String(message)),
  };
}

/**
 * Builds the API application. Body parsing is off: uploads stream straight
 * from the socket to storage, and JSON bodies are read with a size limit by
 * the routes that take them.
 */
export async function createApp(deps: ApiDependencies): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(deps), {
    bodyParser: false,
    logger: nestLogger(deps.logger),
  });
  const express = app.getHttpAdapter().getInstance();
  express.disable('x-powered-by');
  express.set('trust proxy', 'loopback');
  // A server span per request (a child of the caller's traceparent), around everything else.
  app.use((req: Request, res: Response, next: NextFunction) =>
    httpServerSpan(req, res, () => routeOf(req), next),
  );
  app.use(
    pinoHttp({
      logger: deps.logger,
      genReqId: (req: IncomingMessage, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
        res.setHeader('x-request-id', id);
        return id;
      },
      customProps: (req) => ({ userId: (req as Request & { userId?: string }).userId }),
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          path: req.url.split('?')[0],
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
    }),
  );
  app.use((req: Request, res: Response, next: NextFunction) => {
    const started = performance.now();
    res.once('finish', () => {
      const labels = {
        method: req.method,
        route: routeOf(req),
        status: String(res.statusCode),
      };
      deps.monitoring.increment('http_requests_total', labels);
      deps.monitoring.timing('http_request_duration_ms', performance.now() - started, {
        method: req.method,
        route: labels.route,
      });
    });
    next();
  });
  app.use(strictInternalPaths);
  app.useGlobalFilters(new HttpErrorFilter(deps.logger));
  return app;
}
