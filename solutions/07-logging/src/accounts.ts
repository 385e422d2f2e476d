import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

// One demo account. Passwords are stored as scrypt hashes, never in clear.
const salt = randomBytes(16);
const accounts = new Map([['reader@example.com', scryptSync('correct horse battery staple', salt, 32)]]);
const sessions = new Map<string, string>();

/** Returns a bearer token for the account, or undefined when the email or password is wrong. */
export function signIn(email: unknown, password: unknown): string | undefined {
  if (typeof email !== 'string' || typeof password !== 'string') return undefined;
  const hash = accounts.get(email);
  if (!hash || !timingSafeEqual(hash, scryptSync(password, salt, 32))) return undefined;
  const token = randomBytes(24).toString('base64url');
  sessions.set(token, email);
  return token;
}

/** The email of the account an `Authorization: Bearer <token>` header belongs to. */
export function accountFor(authorization: string | undefined): string | undefined {
  const token = authorization?.match(/^Bearer (\S+)$/)?.[1];
  return token ? sessions.get(token) : undefined;
}
