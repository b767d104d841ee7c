import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import protobuf from 'protobufjs';

/**
 * An event-file reader written from the specs, sharing no code with src/runs/tensorboard*.ts: the
 * CRC32C is the bitwise definition (polynomial 0x82F63B78, no table, no library) and the protobuf
 * decoding is protobufjs reflection over TensorFlow's own field numbers (tensorflow/core/util/
 * event.proto, tensorflow/core/framework/summary.proto).
 */

const root = protobuf.Root.fromJSON({
  nested: {
    tensorflow: {
      nested: {
        Event: {
          oneofs: { what: { oneof: ['fileVersion', 'graphDef', 'summary', 'sessionLog'] } },
          fields: {
            wallTime: { type: 'double', id: 1 },
            step: { type: 'int64', id: 2 },
            fileVersion: { type: 'string', id: 3 },
            graphDef: { type: 'bytes', id: 4 },
            summary: { type: 'Summary', id: 5 },
            sessionLog: { type: 'SessionLog', id: 7 },
          },
        },
        SessionLog: {
          fields: { status: { type: 'SessionStatus', id: 1 }, checkpointPath: { type: 'string', id: 2 }, msg: { type: 'string', id: 3 } },
          nested: { SessionStatus: { values: { STATUS_UNSPECIFIED: 0, START: 1, STOP: 2, CHECKPOINT: 3 } } },
        },
        Summary: {
          fields: { value: { rule: 'repeated', type: 'Value', id: 1 } },
          nested: {
            Value: {
              oneofs: { value: { oneof: ['simpleValue', 'obsoleteOldStyleHistogram'] } },
              fields: {
                nodeName: { type: 'string', id: 7 },
                tag: { type: 'string', id: 1 },
                simpleValue: { type: 'float', id: 2 },
                obsoleteOldStyleHistogram: { type: 'bytes', id: 3 },
              },
            },
          },
        },
      },
    },
  },
});
const EventType = root.lookupType('tensorflow.Event');

/** CRC32C by its definition: reflected, polynomial 0x82F63B78, initial and final XOR 0xFFFFFFFF. */
export function crc32cBitwise(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function masked(data: Uint8Array): number {
  const c = crc32cBitwise(data);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) % 2 ** 32;
}

export interface ReadEvent {
  readonly wallTime: number;
  readonly step: number;
  readonly fileVersion?: string;
  readonly sessionStatus?: string;
  readonly scalars?: Record<string, number>;
}

/** Every record of one event file; throws on a bad CRC or trailing bytes (a strict reader). */
export function readEventFile(path: string): ReadEvent[] {
  const buf = readFileSync(path);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: ReadEvent[] = [];
  let off = 0;
  while (off < buf.length) {
    if (off + 12 > buf.length) throw new Error(`${path}: torn header at ${off}`);
    const lo = view.getUint32(off, true);
    const hi = view.getUint32(off + 4, true);
    const len = hi * 2 ** 32 + lo;
    if (view.getUint32(off + 8, true) !== masked(buf.subarray(off, off + 8))) throw new Error(`${path}: bad length CRC at ${off}`);
    const data = buf.subarray(off + 12, off + 12 + len);
    if (data.length !== len || off + 16 + len > buf.length) throw new Error(`${path}: torn record at ${off}`);
    if (view.getUint32(off + 12 + len, true) !== masked(data)) throw new Error(`${path}: bad data CRC at ${off}`);
    const ev = EventType.toObject(EventType.decode(data), { longs: Number, enums: String }) as {
      wallTime?: number;
      step?: number;
      fileVersion?: string;
      sessionLog?: { status?: string };
      summary?: { value?: { tag: string; simpleValue?: number }[] };
    };
    out.push({
      wallTime: ev.wallTime ?? 0,
      step: ev.step ?? 0,
      ...(ev.fileVersion !== undefined ? { fileVersion: ev.fileVersion } : {}),
      ...(ev.sessionLog ? { sessionStatus: ev.sessionLog.status ?? 'STATUS_UNSPECIFIED' } : {}),
      ...(ev.summary ? { scalars: Object.fromEntries((ev.summary.value ?? []).map((v) => [v.tag, v.simpleValue ?? NaN])) } : {}),
    });
    off += 16 + len;
  }
  return out;
}

export function eventFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => n.includes('tfevents'))
    .sort()
    .map((n) => join(dir, n));
}

/**
 * The real TensorBoard, where a Python with the `tensorboard` package is at hand (TENSORBOARD_PYTHON,
 * else python3): every scalar series of a log folder as TensorBoard's EventAccumulator loads it
 * (with its purging of steps a restarted run wrote again). Null when TensorBoard is not installed.
 */
export function tensorboardScalars(dir: string): Record<string, [number, number][]> | null {
  const python = process.env.TENSORBOARD_PYTHON || 'python3';
  const script = [
    'import sys, json',
    'from tensorboard.backend.event_processing import event_accumulator as ea',
    'acc = ea.EventAccumulator(sys.argv[1], size_guidance={ea.SCALARS: 0})',
    'acc.Reload()',
    'print(json.dumps({t: [[e.step, e.value] for e in acc.Scalars(t)] for t in acc.Tags()["scalars"]}))',
  ].join('\n');
  const probe = spawnSync(python, ['-c', 'import tensorboard'], { encoding: 'utf8' });
  if (probe.status !== 0) return null;
  const r = spawnSync(python, ['-c', script, dir], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`tensorboard could not read ${dir}: ${r.stderr}`);
  return JSON.parse(r.stdout.replace(/\bNaN\b/g, 'null')) as Record<string, [number, number][]>;
}
