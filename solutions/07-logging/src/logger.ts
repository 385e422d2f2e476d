import path from 'node:path';
import winston from 'winston';

const { combine, errors, timestamp, json } = winston.format;
const logDir = process.env.LOG_DIR;

export const logger = winston.createLogger({
  level: process.env.LOG_LEVEL ?? 'info',
  // errors() must run at the logger level: it copies an Error's message and stack before json() sees it.
  format: combine(errors({ stack: true }), timestamp(), json()),
  transports: [
    // stdout is what the platform collects; one JSON object per line.
    new winston.transports.Console(),
    // Errors are also kept on disk, and only errors, so the file stays short enough to read.
    ...(logDir ? [new winston.transports.File({ filename: path.join(logDir, 'error.log'), level: 'error' })] : []),
  ],
});
