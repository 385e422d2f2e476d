import type { Book } from './catalog.js';

const escape = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

/** The printable catalogue the shop staff open every morning: one table row per book. */
export function cataloguePage(books: readonly Book[]): string {
  const rows = books
    .map(
      (book) => `      <tr>
        <td class="isbn">${book.isbn}</td>
        <td><a href="/books/${book.id}">${escape(book.title)}</a></td>
        <td>${escape(book.author)}</td>
        <td>${escape(book.genre)}</td>
        <td class="number">${book.year}</td>
        <td class="number">${book.price.toFixed(2)} €</td>
        <td class="${book.inStock ? 'in-stock' : 'sold-out'}">${book.inStock ? 'In stock' : 'Sold out'}</td>
      </tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>Catalogue · The Corner Bookshop</title>
    <link rel="stylesheet" href="/storefront.css">
  </head>
  <body>
    <h1>Catalogue</h1>
    <table class="catalogue">
      <thead>
        <tr><th>ISBN</th><th>Title</th><th>Author</th><th>Genre</th><th>Year</th><th>Price</th><th>Stock</th></tr>
      </thead>
      <tbody>
${rows}
      </tbody>
    </table>
  </body>
</html>
`;
}
