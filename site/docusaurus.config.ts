import type { Config } from '@docusaurus/types';
import type * as Preset from '@docusaurus/preset-classic';
import { lessonsDir } from './plugins/course/data.mjs';
import remarkGraderChecks from './plugins/course/remark-grader-checks.mjs';
import { darkCode, lightCode } from './src/prism-themes';

const config: Config = {
  title: 'Production-Ready Express',
  tagline: 'Fix seven flawed Express apps until they survive production. A grader proves every fix by behaviour.',
  favicon: 'img/favicon.svg',
  // Set these to publish the static build somewhere other than the root of a host.
  url: process.env.COURSE_SITE_URL ?? 'http://localhost:3000',
  baseUrl: process.env.COURSE_SITE_BASE_URL ?? '/',
  trailingSlash: false,
  onBrokenLinks: 'throw',
  markdown: {
    // Lessons are plain CommonMark (.md) so that GitHub renders them too; .mdx would be MDX.
    format: 'detect',
    // Keep HTML comments in the tree as CommonMark has them, so the lessons' grader-checks markers
    // reach plugins/course/remark-grader-checks.mjs (the MDX 1 shim would drop them while parsing).
    mdx1Compat: { comments: false, admonitions: true, headingIds: true },
    hooks: { onBrokenMarkdownLinks: 'warn' },
  },
  future: { faster: true, v4: { removeLegacyPostBuildHeadAttribute: true } },
  i18n: { defaultLocale: 'en', locales: ['en'] },
  presets: [
    [
      'classic',
      {
        docs: {
          path: lessonsDir,
          routeBasePath: 'lessons',
          sidebarPath: './sidebars.ts',
          // Keep `01-error-handling` as the doc id and URL: it is the lesson's id in the registry.
          numberPrefixParser: false,
          include: ['[0-9][0-9]-*.md', '[0-9][0-9]-*.mdx'],
          beforeDefaultRemarkPlugins: [remarkGraderChecks],
          showLastUpdateTime: false,
        },
        blog: false,
        theme: { customCss: './src/css/custom.css' },
      } satisfies Preset.Options,
    ],
  ],
  plugins: ['./plugins/course/index.mjs'],
  themeConfig: {
    colorMode: { respectPrefersColorScheme: true },
    docs: { sidebar: { hideable: true } },
    navbar: {
      title: 'Production-Ready Express',
      logo: { alt: '', src: 'img/favicon.svg', width: 28, height: 28 },
      items: [
        { type: 'docSidebar', sidebarId: 'lessons', position: 'left', label: 'Lessons' },
        { to: '/progress', label: 'Progress', position: 'left' },
        { to: '/roster', label: 'Roster', position: 'right' },
      ],
    },
    footer: {
      style: 'dark',
      links: [
        {
          title: 'Course',
          items: [
            { label: 'Home', to: '/' },
            { label: 'Your progress', to: '/progress' },
          ],
        },
        {
          title: 'Instructors',
          items: [
            { label: 'Running the course', to: '/instructors' },
            { label: 'Roster of results files', to: '/roster' },
          ],
        },
      ],
      copyright: 'Production-Ready Express. Progress comes from the grader: run npm start.',
    },
    prism: { theme: lightCode, darkTheme: darkCode, additionalLanguages: ['bash', 'json'] },
  } satisfies Preset.ThemeConfig,
};

export default config;
