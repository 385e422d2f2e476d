// The bookshop's catalogue, read by the public API.

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
];

export function findBook(id: number): Book | undefined {
  return books.find((book) => book.id === id);
}
