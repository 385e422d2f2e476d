import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

// One demo account: reader@example.com / correct horse battery staple. Passwords are stored as scrypt
// hashes (`salt:hash`, both hex), never in clear, and hashed once when they are set, not at every start.
const accounts = new Map([['reader@example.com', 'ed0ef73ad8bb77d1:a78a31bd0fe8883fd9f1a7b35c8361968d2c50251b6aafb570bf6208a65ce14a']]);
const sessions = new Map<string, string>();

/** Returns a bearer token for the account, or undefined when the email or password is wrong. */
export function signIn(email: unknown, password: unknown): string | undefined {
  if (typeof email !== 'string' || typeof password !== 'string') return undefined;
  const stored = accounts.get(email);
  if (!stored) return undefined;
  const [salt, hash] = stored.split(':') as [string, string];
  if (!timingSafeEqual(Buffer.from(hash, 'hex'), scryptSync(password, salt, 32))) return undefined;
  const token = randomBytes(24).toString('base64url');
  sessions.set(token, email);
  return token;
}

/** The email of the account an `Authorization: Bearer <token>` header belongs to. */
export function accountFor(authorization: string | undefined): string | undefined {
  const token = authorization?.match(/^Bearer (\S+)$/)?.[1];
  return token ? sessions.get(token) : undefined;
}
