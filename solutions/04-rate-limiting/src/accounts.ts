import { scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scryptAsync = promisify(scrypt) as (password: string, salt: string, keylen: number, options: { N: number }) => Promise<Buffer>;

export interface Account {
  email: string;
  name: string;
  /** `salt:hash`, both hex, from scrypt. */
  passwordHash: string;
}

// The demo account from the lesson: demo@bookshop.test / correct-horse-battery-staple
const accounts: readonly Account[] = [
  {
    email: 'demo@bookshop.test',
    name: 'Demo Reader',
    passwordHash: '9f2c4e1ab7d35068:6c8728dfb587b06bf444d80da595833c005ec2d6402df6a0d72e1e2e6a2cd7d4',
  },
];

export function findAccount(email: unknown): Account | undefined {
  return accounts.find((account) => account.email === String(email).toLowerCase());
}

export async function verifyPassword(account: Account, password: unknown): Promise<boolean> {
  const [salt, hash] = account.passwordHash.split(':') as [string, string];
  const given = await scryptAsync(String(password), salt, 32, { N: 4096 });
  return timingSafeEqual(given, Buffer.from(hash, 'hex'));
}

/** Hands a reset link for the account to the mail service, which is not part of this course. */
export async function sendResetLink(account: Account): Promise<void> {}
