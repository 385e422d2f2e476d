import path from 'node:path';
import winston from 'winston';
import type { NextFunction, Request, Response } from 'express';

const { combine, errors, timestamp, json } = winston.format;
const logDir = process.env.LOG_DIR;

// LOG_LEVEL in any case (WARN is warn). winston drops every line, errors included, at a level it does
// not know, so an unknown value is refused at startup like any other invalid setting.
const level = (process.env.LOG_LEVEL || 'info').toLowerCase();
if (!Object.hasOwn(winston.config.npm.levels, level)) {
  console.error(`Invalid configuration, not starting: LOG_LEVEL must be one of ${Object.keys(winston.config.npm.levels).join(', ')}`);
  process.exit(1);
}

export const logger = winston.createLogger({
  level,
  // errors() must run at the logger level: it copies an Error's message and stack before json() sees it.
  format: combine(errors({ stack: true }), timestamp(), json()),
  transports: [
    // stdout is what the platform collects; one JSON object per line.
    new winston.transports.Console(),
    // Errors are also kept on disk, and only errors, so the file stays short enough to read.
    ...(logDir ? [new winston.transports.File({ filename: path.join(logDir, 'error.log'), level: 'error' })] : []),
  ],
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
