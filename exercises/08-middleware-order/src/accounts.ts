import { scryptSync, timingSafeEqual } from 'node:crypto';

// One demo account: reader@example.com / correct horse battery staple, stored as a scrypt hash
// (`salt:hash`, both hex), never in clear.
const accounts = new Map([['reader@example.com', 'ed0ef73ad8bb77d1:a78a31bd0fe8883fd9f1a7b35c8361968d2c50251b6aafb570bf6208a65ce14a']]);

/** The account's email when the password is right, else undefined. */
export function authenticate(email: unknown, password: unknown): string | undefined {
  if (typeof email !== 'string' || typeof password !== 'string') return undefined;
  const stored = accounts.get(email);
  if (!stored) return undefined;
  const [salt, hash] = stored.split(':') as [string, string];
  return timingSafeEqual(Buffer.from(hash, 'hex'), scryptSync(password, salt, 32)) ? email : undefined;
}
