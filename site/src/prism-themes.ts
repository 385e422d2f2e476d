import { themes, type PrismTheme } from 'prism-react-renderer';

// prism-react-renderer's GitHub and VS Dark themes with the token colours that fall below 4.5:1
// contrast on their backgrounds darkened (light) or lightened (dark).
const recolour = (theme: PrismTheme, colours: Record<string, string>): PrismTheme => ({
  ...theme,
  styles: theme.styles.map((style) => ({
    ...style,
    style: { ...style.style, ...(style.style.color && colours[style.style.color] ? { color: colours[style.style.color] } : {}) },
  })),
});

export const lightCode = recolour(themes.github, {
  '#999988': '#5f6770',
  '#e3116c': '#a31155',
  '#36acaa': '#1a6f6c',
  '#00a4db': '#0061a6',
  '#d73a49': '#b31d28',
});

export const darkCode = recolour(themes.vsDark, {
  'rgb(0, 0, 128)': 'rgb(130, 150, 255)',
  'rgb(100, 102, 149)': 'rgb(160, 165, 215)',
  '#808080': '#a6a6a6',
});
