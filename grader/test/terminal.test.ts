import { describe, expect, test } from 'vitest';
import { learnerLocation } from '../src/engine.js';
import { appOutput, foldFrames, sanitize } from '../src/reporters/terminal.js';
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

  test('keeps a path spelled with a doubled slash or dot segments as it was sent', () => {
    expect(toCurl({ method: 'GET', path: '//assets/../storefront.css?v=3', headers: {} })).toBe(`curl -i --path-as-is 'http://localhost:3000//assets/../storefront.css?v=3'`);
    expect(toCurl({ method: 'GET', path: '/storefront.css/', headers: {} })).toBe(`curl -i 'http://localhost:3000/storefront.css/'`);
  });

  test("points at the learner's file and line from a stack trace, never at node_modules", () => {
    const output = '    at x (/tmp/t/01-x/node_modules/router/index.js:3:1)\n    at y (/tmp/t/01-x/src/app.ts:48:15)';
    expect(learnerLocation(output, '/tmp/t/01-x')).toBe('/tmp/t/01-x/src/app.ts:48');
    expect(learnerLocation('no stack here', '/tmp/t/01-x')).toBeUndefined();
  });

  test('points at a file the lesson lets the learner edit before one it says to leave alone', () => {
    const output = '    at salesReport (/tmp/t/01-x/src/catalog.ts:27:23)\n    at async /tmp/t/01-x/src/app.ts:54:14';
    expect(learnerLocation(output, '/tmp/t/01-x', ['src/app.ts'])).toBe('/tmp/t/01-x/src/app.ts:54');
    expect(learnerLocation(output, '/tmp/t/01-x', ['src/server.ts'])).toBe('/tmp/t/01-x/src/catalog.ts:27');
  });

  test("folds the frames inside packages and Node's internals, naming the packages, and keeps the learner's", () => {
    const stack = [
      'TypeError: boom',
      '    at JSON.parse (<anonymous>)',
      '    at /app/src/app.ts:41:19',
      '    at Layer.handleRequest (/app/node_modules/router/lib/layer.js:169:33)',
      '    at jsonParser (/app/node_modules/body-parser/lib/types/json.js:60:5)',
      '    at next (/app/node_modules/router/lib/route.js:163:13)',
      '    at async handler (/app/src/routes.ts:9:3)',
      '    at listOnTimeout (node:internal/timers:581:17)',
      '    at file:///app/node_modules/@scope/pkg/index.js:1:2',
    ];
    expect(foldFrames(stack)).toEqual([
      'TypeError: boom',
      '    at JSON.parse (<anonymous>)',
      '    at /app/src/app.ts:41:19',
      '    … 3 frames in router, body-parser',
      '    at async handler (/app/src/routes.ts:9:3)',
      '    … 2 frames in node, @scope/pkg',
    ]);
    const json = JSON.stringify({ level: 'error', stack: stack.slice(0, 6).join('\n') });
    expect(appOutput(json)[0]).toContain('app.ts:41:19\\n    … 3 frames in router, body-parser"}');
    expect(appOutput(stack.join('\n'), true)).toHaveLength(stack.length);
  });
});
