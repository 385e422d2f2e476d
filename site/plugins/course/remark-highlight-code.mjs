// Highlights fenced code at build time: each code block carries its Prism tokens (a `data-tokens`
// attribute on its <code>), so the browser renders coloured spans without shipping, initialising or
// running Prism (src/theme/CodeBlock/Content reads them). Lesson pages are text: their code is known
// when the site is built.
import { createRequire } from 'node:module';
import { Prism, normalizeTokens } from 'prism-react-renderer';

const require = createRequire(import.meta.url);
const loaded = new Set();

/** Adds prismjs components (the site's prism.additionalLanguages) to prism-react-renderer's Prism. */
function loadLanguages(languages) {
  const before = globalThis.Prism;
  globalThis.Prism = Prism;
  try {
    for (const language of languages) {
      if (loaded.has(language)) continue;
      require(`prismjs/components/prism-${language}`);
      loaded.add(language);
    }
  } finally {
    if (before === undefined) delete globalThis.Prism;
    else globalThis.Prism = before;
  }
}

/** Lines of [content, types] (a third element 1 marks an empty line), as prism-react-renderer's <Highlight> makes them. */
export function highlight(code, language) {
  const grammar = Prism.languages[language];
  if (!grammar) return undefined;
  const lines = normalizeTokens(Prism.tokenize(code, grammar));
  return lines.map((line) => line.map((token) => (token.empty ? [token.content, token.types.join(' '), 1] : [token.content, token.types.join(' ')])));
}

export default function remarkHighlightCode({ additionalLanguages = [] } = {}) {
  loadLanguages(additionalLanguages);
  const walk = (node) => {
    if (node.type === 'code' && node.lang) {
      const lines = highlight(node.value, node.lang.toLowerCase());
      if (lines) {
        node.data ??= {};
        node.data.hProperties = { ...node.data.hProperties, 'data-tokens': JSON.stringify(lines) };
      }
    }
    for (const child of node.children ?? []) walk(child);
  };
  return walk;
}
