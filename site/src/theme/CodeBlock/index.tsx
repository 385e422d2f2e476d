import React, { isValidElement, type ReactNode } from 'react';
import type { Props } from '@theme/CodeBlock';
import ElementContent from '@theme/CodeBlock/Content/Element';
import StringContent from '@theme/CodeBlock/Content/String';
import { CodeTokensContext, type TokenLine } from '@site/src/code/highlighted';

/**
 * The theme's CodeBlock, without the re-mount it does once the page runs (its Prism colours were
 * inline styles of one colour mode), and with the tokens the build computed for the block
 * (`data-tokens`, set by plugins/course/remark-highlight-code.mjs).
 */
export default function CodeBlock({ children, 'data-tokens': tokens, ...props }: Props & { 'data-tokens'?: string }): ReactNode {
  const code = React.Children.toArray(children).some((child) => isValidElement(child)) ? undefined : Array.isArray(children) ? children.join('') : children;
  if (typeof code !== 'string') return <ElementContent {...props}>{children}</ElementContent>;
  return (
    <CodeTokensContext.Provider value={tokens ? (JSON.parse(tokens) as TokenLine[]) : undefined}>
      <StringContent {...props}>{code}</StringContent>
    </CodeTokensContext.Provider>
  );
}
