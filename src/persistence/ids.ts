import { randomFillSync } from 'crypto';

let lastMs = 0;
let sequence = 0;

/**
 * Random bytes come from a pool refilled 4 KiB at a time: one call into the operating system's
 * generator per 512 ids instead of one per id (a bulk save of 10,000 personas makes 280,000).
 */
const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let poolOffset = POOL_SIZE;

/** The offset in `pool` of `n` fresh random bytes. */
function takeRandom(n: number): number {
  if (poolOffset + n > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const at = poolOffset;
  poolOffset += n;
  return at;
}

/**
 * A new UUID, version 7 (RFC 9562): 48 bits of Unix milliseconds, then a 12-bit counter and
 * random bits. Ids made later in this process sort later, so the B-tree indexes of SQLite and
 * PostgreSQL grow at their right edge instead of at random places: bulk inserts stay fast as
 * tables grow.
 */
export function newId(): string {
  let ms = Date.now();
  if (ms <= lastMs) {
    ms = lastMs;
    sequence = (sequence + 1) & 0xfff;
    if (sequence === 0) ms = ++lastMs; // 4,096 ids in one millisecond: borrow the next one
  } else {
    const at = takeRandom(2);
    sequence = pool.readUInt16BE(at) & 0x7ff; // start low in the counter's range, leaving room to count up
  }
  lastMs = ms;
  const at = takeRandom(8);
  const hex = ms.toString(16).padStart(12, '0');
  const seq = (0x7000 | sequence).toString(16);
  const variant = ((pool[at] & 0x3f) | 0x80).toString(16) + pool.toString('hex', at + 1, at + 2);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${seq}-${variant}-${pool.toString('hex', at + 2, at + 8)}`;
}
