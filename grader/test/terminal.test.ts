import { describe, expect, test } from 'vitest';
import { learnerLocation } from '../src/engine.js';
import { appOutput, sanitize } from '../src/reporters/terminal.js';
import { toCurl } from '../support/http.js';

describe('terminal output', () => {
  test('strips escape sequences and control characters from what an app printed', () => {
    expect(sanitize('\u001b[31mred\u001b[0m \u001b]0;title\u0007ok\u0008')).toBe('red ok');
  });

  test('labels every app line, so a workflow command cannot start a line', () => {
    const lines = appOutput('::error::fake\nreal line\n');
    expect(lines.every((line) => line.includes('[your app]') && !line.startsWith('::'))).toBe(true);
  });

  test('keeps only the last lines of a flood unless verbose', () => {
    const flood = Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n');
    expect(appOutput(flood).length).toBeLessThan(20);
    expect(appOutput(flood, true)).toHaveLength(100);
  });

  test('writes a curl line that reproduces the request against the dev server', () => {
    const curl = toCurl({ method: 'POST', path: '/books', headers: { 'Content-Type': 'application/json' }, body: `{"title":"it's"}` });
    expect(curl).toBe(`curl -i -X POST -H 'Content-Type: application/json' --data '{"title":"it'\\''s"}' 'http://localhost:3000/books'`);
  });

  test("points at the learner's file and line from a stack trace, never at node_modules", () => {
    const output = '    at x (/tmp/t/01-x/node_modules/router/index.js:3:1)\n    at y (/tmp/t/01-x/src/app.ts:48:15)';
    expect(learnerLocation(output, '/tmp/t/01-x')).toBe('/tmp/t/01-x/src/app.ts:48');
    expect(learnerLocation('no stack here', '/tmp/t/01-x')).toBeUndefined();
  });
});
