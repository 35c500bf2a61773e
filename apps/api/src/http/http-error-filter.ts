import { Catch } from '@nestjs/common';
import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { toHttpError } from './error-mapping.js';

const DRAIN_MS = 10_000;

/**
 * Reads and drops what is left of a refused request body, so a proxy that is
 * still streaming it (nginx) receives the answer instead of a reset. Gives up
 * after {@link DRAIN_MS}.
 */
function discardBody(req: Request): void {
  const timer = setTimeout(() => req.destroy(), DRAIN_MS);
  timer.unref();
  req.once('end', () => clearTimeout(timer));
  req.once('close', () => clearTimeout(timer));
  req.resume();
}

/** Answers every error as `{ error: { code, message } }`; 5xx are logged with their cause, never sent. */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const res = http.getResponse<Response>();
    const req = http.getRequest<Request & { id?: string }>();
    const { status, code, message, headers } = toHttpError(exception);
    if (status >= 500) this.logger.error({ err: exception, reqId: req.id, code }, 'request failed');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    if (!req.readableEnded && !req.destroyed) discardBody(req);
    res.status(status).json({ error: { code, message } });
  }
}
