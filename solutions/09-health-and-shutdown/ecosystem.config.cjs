// PM2's description of the bookshop: `npx pm2 start ecosystem.config.cjs`.
module.exports = {
  apps: [
    {
      name: 'bookshop',
      script: 'src/server.ts',
      // TypeScript run as is, as `npm run dev` does: Node with tsx's loader.
      interpreter: 'node',
      node_args: ['--import', 'tsx'],
      // Two workers behind one port: a reload replaces them one at a time.
      exec_mode: 'cluster',
      instances: 2,
      // A new worker takes traffic from the old one only once it has sent process.send('ready')...
      wait_ready: true,
      // ...within this long (after it, PM2 goes on as if it had).
      listen_timeout: 10_000,
      // SIGINT, then SIGKILL after this long: above the app's own 10 s shutdown deadline.
      kill_timeout: 12_000,
    },
  ],
};
