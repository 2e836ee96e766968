import { createCanvas, type SKRSContext2D } from '@napi-rs/canvas';

import { labelFontFamily } from '../draw/fonts.js';
import { encodeCanvas } from '../image/encode.js';
import type { EpochRecord, LogRecord, StepRecord } from '@edet/train';

/** The plot in a run folder. */
export const PLOT_FILE = 'training.png';

/** One line of a chart. */
interface Series {
  label: string;
  colour: string;
  points: [number, number][];
  width?: number;
  dots?: boolean;
}

const WIDTH = 1200;
const HEIGHT = 480;
const MARGIN = { left: 70, right: 20, top: 44, bottom: 56 };

/** Round tick values covering [low, high]: steps of 1, 2 or 5 times a power of ten. */
export function niceTicks(low: number, high: number, count = 5): number[] {
  if (!(high > low)) return [low];
  const rough = (high - low) / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  const ticks: number[] = [];
  for (let value = Math.ceil(low / step - 1e-9) * step; value <= high + step * 1e-9; value += step) ticks.push(Number(value.toPrecision(12)));
  return ticks;
}

function formatTick(value: number): string {
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  return magnitude >= 1e4 || magnitude < 1e-3 ? value.toExponential(1) : String(Number(value.toPrecision(4)));
}

/** Draws axes, ticks, grid, labels, the series and a legend in the box `[x, y, w, h]`. */
function drawChart(
  context: SKRSContext2D,
  font: string | undefined,
  box: { x: number; y: number; w: number; h: number },
  title: string,
  xLabel: string,
  yLabel: string,
  series: Series[],
  empty: string,
): void {
  const { x, y, w, h } = box;
  const text = (value: string, tx: number, ty: number, align: CanvasTextAlign, size = 13, colour = '#222') => {
    if (font === undefined) return;
    context.font = `${size}px "${font}"`;
    context.fillStyle = colour;
    context.textAlign = align;
    context.textBaseline = 'middle';
    context.fillText(value, tx, ty);
  };
  text(title, x + w / 2, y - 24, 'center', 16);
  const all = series.flatMap((s) => s.points).filter(([px, py]) => Number.isFinite(px) && Number.isFinite(py));
  context.strokeStyle = '#444';
  context.lineWidth = 1;
  context.strokeRect(x, y, w, h);
  if (all.length === 0) {
    text(empty, x + w / 2, y + h / 2, 'center', 14, '#777');
    return;
  }
  let [xMin, xMax] = [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))];
  let [yMin, yMax] = [Math.min(0, ...all.map((p) => p[1])), Math.max(...all.map((p) => p[1]))];
  if (xMax === xMin) [xMin, xMax] = [xMin - 1, xMax + 1];
  if (yMax === yMin) yMax = yMin + 1;
  yMax += (yMax - yMin) * 0.05;
  const px = (value: number) => x + ((value - xMin) / (xMax - xMin)) * w;
  const py = (value: number) => y + h - ((value - yMin) / (yMax - yMin)) * h;

  context.strokeStyle = '#e4e4e4';
  for (const tick of niceTicks(yMin, yMax)) {
    context.beginPath();
    context.moveTo(x, py(tick));
    context.lineTo(x + w, py(tick));
    context.stroke();
    text(formatTick(tick), x - 6, py(tick), 'right', 12);
  }
  for (const tick of niceTicks(xMin, xMax).filter((t) => Number.isInteger(t) || xMax - xMin < 5)) {
    context.strokeStyle = '#444';
    context.beginPath();
    context.moveTo(px(tick), y + h);
    context.lineTo(px(tick), y + h + 5);
    context.stroke();
    text(formatTick(tick), px(tick), y + h + 16, 'center', 12);
  }
  text(xLabel, x + w / 2, y + h + 38, 'center', 13);
  if (font !== undefined) {
    context.save();
    context.translate(x - 52, y + h / 2);
    context.rotate(-Math.PI / 2);
    text(yLabel, 0, 0, 'center', 13);
    context.restore();
  }

  context.save();
  context.beginPath();
  context.rect(x, y, w, h);
  context.clip();
  for (const s of series) {
    const points = s.points.filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b));
    context.strokeStyle = s.colour;
    context.fillStyle = s.colour;
    context.lineWidth = s.width ?? 2;
    context.beginPath();
    points.forEach(([a, b], i) => (i === 0 ? context.moveTo(px(a), py(b)) : context.lineTo(px(a), py(b))));
    context.stroke();
    if (s.dots || points.length === 1) {
      for (const [a, b] of points) {
        context.beginPath();
        context.arc(px(a), py(b), 3, 0, 2 * Math.PI);
        context.fill();
      }
    }
  }
  context.restore();

  // Legend, top right inside the plot.
  const shown = series.filter((s) => s.points.length > 0);
  shown.forEach((s, i) => {
    const ly = y + 14 + i * 18;
    context.strokeStyle = s.colour;
    context.lineWidth = 3;
    context.beginPath();
    context.moveTo(x + w - 150, ly);
    context.lineTo(x + w - 126, ly);
    context.stroke();
    text(s.label, x + w - 120, ly, 'left', 12);
  });
}

/** The last record of each epoch (a resumed run may have logged an epoch twice). */
function lastPerEpoch(records: readonly LogRecord[]): EpochRecord[] {
  const byEpoch = new Map<number, EpochRecord>();
  for (const record of records) if (record.type === 'epoch') byEpoch.set(record.epoch, record);
  return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
}

const finite = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/**
 * A PNG with two charts: losses against epochs (training loss and its parts per epoch, the per-step loss
 * faintly behind them, validation loss), and validation mAP against epochs. Epochs are fractional for steps.
 */
export async function plotTrainingLog(records: readonly LogRecord[]): Promise<Uint8Array> {
  const canvas = createCanvas(WIDTH, HEIGHT);
  const context = canvas.getContext('2d');
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, WIDTH, HEIGHT);
  const font = labelFontFamily();
  const epochs = lastPerEpoch(records);
  const steps = records.filter((r): r is StepRecord => r.type === 'step' && finite(r.loss));
  // Steps per epoch from the epoch records, to place steps on the epoch axis.
  const stepsPerEpoch = epochs.length > 0 ? epochs[epochs.length - 1].step / epochs[epochs.length - 1].epoch : undefined;
  const stepPoints: [number, number][] = stepsPerEpoch ? steps.map((s) => [s.step / stepsPerEpoch, s.loss]) : steps.map((s) => [s.step, s.loss]);
  const lossSeries: Series[] = [
    { label: 'loss (step)', colour: '#c9d7ea', points: stepPoints, width: 1 },
    { label: 'train loss', colour: '#1f5fa8', points: epochs.filter((e) => finite(e.loss)).map((e) => [e.epoch, e.loss]), dots: true },
    { label: 'train cls', colour: '#7aa6d8', points: epochs.filter((e) => finite(e.classificationLoss)).map((e) => [e.epoch, e.classificationLoss]) },
    { label: 'train box', colour: '#79b37a', points: epochs.filter((e) => finite(e.boxLoss)).map((e) => [e.epoch, e.boxLoss]) },
    { label: 'val loss', colour: '#d2691e', points: epochs.filter((e) => finite(e.valLoss)).map((e) => [e.epoch, e.valLoss!]), dots: true },
  ];
  const mapSeries: Series[] = [
    { label: 'mAP@[.5:.95]', colour: '#8e44ad', points: epochs.filter((e) => finite(e.map)).map((e) => [e.epoch, e.map!]), dots: true },
    { label: 'mAP@.5', colour: '#c0392b', points: epochs.filter((e) => finite(e.map50)).map((e) => [e.epoch, e.map50!]), dots: true },
  ];
  const half = WIDTH / 2;
  drawChart(
    context,
    font,
    { x: MARGIN.left, y: MARGIN.top, w: half - MARGIN.left - MARGIN.right, h: HEIGHT - MARGIN.top - MARGIN.bottom },
    'Loss',
    stepsPerEpoch ? 'epoch' : 'step',
    'loss',
    lossSeries,
    'no steps logged yet',
  );
  drawChart(
    context,
    font,
    { x: half + MARGIN.left, y: MARGIN.top, w: half - MARGIN.left - MARGIN.right, h: HEIGHT - MARGIN.top - MARGIN.bottom },
    'Validation mAP',
    'epoch',
    'mAP',
    mapSeries,
    'no validation mAP in the log (no evaluator or no val split)',
  );
  return encodeCanvas(canvas, 'png');
}
