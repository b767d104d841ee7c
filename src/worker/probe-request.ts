/**
 * Checking a probe request on the main thread, before anything heavy starts: the probe's name, its
 * options, and the run it reads. `resnet-tutor probe` and lesson experiments both build their
 * requests here and send them to the engine worker with `EngineHost.probe`. No tfjs.
 */
import { UserError } from '../util/errors.js';
import {
  isProbeName,
  resolveBnScaleOptions,
  resolveLesionOptions,
  resolvePathsOptions,
  resolveShatterOptions,
  resolveVarianceOptions,
  unknownProbe,
  type ProbeRequest,
  type RunRef,
} from '../contracts/probe-options.js';
import { findRun, readRunInfo } from '../runs/run-dir.js';

/**
 * Checks a probe request as given on the command line or in a lesson: the probe's name, its options,
 * and the run it reads (found in `runRoot` by id, unique prefix or path).
 */
export function resolveProbeRequest(
  what: string,
  runName: string | undefined,
  runRoot: string,
  raw: Readonly<Record<string, unknown>>,
  source = 'flag',
): ProbeRequest {
  if (!isProbeName(what)) throw unknownProbe(what);
  const runRef = (name: string): RunRef => {
    const path = findRun(runRoot, name);
    const info = readRunInfo(path);
    return { id: info.id, path, config: info.config };
  };
  switch (what) {
    case 'variance':
    case 'shatter':
      if (runName !== undefined) {
        throw new UserError(
          `The ${what} probe measures freshly initialised nets and reads no run; leave out "${runName}". ` +
            'The probes that read a trained run are `resnet-tutor probe lesion <run>` and `resnet-tutor probe paths <run>`.',
        );
      }
      return what === 'variance'
        ? { probe: 'variance', options: resolveVarianceOptions(raw, source) }
        : { probe: 'shatter', options: resolveShatterOptions(raw, source) };
    case 'paths':
      return { probe: 'paths', options: resolvePathsOptions(raw, runName === undefined ? null : runRef(runName), source) };
    case 'lesion':
      if (runName === undefined) {
        throw new UserError(
          'The lesion probe removes blocks from a trained network: name a run, e.g. `resnet-tutor probe lesion <run>` ' +
            '(an id, a unique id prefix or a run folder). List runs with `resnet-tutor runs`; train one with `resnet-tutor train`.',
        );
      }
      return { probe: 'lesion', options: resolveLesionOptions(raw, runRef(runName), source) };
    case 'bn-scale':
      if (runName === undefined) {
        throw new UserError(
          'The bn-scale probe reads the learned BatchNorm scales of a trained network: name a run, e.g. `resnet-tutor probe bn-scale <run>` ' +
            '(an id, a unique id prefix or a run folder) trained with --arch residual-bn or plain-bn. List runs with `resnet-tutor runs`.',
        );
      }
      return { probe: 'bn-scale', options: resolveBnScaleOptions(raw, runRef(runName), source) };
  }
}
