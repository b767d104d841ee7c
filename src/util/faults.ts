/**
 * Fault injection for tests of the failure paths that cannot be produced on demand (a full disk, a
 * worker that dies). Read from RESNET_TUTOR_FAULTS, a comma list; never set in normal use:
 *   enospc:<regexp>   writes to files whose path matches fail with ENOSPC
 *   crash@<step>      the engine worker crashes (an uncaught exception) after that step
 *   exit@<step>       the engine worker thread exits abruptly after that step
 *   no-wasm-threads   the multi-threaded wasm build fails to start
 */
function faults(): string[] {
  const raw = process.env.RESNET_TUTOR_FAULTS;
  return raw ? raw.split(',').map((s) => s.trim()) : [];
}

export function failWriteFor(path: string): NodeJS.ErrnoException | null {
  for (const f of faults()) {
    if (f.startsWith('enospc:') && new RegExp(f.slice('enospc:'.length)).test(path)) {
      return Object.assign(new Error(`ENOSPC: no space left on device, write '${path}'`), {
        code: 'ENOSPC',
        errno: -28,
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
