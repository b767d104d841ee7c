/**
 * Fault injection for tests of the failure paths that cannot be produced on demand (a full disk, a
 * worker that dies). Read from RESNET_TUTOR_FAULTS, a comma list; never set in normal use:
 *   enospc:<regexp>   writes to files whose path matches fail with ENOSPC (disk full)
 *   erofs:<regexp>    writes to files whose path matches fail with EROFS (read-only file system)
 *   crash@<step>      the engine worker crashes (an uncaught exception) after that step
 *   exit@<step>       the engine worker thread exits abruptly after that step
 *   no-wasm-threads   the multi-threaded wasm build fails to start
 */
function faults(): string[] {
  const raw = process.env.RESNET_TUTOR_FAULTS;
  return raw ? raw.split(',').map((s) => s.trim()) : [];
}

/** The error a real write would raise, for each injectable write fault. */
const WRITE_FAULTS = {
  enospc: { code: 'ENOSPC', errno: -28, text: 'no space left on device' },
  erofs: { code: 'EROFS', errno: -30, text: 'read-only file system' },
} as const;

export function failWriteFor(path: string): NodeJS.ErrnoException | null {
  for (const f of faults()) {
    const colon = f.indexOf(':');
    const kind = f.slice(0, colon);
    if (colon < 0 || !Object.hasOwn(WRITE_FAULTS, kind)) continue;
    const fault = WRITE_FAULTS[kind as keyof typeof WRITE_FAULTS];
    if (new RegExp(f.slice(colon + 1)).test(path)) {
      return Object.assign(new Error(`${fault.code}: ${fault.text}, write '${path}'`), {
        code: fault.code,
        errno: fault.errno,
        syscall: 'write',
        path,
      });
    }
  }
  return null;
}

export function workerFaultAt(step: number): 'crash' | 'exit' | null {
  for (const f of faults()) {
    const m = /^(crash|exit)@(\d+)$/.exec(f);
    if (m && Number(m[2]) === step) return m[1] as 'crash' | 'exit';
  }
  return null;
}

/** An error for a named fault (`no-wasm-threads`) when it is injected, else null. */
export function injectedFault(name: string): Error | null {
  return faults().includes(name) ? new Error(`${name} injected by RESNET_TUTOR_FAULTS`) : null;
}
