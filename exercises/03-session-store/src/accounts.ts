// The bookshop's customers and catalogue. One demo account is enough: this lesson is about where
// a login lives after the password check, not about storing passwords.

export interface Account {
  username: string;
  name: string;
}

const demo = { username: 'reader', password: 'open-sesame', name: 'Ada Reader' };

/** The account for these credentials, or undefined. */
export function authenticate(username: unknown, password: unknown): Account | undefined {
  if (username !== demo.username || password !== demo.password) return undefined;
  return { username: demo.username, name: demo.name };
}

export const books = [
  { id: 1, title: 'The Pragmatic Programmer', author: 'Hunt & Thomas', price: 42 },
  { id: 2, title: 'Designing Data-Intensive Applications', author: 'Kleppmann', price: 48 },
  { id: 3, title: 'Release It!', author: 'Nygard', price: 39 },
];
