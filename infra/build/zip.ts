// A small, deterministic zip writer for Lambda artifacts: same files in, byte-identical zip out.
import { crc32, deflateRawSync } from 'node:zlib';

export interface ZipEntry {
  /** Path inside the zip, with forward slashes, e.g. `index.js`. */
  name: string;
  data: Uint8Array;
}

// No timestamps from the clock: every entry says 1980-01-01 00:00, the earliest date a zip can hold (MS-DOS format).
const DOS_DATE_1980_01_01 = (0 << 9) | (1 << 5) | 1;
const DOS_TIME_MIDNIGHT = 0;
const VERSION_NEEDED = 20; // 2.0: deflate
const MADE_BY_UNIX = (3 << 8) | 20; // host 3 = Unix, so unzip tools read the mode from the external attributes
const REGULAR_FILE_0644 = 0o100644;
const FLAG_UTF8_NAME = 1 << 11;
const METHOD_STORE = 0;
const METHOD_DEFLATE = 8;
const MAX_32 = 0xffffffff;

function checkName(name: string, seen: Set<string>): void {
  const segments = name.split('/');
  if (name === '' || name.startsWith('/') || name.includes('\\') || segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new Error(`zip: entry name "${name}" must be a relative path with forward slashes and no empty, "." or ".." parts`);
  }
  if (seen.has(name)) throw new Error(`zip: entry "${name}" is given twice`);
  seen.add(name);
}

interface SharedFields {
  flags: number;
  method: number;
  crc: number;
  compressed: number;
  size: number;
  nameLength: number;
}

/** The 24 bytes local and central headers share, in the same order: version needed … file name length. */
function writeSharedFields(header: Buffer, at: number, f: SharedFields): void {
  header.writeUInt16LE(VERSION_NEEDED, at);
  header.writeUInt16LE(f.flags, at + 2);
  header.writeUInt16LE(f.method, at + 4);
  header.writeUInt16LE(DOS_TIME_MIDNIGHT, at + 6);
  header.writeUInt16LE(DOS_DATE_1980_01_01, at + 8);
  header.writeUInt32LE(f.crc, at + 10);
  header.writeUInt32LE(f.compressed, at + 14);
  header.writeUInt32LE(f.size, at + 18);
  header.writeUInt16LE(f.nameLength, at + 22);
}

/**
 * A zip of regular files (mode 0644), deflated at level 9 (stored when that is not smaller), without zip64:
 * every file and the whole archive must stay under 4 GiB, which Lambda's 250 MB limit guarantees for our use.
 */
export function writeZip(entries: readonly ZipEntry[]): Buffer {
  if (entries.length > 0xffff) throw new Error(`zip: ${entries.length} entries, at most 65535 without zip64`);
  const seen = new Set<string>();
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;

  for (const entry of entries) {
    checkName(entry.name, seen);
    const name = Buffer.from(entry.name, 'utf8');
    const data = Buffer.from(entry.data.buffer, entry.data.byteOffset, entry.data.byteLength);
    const deflated = deflateRawSync(data, { level: 9 });
    const method = deflated.length < data.length ? METHOD_DEFLATE : METHOD_STORE;
    const body = method === METHOD_DEFLATE ? deflated : data;
    if (data.length >= MAX_32 || body.length >= MAX_32) throw new Error(`zip: ${entry.name} is too large for a zip without zip64`);
    const flags = /^[\x20-\x7e]*$/.test(entry.name) ? 0 : FLAG_UTF8_NAME;
    const crc = crc32(data);

    const fields = { flags, method, crc, compressed: body.length, size: data.length, nameLength: name.length };
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    writeSharedFields(local, 4, fields);
    local.writeUInt16LE(0, 28); // no extra field (it would carry timestamps)

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(MADE_BY_UNIX, 4);
    writeSharedFields(central, 6, fields);
    central.writeUInt16LE(0, 30); // extra field length
    central.writeUInt16LE(0, 32); // comment length
    central.writeUInt16LE(0, 34); // disk number
    central.writeUInt16LE(0, 36); // internal attributes
    central.writeUInt32LE((REGULAR_FILE_0644 << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);

    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
    if (offset >= MAX_32) throw new Error('zip: the archive is too large for a zip without zip64');
  }

  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(0, 4); // this disk
  end.writeUInt16LE(0, 6); // disk with the central directory
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  end.writeUInt16LE(0, 20); // comment length
  return Buffer.concat([...locals, directory, end]);
}
