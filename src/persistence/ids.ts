import { randomBytes } from 'crypto';

let lastMs = 0;
let sequence = 0;

/**
 * A new UUID, version 7 (RFC 9562): 48 bits of Unix milliseconds, then a 12-bit counter and
 * random bits. Ids made later sort later, so the B-tree indexes of SQLite and PostgreSQL grow at
 * their right edge instead of at random places: bulk inserts stay fast as tables grow.
 */
export function newId(): string {
  let ms = Date.now();
  if (ms <= lastMs) {
    ms = lastMs;
    sequence = (sequence + 1) & 0xfff;
    if (sequence === 0) ms = ++lastMs; // 4,096 ids in one millisecond: borrow the next one
  } else sequence = randomBytes(2).readUInt16BE(0) & 0x7ff;
  lastMs = ms;
  const random = randomBytes(8);
  const hex = ms.toString(16).padStart(12, '0');
  const seq = (0x7000 | sequence).toString(16);
  const variant = ((random[0] & 0x3f) | 0x80).toString(16).padStart(2, '0') + random.toString('hex', 1, 2);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${seq}-${variant}-${random.toString('hex', 2, 8)}`;
}
