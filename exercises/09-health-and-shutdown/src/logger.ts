import winston from 'winston';
import type { NextFunction, Request, Response } from 'express';

const { combine, errors, timestamp, json } = winston.format;

// One JSON object per line on stdout: what the platform (PM2, Kubernetes) collects.
export const logger = winston.createLogger({
  level: 'info',
  format: combine(errors({ stack: true }), timestamp(), json()),
  transports: [new winston.transports.Console()],
});

/** One access line per request, written once the response has finished and its status is known. */
export function accessLog(req: Request, res: Response, next: NextFunction): void {
  const started = performance.now();
  res.on('finish', () => {
    logger.info('request', {
      method: req.method,
      url: req.originalUrl,
      status: res.statusCode,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
    });
  });
  next();
}
