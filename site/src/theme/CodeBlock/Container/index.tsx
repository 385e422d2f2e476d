import React, { type ComponentProps, type CSSProperties, type ReactNode } from 'react';
import clsx from 'clsx';
import { ThemeClassNames, useThemeConfig } from '@docusaurus/theme-common';
import styles from './styles.module.css';

/**
 * The theme's CodeBlock/Container with the plain colours of both Prism themes (custom.css picks the
 * colour mode's), where the theme's has the current mode's only and re-renders every block to fix it.
 */
export default function CodeBlockContainer<T extends 'div' | 'pre'>({ as: As, ...props }: { as: T } & ComponentProps<T>): ReactNode {
  const { prism } = useThemeConfig();
  const dark = prism.darkTheme ?? prism.theme;
  const style = {
    '--code-light-color': prism.theme.plain.color,
    '--code-light-background': prism.theme.plain.backgroundColor,
    '--code-dark-color': dark.plain.color,
    '--code-dark-background': dark.plain.backgroundColor,
  } as CSSProperties;
  const Element = As as 'div';
  return <Element {...(props as ComponentProps<'div'>)} style={style} className={clsx(props.className, styles.codeBlockContainer, ThemeClassNames.common.codeBlock)} />;
}
