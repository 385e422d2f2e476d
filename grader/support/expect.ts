// One-line expectations in the CodeCrafters style: "Expected X, got Y." plus what to do next.

/** A check found the app misbehaving. The message is shown to the learner as is. */
export class CheckFailure extends Error {
  override name = 'CheckFailure';
}

/** The grader could not judge: the app does not load, a service is missing, a time limit was hit. */
export class CannotJudge extends Error {
  override name = 'CannotJudge';
}

export function fail(message: string): never {
  throw new CheckFailure(message);
}

/** `message` may be a function, for a message that costs something to write (a large body shown). */
export function expectThat(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) fail(typeof message === 'string' ? message : message());
}

/** A value as it reads best in a one-line message. */
export function show(value: unknown, max = 120): string {
  if (typeof value === 'string' && /^\s*<(!doctype|html)/i.test(value)) {
    const words = value.replace(/<(script|style)[^]*?<\/\1>/gi, ' ').replace(/<[^>]+>/g, ' ').replace(/&nbsp;/g, ' ');
    return `an HTML page: ${show(words.replace(/\s+/g, ' ').trim(), max)}`;
  }
  const text = typeof value === 'string' ? JSON.stringify(value) : value === undefined ? 'nothing' : JSON.stringify(value);
  const flat = (text ?? String(value)).replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
