import type { CommandSpec } from './types.js';
import { flagDefault } from '../stores/settings.js';
import { EXIT, UserError } from '../util/errors.js';

interface ReportArgs {
  readonly run: string;
  readonly 'run-dir': string;
  readonly csv: boolean | undefined;
  readonly json: boolean | undefined;
  readonly width: number | undefined;
  readonly svg: string | undefined;
  readonly tensorboard: string | undefined;
  readonly color: boolean | undefined;
}

/** `resnet-tutor report <run>`: a run's summary and charts, or its metrics as CSV or JSON. */
export const report: CommandSpec<ReportArgs> = {
  command: 'report <run>',
  describe: 'Summary and charts of a run, or its metrics as CSV or JSON',
  builder: (y) =>
    y
      .positional('run', {
        type: 'string',
        demandOption: true,
        describe: 'Run id, unique id prefix, or run folder path; a comma list (a,b) overlays existing runs',
      })
      .option('run-dir', { type: 'string', ...flagDefault('runDir'), describe: 'Folder that holds run folders' })
      .option('csv', { type: 'boolean', describe: 'Print the metrics as CSV, one row per metrics line' })
      .option('json', { type: 'boolean', describe: 'Print {"run": <run.json>, "metrics": [...]}' })
      .option('width', { type: 'number', describe: 'Columns to fit the text report in (default: the terminal width, or 100)' })
      .option('svg', { type: 'string', describe: 'Write the loss and accuracy charts to FILE as a self-contained SVG' })
      .option('tensorboard', {
        type: 'string',
        describe: 'Write the metrics as TensorBoard event files under DIR/<run id>/ (tensorboard --logdir DIR)',
      })
      .option('color', {
        type: 'boolean',
        ...flagDefault('color'),
        describe: 'Colours in the charts (--no-color: none; NO_COLOR is honoured too)',
      })
      .conflicts('csv', 'json')
      .conflicts('svg', ['csv', 'json'])
      .conflicts('tensorboard', ['csv', 'json'])
      .example('$0 report 20261128-1830', 'the run whose id starts with that')
      .example('$0 report <run> --csv > m.csv', 'metrics for a spreadsheet or pandas')
      .example('$0 report checkpoints/<run>', 'a run given by its folder')
      .example('$0 report plain-d20,resnet-d20', 'two runs trained apart, on one chart and one table')
      .example('$0 report <run> --svg loss.svg', 'the curves for a lab report')
      .example('$0 report <run> --tensorboard tb/', 'then `tensorboard --logdir tb/`'),
  run: async (args) => {
    const width = args.width ?? Math.min(1000, process.stdout.columns || 100);
    if (!Number.isInteger(width) || width < 40 || width > 1000) {
      throw new UserError(`--width must be a whole number of columns from 40 to 1000; got ${String(args.width)}.`);
    }
    for (const [flag, value] of [
      ['--svg', args.svg],
      ['--tensorboard', args.tensorboard],
    ] as const) {
      if (value !== undefined && (typeof value !== 'string' || value.trim() === '')) {
        throw new UserError(`${flag} needs a path (a ${flag === '--svg' ? 'file' : 'folder'} to write); got ${JSON.stringify(value)}.`);
      }
    }
    const { exportReport, renderReport } = await import('../runs/report.js');
    if (args.svg !== undefined || args.tensorboard !== undefined) {
      process.stdout.write(exportReport(args.runDir, args.run, { svg: args.svg, tensorboard: args.tensorboard }));
      return EXIT.ok;
    }
    const format = args.csv ? 'csv' : args.json ? 'json' : 'text';
    process.stdout.write(renderReport(args.runDir, args.run, { format, width, color: args.color === false ? false : undefined }));
    return EXIT.ok;
  },
};
