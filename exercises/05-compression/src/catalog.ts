// The bookshop's catalogue: about a thousand books, as the storefront and the partner feed read it.
// Generated from fixed word lists with a seeded generator, so every run serves exactly the same bytes.

export interface Book {
  id: number;
  isbn: string;
  title: string;
  author: string;
  genre: string;
  year: number;
  pages: number;
  price: number;
  currency: 'EUR';
  rating: number;
  inStock: boolean;
  summary: string;
}

export interface Author {
  name: string;
  books: number[];
  genres: string[];
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

const random = seeded(20_240_501);
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
const between = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));

const adjectives = ['Silent', 'Burning', 'Hidden', 'Last', 'Crimson', 'Distant', 'Broken', 'Golden', 'Quiet', 'Northern', 'Forgotten', 'Electric', 'Salt', 'Glass', 'Winter', 'Paper'];
const nouns = ['Harbour', 'Garden', 'Protocol', 'Orchard', 'Cartographer', 'Lighthouse', 'Archive', 'Engine', 'River', 'Kingdom', 'Compiler', 'Tide', 'Observatory', 'Bridge', 'Letter', 'Machine'];
const firstNames = ['Ada', 'Tomas', 'Ingrid', 'Kofi', 'Mei', 'Rafael', 'Nadia', 'Olu', 'Sofia', 'Henrik', 'Yuki', 'Priya', 'Lucas', 'Amara', 'Jonas', 'Leila'];
const lastNames = ['Lindqvist', 'Okafor', 'Moreau', 'Tanaka', 'Silva', 'Novak', 'Haddad', 'Brennan', 'Kowalski', 'Mensah', 'Costa', 'Varga'];
const genres = ['Fiction', 'Mystery', 'Science Fiction', 'History', 'Programming', 'Travel', 'Poetry', 'Biography', 'Cooking', 'Philosophy'];
const openings = ['A retired engineer', 'A young archivist', 'The night-shift nurse', 'An exiled mapmaker', 'A stubborn detective', 'A widowed baker', 'The last ferry captain', 'A self-taught programmer'];
const plots = [
  'uncovers a secret that the whole town has kept for forty years',
  'sets out to finish a journey that their grandmother abandoned',
  'must rebuild a failing system before the winter storms arrive',
  'finds a coded letter tucked inside a second-hand book',
  'is hired to find a painting that was never supposed to exist',
  'discovers that the quiet neighbour knows far more than he admits',
];
const closings = ['A warm, funny and unexpectedly moving story.', 'Tense, clever and impossible to put down.', 'A thoughtful book about memory and belonging.', 'Told with precision and a great deal of heart.'];

export const books: Book[] = Array.from({ length: 1000 }, (_, index) => ({
  id: index + 1,
  isbn: `978-${between(0, 1)}-${between(1000, 9999)}-${between(1000, 9999)}-${between(0, 9)}`,
  title: `The ${pick(adjectives)} ${pick(nouns)}`,
  author: `${pick(firstNames)} ${pick(lastNames)}`,
  genre: pick(genres),
  year: between(1950, 2024),
  pages: between(120, 880),
  price: between(699, 4999) / 100,
  currency: 'EUR',
  rating: between(25, 50) / 10,
  inStock: random() > 0.2,
  summary: `${pick(openings)} ${pick(plots)}. ${pick(closings)}`,
}));

export function findBook(id: number): Book | undefined {
  return books.find((book) => book.id === id);
}

export const authors: Author[] = [...new Set(books.map((book) => book.author))].sort().map((name) => {
  const written = books.filter((book) => book.author === name);
  return { name, books: written.map((book) => book.id), genres: [...new Set(written.map((book) => book.genre))].sort() };
});
