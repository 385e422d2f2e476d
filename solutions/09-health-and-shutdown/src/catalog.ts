// The bookshop's data: a small catalogue, and a sales report that takes a couple of seconds to build
// (it reads a year of orders from the reporting database).
import { setTimeout as sleep } from 'node:timers/promises';

export interface Book {
  id: number;
  title: string;
  author: string;
  price: number;
}

export const books: readonly Book[] = [
  { id: 1, title: 'The Silent Harbour', author: 'Ada Lindqvist', price: 18.5 },
  { id: 2, title: 'A Garden of Protocols', author: 'Tomas Okafor', price: 24 },
  { id: 3, title: 'The Last Lighthouse', author: 'Ingrid Moreau', price: 15.9 },
  { id: 4, title: 'Northern Compiler', author: 'Kofi Tanaka', price: 31 },
];

/** How long the sales report takes to build. */
export const REPORT_MS = 2000;

export async function salesReport(): Promise<{ year: number; booksSold: number; revenue: number }> {
  await sleep(REPORT_MS);
  return { year: 2026, booksSold: 1843, revenue: 37_212.4 };
}
