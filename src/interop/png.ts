/** Reading and writing the text chunks of PNG images (character cards carry their JSON there). */

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** True when the bytes start with the PNG signature. */
export function isPng(bytes: Buffer): boolean {
  return bytes.length >= 8 && bytes.subarray(0, 8).equals(SIGNATURE);
}

type Chunk = { type: string; data: Buffer };

function chunks(png: Buffer): Chunk[] {
  if (!isPng(png)) throw new Error('not a PNG image');
  const out: Chunk[] = [];
  let at = 8;
  while (at + 12 <= png.length) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    if (at + 12 + length > png.length) throw new Error(`PNG chunk ${type} runs past the end of the file`);
    out.push({ type, data: png.subarray(at + 8, at + 8 + length) });
    at += 12 + length;
    if (type === 'IEND') break;
  }
  if (!out.length || out[out.length - 1].type !== 'IEND') throw new Error('PNG has no IEND chunk');
  return out;
}

/** The `tEXt` chunks of a PNG, keyword → text (latin1, as the PNG specification says). */
export function readTextChunks(png: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of chunks(png)) {
    if (c.type !== 'tEXt') continue;
    const zero = c.data.indexOf(0);
    if (zero < 1) continue;
    out.set(c.data.toString('latin1', 0, zero), c.data.toString('latin1', zero + 1));
  }
  return out;
}

/** The keyword of a `tEXt`, `zTXt` or `iTXt` chunk (all three start with it and a zero byte), else undefined. */
function keywordOf(c: Chunk): string | undefined {
  if (c.type !== 'tEXt' && c.type !== 'zTXt' && c.type !== 'iTXt') return undefined;
  const zero = c.data.indexOf(0);
  return zero > 0 ? c.data.toString('latin1', 0, zero) : undefined;
}

/**
 * A copy of `png` whose text chunks named in `texts` are replaced by these (inserted before IEND):
 * every earlier chunk of those keywords goes, `tEXt`, `zTXt` or `iTXt` alike, so none is left stale.
 */
export function writeTextChunks(png: Buffer, texts: Record<string, string>): Buffer {
  const parts: Buffer[] = [SIGNATURE];
  const encode = (type: string, data: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
    return Buffer.concat([head, data, crc]);
  };
  for (const c of chunks(png)) {
    const keyword = keywordOf(c);
    if (keyword !== undefined && Object.prototype.hasOwnProperty.call(texts, keyword)) continue;
    if (c.type === 'IEND') {
      for (const [keyword, text] of Object.entries(texts)) parts.push(encode('tEXt', Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.from([0]), Buffer.from(text, 'latin1')])));
    }
    parts.push(encode(c.type, c.data));
  }
  return Buffer.concat(parts);
}

/** A 1×1 transparent PNG, the base image when none is given. */
export const BLANK_PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000b49444154789c6360000200000500017a5eab3f0000000049454e44ae426082',
  'hex',
);
