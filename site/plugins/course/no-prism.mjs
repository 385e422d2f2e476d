// Stands in for @docusaurus/theme-classic/lib/prism-include-languages (see index.mjs): no Prism in the browser.
export {};
