// PM2's description of the bookshop: `npx pm2 start ecosystem.config.cjs`.
module.exports = {
  apps: [
    {
      name: 'bookshop',
      script: 'src/server.ts',
      // TypeScript run as is, as `npm run dev` does: Node with tsx's loader.
      interpreter: 'node',
      node_args: ['--import', 'tsx'],
    },
  ],
};
