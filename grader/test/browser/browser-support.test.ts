// support/browser.ts: the Chromium that lesson 02's checks drive answers every request for another
// host itself (a marker script for scripts, a refusal for anything else), so nothing reaches the
// network; a browser that was closed is started again. Debian's Chromium; never a silent skip.
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { closeBrowser, openPage } from '../../support/browser.js';

const PAGE = `<!doctype html>
<script src="https://cdn.jsdelivr.net/npm/some-package@1.0.0/x.js"></script>
<script>
  self.fetched = fetch('https://example.com/data.json').then(() => 'answered', () => 'refused');
</script>
<img src="https://example.com/picture.png">
<p id="own">not yet</p>
<script src="/own.js"></script>`;

let server: Server;
let base: string;

beforeAll(async () => {
  server = http.createServer((request, response) => {
    if (request.url === '/own.js') {
      response.setHeader('content-type', 'text/javascript');
      return response.end(`document.getElementById('own').textContent = 'ran'`);
    }
    response.setHeader('content-type', 'text/html');
    response.end(PAGE);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await closeBrowser();
  server?.close();
});

test('a script from another host is answered by the grader, anything else from there is refused, the page’s own script runs', async () => {
  const tab = await openPage();
  try {
    const loaded = await tab.goto(`${base}/`);
    expect(loaded).toMatchObject({ status: 200 });
    expect(await tab.ranFrom()).toEqual(['https://cdn.jsdelivr.net/npm/some-package@1.0.0/x.js']);
    expect(await tab.evaluate('self.fetched')).toBe('refused');
    expect(await tab.textContent('#own')).toBe('ran');
    const messages = await tab.messages();
    expect(messages.some((message) => message.startsWith('Failed to load https://example.com/picture.png'))).toBe(true);
  } finally {
    await tab.close();
  }
}, 60_000);

test('a closed browser is started again by the next page', async () => {
  await closeBrowser();
  const tab = await openPage();
  try {
    expect(await tab.goto(`${base}/own.js`)).toMatchObject({ status: 200 });
  } finally {
    await tab.close();
  }
}, 60_000);
