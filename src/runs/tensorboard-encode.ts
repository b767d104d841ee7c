import { createRequire } from 'node:module';

/**
 * TensorBoard's event-file format, written by hand: TFRecord framing of `tensorflow.Event`
 * protobufs (docs/run-folder.md, "TensorBoard event files"). Only three messages and five fields are
 * ever written (Event.wall_time/step/file_version/summary/session_log, Summary.Value.tag/
 * simple_value, SessionLog.status), so a hand encoder is a screenful, where a protobuf library
 * would bring a runtime dependency, a .proto loader and code generation for the same bytes. The
 * checksum is CRC32C (Castagnoli), from the crc-32 package (node:zlib has only plain CRC-32, and
 * only from Node 22). The tests read the files back with protobufjs and a CRC written from the spec.
 */

/** The part of crc-32/crc32c used here: a signed 32-bit CRC32C of the bytes. */
interface Crc32c {
  buf(data: Uint8Array, seed?: number): number;
}
const crc32c = createRequire(import.meta.url)('crc-32/crc32c') as Crc32c;

/** TFRecord's masked CRC: rotate right by 15 bits and add a constant (tensorflow/core/lib/hash/crc32c.h). */
export function maskedCrc32c(data: Uint8Array): number {
  const crc = crc32c.buf(data) >>> 0;
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}

/** One TFRecord: uint64 length, masked CRC of the length, the data, masked CRC of the data (little-endian). */
export function tfRecord(data: Uint8Array): Buffer {
  const out = Buffer.alloc(8 + 4 + data.length + 4);
  out.writeBigUInt64LE(BigInt(data.length), 0);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(data, 12);
  out.writeUInt32LE(maskedCrc32c(data), 12 + data.length);
  return out;
}

/** A scalar for one tag at one step. */
export interface Scalar {
  readonly tag: string;
  /** Written as float32 (Summary.Value.simple_value, what TensorBoard's scalar charts read). */
  readonly value: number;
}

/** What one Event carries besides its time and step. */
export type EventBody =
  | { readonly kind: 'fileVersion' }
  | { readonly kind: 'scalars'; readonly scalars: readonly Scalar[] }
  /** SessionLog START: TensorBoard drops the events at this step and later read before it (a restart). */
  | { readonly kind: 'start' };

/** The file_version every TensorFlow 2 writer puts in an event file's first record. */
export const FILE_VERSION = 'brain.Event:2';

/** The protobuf bytes of one `tensorflow.Event`. */
export function encodeEvent(wallTime: number, step: number, body: EventBody): Buffer {
  const parts: Buffer[] = [];
  const wall = Buffer.alloc(9);
  wall[0] = (1 << 3) | 1; // field 1, 64-bit
  wall.writeDoubleLE(wallTime, 1);
  parts.push(wall);
  if (step !== 0) parts.push(Buffer.from([(2 << 3) | 0]), varint(step)); // field 2, varint (proto3 omits 0)
  if (body.kind === 'fileVersion') parts.push(lengthDelimited(3, Buffer.from(FILE_VERSION, 'utf8')));
  else if (body.kind === 'start')
    parts.push(lengthDelimited(7, Buffer.from([(1 << 3) | 0, 1]))); // SessionLog{status: START}
  else parts.push(lengthDelimited(5, encodeSummary(body.scalars)));
  return Buffer.concat(parts);
}

function encodeSummary(scalars: readonly Scalar[]): Buffer {
  return Buffer.concat(
    scalars.map((s) => {
      const value = Buffer.alloc(5);
      value[0] = (2 << 3) | 5; // Summary.Value.simple_value, field 2, 32-bit
      value.writeFloatLE(s.value, 1);
      return lengthDelimited(1, Buffer.concat([lengthDelimited(1, Buffer.from(s.tag, 'utf8')), value]));
    }),
  );
}

function lengthDelimited(field: number, bytes: Buffer): Buffer {
  return Buffer.concat([varint((field << 3) | 2), varint(bytes.length), bytes]);
}

/** Base-128 varint of a non-negative whole number (steps and lengths stay far below 2^53). */
function varint(n: number): Buffer {
  const bytes: number[] = [];
  let v = Math.max(0, Math.floor(n));
  // Division, not bit operations: those would cut the number to 32 bits.
  while (v >= 0x80) {
    bytes.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  bytes.push(v);
  return Buffer.from(bytes);
}

/**
 * Where each record of an event file starts and its step, as far as the file is whole: stops at
 * the first torn or corrupt record (a kill mid-append leaves at most one, at the end). Used to
 * trim the steps a resumed run writes again.
 */
export function scanRecords(file: Buffer): { offset: number; end: number; step: number }[] {
  const out: { offset: number; end: number; step: number }[] = [];
  let off = 0;
  while (off + 12 <= file.length) {
    const len = Number(file.readBigUInt64LE(off));
    if (file.readUInt32LE(off + 8) !== maskedCrc32c(file.subarray(off, off + 8))) break;
    const end = off + 12 + len + 4;
    if (end > file.length) break;
    const data = file.subarray(off + 12, off + 12 + len);
    if (file.readUInt32LE(off + 12 + len) !== maskedCrc32c(data)) break;
    out.push({ offset: off, end, step: eventStep(data) });
    off = end;
  }
  return out;
}

/** Event.step of encoded Event bytes (0 when absent); only the fields this encoder writes are expected. */
function eventStep(data: Buffer): number {
  let off = 0;
  while (off < data.length) {
    const key = data[off++]!;
    const wire = key & 7;
    if (key >> 3 === 2 && wire === 0) {
      let v = 0n;
      let shift = 0n;
      for (;;) {
        const b = data[off++]!;
        v |= BigInt(b & 0x7f) << shift;
        shift += 7n;
        if (!(b & 0x80)) break;
      }
      return Number(v);
    }
    if (wire === 1) off += 8;
    else if (wire === 5) off += 4;
    else if (wire === 0) while (data[off++]! & 0x80);
    else if (wire === 2) {
      let len = 0;
      let shift = 0;
      for (;;) {
        const b = data[off++]!;
        len += (b & 0x7f) * 2 ** shift;
        shift += 7;
        if (!(b & 0x80)) break;
      }
      off += len;
    } else return 0;
  }
  return 0;
}
