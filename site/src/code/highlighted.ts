import { createContext, type CSSProperties } from 'react';
import type { LineInputProps, LineOutputProps, PrismTheme, Token, TokenInputProps, TokenOutputProps } from 'prism-react-renderer';
import clsx from 'clsx';

/**
 * Code blocks are highlighted when the site is built (plugins/course/remark-highlight-code.mjs): a
 * line is a list of [content, space-separated Prism types, 1 when the line is empty]. The browser
 * only turns them into spans, so Prism is never shipped to it, and both colour modes are in the
 * markup (CSS variables, see custom.css): nothing re-renders when the colour mode is known.
 */
export type TokenLine = [content: string, types: string, empty?: 1][];

export const CodeTokensContext = createContext<TokenLine[] | undefined>(undefined);

/** The lines to show: the build's tokens when they are of this code, else the code unhighlighted. */
export function linesOf(tokens: TokenLine[] | undefined, code: string): Token[][] {
  const highlighted = tokens?.map((line) => line.map(([content, types, empty]): Token => ({ content, types: types.split(' '), ...(empty ? { empty: true } : {}) })));
  if (highlighted && highlighted.map((line) => line.map((token) => (token.empty ? '' : token.content)).join('')).join('\n') === code) return highlighted;
  // A block the build did not highlight (no language, or one Prism lacks), as <Highlight> shows it.
  return code.split('\n').map((content) => [content === '' ? { types: ['plain'], content: '\n', empty: true } : { types: ['plain'], content }]);
}

type Style = Record<string, string | number | undefined>;

/** prism-react-renderer's themeToDict: each token type's style in this language. */
function themeDictionary(theme: PrismTheme, language: string): Record<string, Style> {
  const dictionary: Record<string, Style> = {};
  for (const { types, style, languages } of theme.styles) {
    if (languages && !languages.includes(language as never)) continue;
    for (const type of types) dictionary[type] = { ...dictionary[type], ...(style as Style) };
  }
  return dictionary;
}

const VARIABLES = { color: '', fontStyle: '-fs', opacity: '-op' } as const;

export function getLineProps({ className, line: _line, style: _style, ...rest }: LineInputProps): LineOutputProps {
  return { ...rest, className: clsx('token-line', className) };
}

/** getTokenProps for <Line>: each token's style in both colour modes, as --tl*, --td* variables. */
export function tokenPropsGetter(light: PrismTheme, dark: PrismTheme, language: string): (input: TokenInputProps) => TokenOutputProps {
  const modes = [
    ['--tl', themeDictionary(light, language)],
    ['--td', themeDictionary(dark, language)],
  ] as const;
  return ({ token, className, style: _style, ...rest }) => {
    const style: Style = token.empty ? { display: 'inline-block' } : {};
    if (!(token.types.length === 1 && token.types[0] === 'plain')) {
      for (const [prefix, dictionary] of modes) {
        const merged: Style = Object.assign({}, ...token.types.map((type) => dictionary[type]));
        for (const [property, suffix] of Object.entries(VARIABLES)) if (merged[property] !== undefined) style[`${prefix}${suffix}`] = merged[property];
      }
    }
    return {
      ...rest,
      className: clsx('token', ...token.types, className),
      style: Object.keys(style).length > 0 ? (style as CSSProperties) : undefined,
      children: token.content,
    };
  };
}
