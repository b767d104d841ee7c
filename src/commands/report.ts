import type { CommandSpec } from './types.js';
import { flagDefault } from '../settings.js';
import { EXIT, UserError } from '../errors.js';

interface ReportArgs {
  readonly run: string;
  readonly 'run-dir': string;
  readonly csv: boolean | undefined;
  readonly json: boolean | undefined;
  readonly width: number | undefined;
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
      .conflicts('csv', 'json')
      .example('$0 report 20261128-1830', 'the run whose id starts with that')
      .example('$0 report <run> --csv > m.csv', 'metrics for a spreadsheet or pandas')
      .example('$0 report checkpoints/<run>', 'a run given by its folder')
      .example('$0 report plain-d20,resnet-d20', 'two runs trained apart, on one chart and one table'),
  run: async (args) => {
    const width = args.width ?? Math.min(1000, process.stdout.columns || 100);
    if (!Number.isInteger(width) || width < 40 || width > 1000) {
      throw new UserError(`--width must be a whole number of columns from 40 to 1000; got ${String(args.width)}.`);
    }
    const { renderReport } = await import('../runs/report.js');
    const format = args.csv ? 'csv' : args.json ? 'json' : 'text';
    process.stdout.write(renderReport(args.runDir, args.run, { format, width }));
    return EXIT.ok;
  },
};
