import React, { type ReactNode, useContext, useMemo } from 'react';
import clsx from 'clsx';
import { useThemeConfig } from '@docusaurus/theme-common';
import { useCodeBlockContext } from '@docusaurus/theme-common/internal';
import type { Props } from '@theme/CodeBlock/Content';
import Line from '@theme/CodeBlock/Line';
import { CodeTokensContext, getLineProps, linesOf, tokenPropsGetter } from '@site/src/code/highlighted';
import styles from './styles.module.css';

// The theme's CodeBlock/Content, with lines from the build's tokens instead of Prism's <Highlight>.
export default function CodeBlockContent({ className }: Props): ReactNode {
  const { metadata, wordWrap } = useCodeBlockContext();
  const { prism } = useThemeConfig();
  const tokens = useContext(CodeTokensContext);
  const { code, language, lineNumbersStart, lineClassNames } = metadata;
  const lines = useMemo(() => linesOf(tokens, code), [tokens, code]);
  const getTokenProps = useMemo(() => tokenPropsGetter(prism.theme, prism.darkTheme ?? prism.theme, language.toLowerCase()), [prism, language]);
  return (
    <pre
      ref={wordWrap.codeBlockRef}
      // eslint-disable-next-line jsx-a11y/no-noninteractive-tabindex -- scrollable code is reachable with the keyboard
      tabIndex={0}
      className={clsx(className, `prism-code language-${language.toLowerCase()}`, styles.codeBlock, 'thin-scrollbar')}
    >
      <code
        className={clsx(styles.codeBlockLines, lineNumbersStart !== undefined && styles.codeBlockLinesWithNumbering)}
        style={lineNumbersStart === undefined ? undefined : { counterReset: `line-count ${lineNumbersStart - 1}` }}
      >
        {lines.map((line, index) => (
          <Line
            key={index}
            line={line}
            getLineProps={getLineProps}
            getTokenProps={getTokenProps}
            classNames={lineClassNames[index]}
            showLineNumbers={lineNumbersStart !== undefined}
          />
        ))}
      </code>
    </pre>
  );
}
