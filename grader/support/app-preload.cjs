// Preloaded (NODE_OPTIONS="--require <this file>") into an app process whose checks must change or see
// what HTTP cannot reach. Each part acts only when its variable is set, so one file serves every lesson:
//   COURSE_HOSTNAME     os.hostname() answers this name, as on a machine (or in a container) of its own:
//                       processes on one machine share the kernel's host name, and HOSTNAME alone is only
//                       read by apps that look at the environment.
//   COURSE_LISTEN_FILE  each server appends "<port>\n" to this file as it starts listening, before its
//                       own 'listening' callbacks run: a process that listened and exited at once is seen
//                       to have listened, however short the moment.
//   COURSE_PLATFORM     process.platform, os.platform() and os.type() answer this platform (darwin,
//                       win32), as on a developer's laptop: for defaults an app gives only there. Node's
//                       own modules read the real platform when they load, before this file runs.
'use strict';
const hostName = process.env.COURSE_HOSTNAME;
if (hostName) {
  const os = require('node:os');
  os.hostname = () => hostName;
  require('node:module').syncBuiltinESMExports(); // `import { hostname } from 'node:os'` too
}
const platform = process.env.COURSE_PLATFORM;
if (platform) {
  const os = require('node:os');
  Object.defineProperty(process, 'platform', { value: platform, enumerable: true, configurable: true });
  os.platform = () => platform;
  const type = { darwin: 'Darwin', win32: 'Windows_NT' }[platform] ?? os.type();
  os.type = () => type;
  require('node:module').syncBuiltinESMExports(); // `import { platform } from 'node:os'` too
}
const listenFile = process.env.COURSE_LISTEN_FILE;
if (listenFile) {
  const net = require('node:net');
  const fs = require('node:fs');
  const listen = net.Server.prototype.listen;
  net.Server.prototype.listen = function (...args) {
    // First among the 'listening' listeners, before any the app added (its listen() callback included).
    this.prependOnceListener('listening', () => {
      const address = this.address();
      fs.appendFileSync(listenFile, `${typeof address === 'object' && address ? address.port : address}\n`);
    });
    return listen.apply(this, args);
  };
}
