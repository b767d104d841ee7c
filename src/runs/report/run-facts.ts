import { resolve } from 'node:path';
import { describeModel, type TrainConfig } from '../../contracts/train-config.js';
import { formatDuration } from '../../util/format.js';
import { formatAgo } from '../list.js';
import type { RunReport } from '../report.js';
import type { RunInfo } from '../run-dir.js';
import { fixed, type Field } from './fields.js';
import { abbreviateUnits } from './units.js';

/** The first block of the text report: what the run is (folder, model, data, settings, backend) and how it ended. */
export function runFacts(r: RunReport, now: Date): Field[] {
  const { info } = r;
  return [
    ['folder', resolve(r.path)],
    modelFact(info),
    dataFact(info.config),
    optimiserFact(info.config),
    lengthFact(info),
    ...backendFacts(info),
    ...versionsFact(info),
    ...timeFacts(info, now),
    ['outcome', outcome(r)],
  ];
}

function modelFact(info: RunInfo): Field {
  const units = info.units ?? [];
  return ['model', `${describeModel(info.config)}${units.length ? `, ${units.length} units (${abbreviateUnits(units)})` : ''}`];
}

function dataFact(c: TrainConfig): Field {
  const limits = [c.trainLimit ? `${c.trainLimit} training` : '', c.valLimit ? `${c.valLimit} validation` : ''].filter(Boolean);
  return ['data', `${c.dataset}${limits.length ? ` (first ${limits.join(' / ')} examples)` : ''}, batch ${c.batchSize}`];
}

function optimiserFact(c: TrainConfig): Field {
  const opt = c.optimizer === 'momentum' ? `momentum ${c.momentum}` : c.optimizer;
  return ['optimiser', `${opt}, lr ${c.lr} (${c.schedule} schedule), weight decay ${c.weightDecay}, seed ${c.seed}`];
}

function lengthFact(info: RunInfo): Field {
  const c = info.config;
  const total = info.totalSteps ?? c.steps;
  const epochs = info.stepsPerEpoch && total ? ` (${fixed(total / info.stepsPerEpoch, 2)} epochs of ${info.stepsPerEpoch} steps)` : '';
  return [
    'length',
    `${total ?? '?'} steps${epochs}; metrics every ${c.logEvery}, checkpoint every ${c.checkpointEvery || 'epoch'}, keep ${c.keep}`,
  ];
}

/** The backend, and its warnings (a fallback, a missing feature) as lines under it. */
function backendFacts(info: RunInfo): Field[] {
  if (!info.backend) return [['backend', 'not chosen yet (the run has not started training)']];
  const b = info.backend;
  const warnings = (b.warnings ?? []).map((w): Field => ['', `warning: ${w}`]);
  return [['backend', `${b.name} on ${b.device}; GPU: ${b.usingGpu ? 'yes' : 'no'}`], ...warnings];
}

function versionsFact(info: RunInfo): Field[] {
  const versions = Object.entries(info.versions ?? {}).map(([k, v]) => `${k} ${v}`);
  return versions.length ? [['versions', versions.join(', ')]] : [];
}

function timeFacts(info: RunInfo, now: Date): Field[] {
  const took = (Date.parse(info.updated) - Date.parse(info.created)) / 1000;
  return [
    ['created', `${stamp(info.created)} (${formatAgo(info.created, now)})`],
    ['updated', `${stamp(info.updated)} (${formatAgo(info.updated, now)}), ${formatDuration(took)} after creation`],
  ];
}

function stamp(iso: string): string {
  return Number.isFinite(Date.parse(iso)) ? `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC` : String(iso);
}

/** How the run ended, and the command that goes on from there. */
function outcome(r: RunReport): string {
  const { info } = r;
  const id = info.id;
  const total = info.totalSteps ?? info.config.steps ?? '?';
  const lastStep = Math.max(info.step ?? 0, r.metrics[r.metrics.length - 1]?.step ?? 0);
  switch (info.status) {
    case 'completed':
      return `completed at step ${info.step}/${total}.`;
    case 'diverged':
      return `${divergence(info)}. Try a lower --lr, or --arch residual-bn (\`resnet-tutor learn 6\` explains why).`;
    case 'interrupted':
      return `interrupted at step ${lastStep}/${total}${info.reason ? ` (${info.reason})` : ''}. Continue it with \`resnet-tutor resume ${id}\`.`;
    case 'failed':
      return `failed: ${info.reason ?? 'no reason recorded'}.`;
    case 'running':
      return `running at the last update, at step ${lastStep}/${total}. Follow it with \`resnet-tutor watch ${id}\`; if its process is gone, continue it with \`resnet-tutor resume ${id}\`.`;
    default:
      return String(info.status);
  }
}

/** Where a diverged run first had a non-finite value, from run.json `divergence` or else its reason. */
function divergence(info: RunInfo): string {
  const d = info.divergence;
  if (!d) return info.reason ?? 'diverged: values became NaN or infinite';
  return `diverged at step ${d.step}: the ${d.what === 'loss' ? 'loss' : `${d.what} of unit ${d.where}`} became NaN or infinite`;
}
