// Server-rendered pages of the shop front. Scripts and styles live in public/.
import type { Book } from './catalog.js';

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>${title} · Bookshop</title>
  <link rel="stylesheet" href="/static/app.css">
  <script src="/static/search.js" defer></script>
</head>
<body>
  <header><a href="/">Bookshop</a>
    <form action="/search" method="get"><input name="q" placeholder="Title or author"> <button>Search</button></form>
  </header>
  <main>
${body}
  </main>
</body>
</html>
`;
}

export function homePage(): string {
  return layout('Home', `    <h1>Welcome to the Bookshop</h1>
    <p>Search the catalogue above, or try <a href="/search?q=dune">Dune</a>.</p>`);
}

export function searchPage(term: string, results: Book[]): string {
  const items = results.map((book) => `      <li data-price="${book.price}">${book.title} <span class="author">by ${book.author}</span></li>`);
  return layout('Search', `    <h1>Results for “${term}”</h1>
    <p id="result-count">Searching…</p>
    <ul id="results">
${items.join('\n')}
    </ul>`);
}
