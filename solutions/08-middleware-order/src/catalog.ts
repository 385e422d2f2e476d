// The bookshop's data: a catalogue of 300 books (generated from fixed word lists, so every run serves
// the same bytes), orders per account, and a reporting database that is down today.

export interface Book {
  id: number;
  title: string;
  author: string;
  year: number;
  price: number;
  summary: string;
}

export interface Order {
  id: number;
  bookId: number;
  quantity: number;
}

/** mulberry32: a tiny deterministic PRNG, good enough for sample data. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = seeded(20_261_206);
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;

const adjectives = ['Silent', 'Burning', 'Hidden', 'Last', 'Crimson', 'Distant', 'Broken', 'Golden', 'Quiet', 'Northern'];
const nouns = ['Harbour', 'Garden', 'Protocol', 'Orchard', 'Lighthouse', 'Archive', 'Engine', 'River', 'Compiler', 'Bridge'];
const names = ['Ada Lindqvist', 'Tomas Okafor', 'Ingrid Moreau', 'Kofi Tanaka', 'Mei Silva', 'Rafael Novak', 'Nadia Haddad'];
const plots = [
  'A retired engineer uncovers a secret that the whole town has kept for forty years.',
  'An exiled mapmaker sets out to finish a journey that her grandmother abandoned.',
  'A self-taught programmer must rebuild a failing system before the winter storms arrive.',
  'A stubborn detective finds a coded letter tucked inside a second-hand book.',
];

export const books: Book[] = Array.from({ length: 300 }, (_, index) => ({
  id: index + 1,
  title: `The ${pick(adjectives)} ${pick(nouns)}`,
  author: pick(names),
  year: 1950 + Math.floor(random() * 75),
  price: Math.round(699 + random() * 4300) / 100,
  summary: pick(plots),
}));

export function findBook(id: number): Book | undefined {
  return books.find((book) => book.id === id);
}

const orders = new Map<string, Order[]>([['reader@example.com', [{ id: 101, bookId: 3, quantity: 1 }]]]);

export function ordersFor(email: string): Order[] {
  return orders.get(email) ?? [];
}

export function placeOrder(email: string, bookId: number, quantity: number): Order {
  const order = { id: 100 + Math.floor(random() * 900), bookId, quantity };
  orders.set(email, [...ordersFor(email), order]);
  return order;
}

/** The reporting database lives on another host and refuses connections. */
export async function salesReport(): Promise<{ total: number }> {
  await new Promise((resolve) => setTimeout(resolve, 5));
  throw new Error('connect ECONNREFUSED 10.0.3.7:5432 (reports database)');
}
