// The course plugin: puts the lesson registry and the learner's progress into the site's global data,
// and, under `docusaurus start`, serves the progress file live so open pages follow the grader.
import { fileURLToPath } from 'node:url';
import { currentLessonId, loadRegistry, readProgress, registryDir, rosterModule, slimProgress } from './data.mjs';

export const PROGRESS_ROUTE = '/__course/progress.json';
const noPrism = fileURLToPath(new URL('./no-prism.mjs', import.meta.url));

export default function coursePlugin(context) {
  const live = process.env.NODE_ENV !== 'production';
  return {
    name: 'course',

    async loadContent() {
      const lessons = await loadRegistry();
      const progress = readProgress();
      return {
        lessons,
        progress: slimProgress(progress),
        currentLesson: currentLessonId(lessons, progress) ?? null,
        live,
        progressUrl: `${context.baseUrl.replace(/\/$/, '')}${PROGRESS_ROUTE}`,
        builtAt: new Date().toISOString(),
      };
    },

    async contentLoaded({ content, actions }) {
      actions.setGlobalData(content);
    },

    // Registry edits change the tables; progress is not watched (it is polled, see below).
    getPathsToWatch() {
      return [`${registryDir}/*.ts`];
    },

    configureWebpack(config, isServer, { currentBundler }) {
      return {
        plugins: [
          // The classic theme's client module that loads Prism (and all the grammars prism-react-renderer bundles) into every page's
          // main bundle, to highlight code in the browser. Code is highlighted when the site is built
          // (remark-highlight-code.mjs), so the browser needs no Prism.
          new currentBundler.instance.NormalModuleReplacementPlugin(/@docusaurus[\\/]theme-classic[\\/]lib[\\/]prism-include-languages(\.js)?$/, noPrism),
        ],
        resolve: { alias: { '@course/roster': rosterModule } },
        devServer: {
          // Docusaurus merges this with its own setupMiddlewares by calling both and joining their
          // results, so add to the shared array and return nothing new.
          setupMiddlewares(middlewares) {
            middlewares.unshift({ name: 'course-progress', path: `${context.baseUrl.replace(/\/$/, '')}${PROGRESS_ROUTE}`, middleware: serveProgress });
            return [];
          },
        },
      };
    },
  };
}

function serveProgress(req, res) {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  const progress = slimProgress(readProgress());
  if (!progress) {
    res.statusCode = 404;
    res.end('{"error":"No progress yet: nothing has been graded."}');
    return;
  }
  res.end(JSON.stringify(progress));
}
