// The bookshop's data: books, orders, and a reporting database that is down today.

export interface Book {
  id: number;
  title: string;
  author: string;
  price: number;
}

export interface Order {
  id: number;
  bookId: number;
  quantity: number;
}

export const books: Book[] = [
  { id: 1, title: 'The Pragmatic Programmer', author: 'Hunt & Thomas', price: 42 },
  { id: 2, title: 'Designing Data-Intensive Applications', author: 'Kleppmann', price: 48 },
  { id: 3, title: 'Release It!', author: 'Nygard', price: 39 },
];

const orders = new Map<string, Order[]>([['reader@example.com', [{ id: 101, bookId: 3, quantity: 1 }]]]);

export function findBook(id: number): Book | undefined {
  return books.find((book) => book.id === id);
}

export function ordersFor(email: string): Order[] {
  return orders.get(email) ?? [];
}

/** The reporting database lives on another host and refuses connections. */
export async function salesReport(): Promise<{ total: number }> {
  await new Promise((resolve) => setTimeout(resolve, 5));
  throw new Error('connect ECONNREFUSED 10.0.3.7:5432 (reports database)');
}
