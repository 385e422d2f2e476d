// The bookshop's data layer. Three kinds of failure happen here in real life: corrupt data
// (a synchronous throw), a database that is down (a rejected promise) and a legacy client that
// reports errors through a Node-style callback.

export interface Book {
  id: number;
  title: string;
  author: string;
  price: number;
  /** JSON written by the old admin tool; one record is corrupt. */
  coverMeta: string;
}

export const books: Book[] = [
  { id: 1, title: 'The Pragmatic Programmer', author: 'Hunt & Thomas', price: 42, coverMeta: '{"color":"teal"}' },
  { id: 2, title: 'Designing Data-Intensive Applications', author: 'Kleppmann', price: 48, coverMeta: '{"color":' },
  { id: 3, title: 'Release It!', author: 'Nygard', price: 39, coverMeta: '{"color":"black"}' },
];

export function findBook(id: number): Book | undefined {
  return books.find((book) => book.id === id);
}

/** The reporting database lives on another host and is down today. */
export async function salesReport(): Promise<{ total: number }> {
  await new Promise((resolve) => setTimeout(resolve, 5));
  throw Object.assign(new Error('connect ECONNREFUSED 10.0.3.7:5432'), { code: 'ECONNREFUSED', address: '10.0.3.7', port: 5432 });
}

/** A callback-style client for the warehouse; warehouse B is offline. */
export function stockLevel(book: Book, callback: (err: Error | null, count?: number) => void): void {
  setTimeout(() => {
    if (book.id === 3) callback(new Error(`Warehouse B timed out looking up book ${book.id}`));
    else callback(null, 7);
  }, 5);
}

export interface Shop {
  name: string;
  currency: string;
}

export const shops = new Map<string, Shop>([
  ['main', { name: 'Main street', currency: 'eur' }],
  ['airport', { name: 'Airport', currency: 'usd' }],
]);
