import errorHandling from './01-error-handling.js';
import securityHeaders from './02-security-headers.js';
import sessionStore from './03-session-store.js';
import rateLimiting from './04-rate-limiting.js';
import compression from './05-compression.js';
import configuration from './06-configuration.js';
import logging from './07-logging.js';
import middlewareOrder from './08-middleware-order.js';
import healthAndShutdown from './09-health-and-shutdown.js';
import type { LessonDefinition } from './types.js';

/** Every lesson, in course order. Nothing else knows the order. */
export const lessons: readonly LessonDefinition[] = [
  errorHandling,
  securityHeaders,
  sessionStore,
  rateLimiting,
  compression,
  configuration,
  logging,
  middlewareOrder,
  healthAndShutdown,
];

export function lessonById(id: string): LessonDefinition {
  const found = lessons.find((lesson) => lesson.id === id);
  if (!found) throw new Error(`No lesson ${id} in the registry.`);
  return found;
}

/** Accepts `3`, `03`, `03-session-store` or `session-store`. */
export function findLesson(name: string): LessonDefinition | undefined {
  const wanted = name.trim().toLowerCase();
  return lessons.find(
    (lesson) =>
      lesson.id === wanted ||
      lesson.id.slice(3) === wanted ||
      (/^\d+$/.test(wanted) && lesson.number === Number(wanted)),
  );
}

export function checkById(id: string) {
  for (const lesson of lessons) {
    const check = lesson.checks.find((candidate) => candidate.id === id);
    if (check) return { lesson, check };
  }
  return undefined;
}
