// The bookshop's catalogue and the services it talks to.

export interface Book {
  id: number;
  title: string;
  author: string;
  price: number;
}

export const books: readonly Book[] = [
  { id: 1, title: 'The Pragmatic Programmer', author: 'Hunt & Thomas', price: 42 },
  { id: 2, title: 'Designing Data-Intensive Applications', author: 'Kleppmann', price: 48 },
  { id: 3, title: 'Release It!', author: 'Nygard', price: 39 },
  { id: 4, title: 'Dune', author: 'Herbert', price: 12 },
  { id: 5, title: 'Children of Dune', author: 'Herbert', price: 11 },
];

export function findBook(id: number): Book | undefined {
  return books.find((book) => book.id === id);
}

export function searchBooks(term: string): Book[] {
  const needle = term.trim().toLowerCase();
  if (!needle) return [];
  return books.filter((book) => `${book.title} ${book.author}`.toLowerCase().includes(needle));
}

/** Gift cards printed for the shop's opening; balances in euros. */
const giftCards = new Map([
  ['WELCOME-2024', 25],
  ['BOOKWORM-50', 50],
]);

export function giftCardBalance(code: string): number | undefined {
  return giftCards.get(code.toUpperCase());
}

/** The recommendation service runs on another host and is down today. */
export async function recommendationsFor(bookId: number): Promise<Book[]> {
  await new Promise((resolve) => setTimeout(resolve, 5));
  throw new Error(`recommendations service unavailable for book ${bookId} (connect ECONNREFUSED 10.0.4.2:8080)`);
}
