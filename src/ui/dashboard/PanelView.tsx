import { Box, Text } from 'ink';
import { memo } from 'react';
import { toAscii } from '../terminal.js';
import { ChartText } from './ChartText.js';
import {
  accuracyChart,
  gradientProfileChart,
  gradientTimeChart,
  learningRateChart,
  lossChart,
  varianceProfileChart,
  type ChartSpec,
} from './series.js';
import type { DashboardState } from './state.js';

export type Props = {
  readonly runs: DashboardState['runs'];
  readonly panel: DashboardState['panel'];
  readonly smoothing: number;
  readonly logLoss: boolean;
  readonly system: DashboardState['system'];
  readonly width: number;
  /** Lines the panel may use. */
  readonly lines: number;
  readonly color: boolean;
  readonly unicode: boolean;
  /** `watch`: this process is not the one training, so its CPU and memory are not shown. */
  readonly readOnly?: boolean;
};

/** Wide terminals put a panel's two charts side by side; narrow ones stack them. */
const SIDE_BY_SIDE_WIDTH = 120;

/**
 * The selected panel: loss and accuracy, gradients, variance, or system. Memoised: the clock ticking
 * or a key that changes nothing here does not redraw the charts.
 */
export const PanelView = memo(function PanelView({
  runs,
  panel,
  smoothing,
  logLoss,
  system,
  width,
  lines,
  color,
  unicode,
  readOnly = false,
}: Props) {
  const two = (a: ChartSpec, b: ChartSpec, firstShare = 0.5) => {
    if (width >= SIDE_BY_SIDE_WIDTH) {
      const left = Math.floor(width / 2) - 1;
      return (
        <Box flexDirection="row" width={width}>
          <Box width={left} marginRight={2}>
            <ChartText spec={a} width={left} lines={lines} color={color} unicode={unicode} />
          </Box>
          <Box width={width - left - 2}>
            <ChartText spec={b} width={width - left - 2} lines={lines} color={color} unicode={unicode} />
          </Box>
        </Box>
      );
    }
    const top = Math.max(5, Math.round(lines * firstShare));
    return (
      <Box flexDirection="column" width={width}>
        <ChartText spec={a} width={width} lines={top} color={color} unicode={unicode} />
        <ChartText spec={b} width={width} lines={Math.max(4, lines - top)} color={color} unicode={unicode} />
      </Box>
    );
  };
  switch (panel) {
    case 0:
      return two(lossChart(runs, smoothing, logLoss), accuracyChart(runs, smoothing), 0.58);
    case 1:
      return two(gradientTimeChart(runs), gradientProfileChart(runs));
    case 2:
      return <ChartText spec={varianceProfileChart(runs)} width={width} lines={lines} color={color} unicode={unicode} />;
    case 3: {
      const sys = system;
      const machine = readOnly
        ? ['training process: runs elsewhere; its CPU, memory and GPU use are not visible from `watch`']
        : [
            sys ? `process: CPU ${sys.cpuPercent.toFixed(0)}% · memory ${sys.rssMb.toFixed(0)} MB` : 'process: measuring…',
            sys?.gpu
              ? `GPU ${sys.gpu.name}: ${sys.gpu.utilPercent.toFixed(0)}% busy · ${sys.gpu.memUsedMb.toFixed(0)}/${sys.gpu.memTotalMb.toFixed(0)} MB`
              : 'GPU: none in use (nvidia-smi not found or no GPU backend)',
          ];
      const info = [
        ...machine,
        ...runs.map(
          (r) =>
            `${runs.length > 1 ? `${r.label}: ` : ''}checkpoint ${r.lastCheckpoint ?? 'none yet'}${r.backend ? ` · ${r.backend.device}` : ''}`,
        ),
      ];
      return (
        <Box flexDirection="column" width={width}>
          <ChartText
            spec={learningRateChart(runs)}
            width={width}
            lines={Math.max(4, lines - info.length)}
            color={color}
            unicode={unicode}
          />
          {info.slice(0, Math.max(0, lines - 4)).map((l, i) => (
            <Text key={i}>{(unicode ? l : toAscii(l)).slice(0, width)}</Text>
          ))}
        </Box>
      );
    }
  }
});
