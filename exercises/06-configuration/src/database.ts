// A stand-in for a Postgres pool: like pg.Pool, it reads the connection string when it is created
// and only talks to the server on the first query.

export interface Book {
  id: number;
  title: string;
  author: string;
  price: number;
}

const rows: Book[] = [
  { id: 1, title: 'The Pragmatic Programmer', author: 'Hunt & Thomas', price: 42 },
  { id: 2, title: 'Designing Data-Intensive Applications', author: 'Kleppmann', price: 48 },
  { id: 3, title: 'Release It!', author: 'Nygard', price: 39 },
];

export class Database {
  /** host:port, for health reports; never the credentials. */
  readonly host: string;
  readonly name: string;

  constructor(connectionString: string) {
    const url = new URL(connectionString);
    this.host = url.host;
    this.name = url.pathname.slice(1);
  }

  async books(): Promise<Book[]> {
    return rows;
  }
}
