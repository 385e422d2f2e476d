import type { Config } from '@docusaurus/types';
import type * as Preset from '@docusaurus/preset-classic';
import type { PluginOptions as DocsOptions } from '@docusaurus/plugin-content-docs';
import { lessonsDir } from './plugins/course/data.mjs';
import remarkGraderChecks from './plugins/course/remark-grader-checks.mjs';
import remarkHighlightCode from './plugins/course/remark-highlight-code.mjs';
import { darkCode, lightCode } from './src/prism-themes';

/**
 * The lessons in sidebar_position order, as Docusaurus lists them; those whose front matter names a part
 * of the course after the first (`sidebar_custom_props: { part: Shipping it }`, the registry's `part`)
 * are grouped under it, after the lessons of the first part, which stay at the top level.
 */
const groupLessonsByPart: DocsOptions['sidebarItemsGenerator'] = async ({ defaultSidebarItemsGenerator, ...args }) => {
  const items = await defaultSidebarItemsGenerator(args);
  const partOf = (item: (typeof items)[number]) => {
    if (item.type !== 'doc') return undefined;
    const props = args.docs.find((doc) => doc.id === item.id)?.frontMatter.sidebar_custom_props as { part?: unknown } | undefined;
    return typeof props?.part === 'string' ? props.part : undefined;
  };
  const parts = new Map<string, typeof items>();
  const first: typeof items = [];
  for (const item of items) {
    const part = partOf(item);
    if (part === undefined) first.push(item);
    else parts.set(part, [...(parts.get(part) ?? []), item]);
  }
  return [...first, ...[...parts].map(([label, lessons]) => ({ type: 'category' as const, label, collapsible: true, collapsed: false, items: lessons }))];
};

// Prism grammars beyond prism-react-renderer's own, for highlighting code when the site is built.
const prismLanguages = ['bash', 'json'];
const highlightCode = [remarkHighlightCode, { additionalLanguages: prismLanguages }];

const config: Config = {
  title: 'Production-Ready Express',
  tagline: 'Fix flawed Express apps until they survive production, then ship them. A grader proves every fix by behaviour.',
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
          beforeDefaultRemarkPlugins: [remarkGraderChecks, highlightCode],
          sidebarItemsGenerator: groupLessonsByPart,
          showLastUpdateTime: false,
        },
        blog: false,
        pages: { beforeDefaultRemarkPlugins: [highlightCode] },
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
    prism: { theme: lightCode, darkTheme: darkCode, additionalLanguages: prismLanguages },
  } satisfies Preset.ThemeConfig,
};

export default config;
