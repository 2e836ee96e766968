/** One point of the chart: the step (1-based) and its losses. */
export interface LossPoint {
  step: number;
  loss: number;
  classificationLoss: number;
  boxLoss: number;
}

const SERIES = [
  { key: 'loss', colour: '#1e88e5', label: 'loss' },
  { key: 'classificationLoss', colour: '#e53935', label: 'class' },
  { key: 'boxLoss', colour: '#43a047', label: 'box' },
] as const;

/** One validation on the chart: the step it followed and its COCO mAP@[.5:.95]. */
export interface MapPoint {
  step: number;
  map: number;
}

const MAP_COLOUR = '#8e24aa';

/**
 * Draws the losses against the step on a canvas: a line per loss, the y axis from 0 to the largest value,
 * the x axis over `steps` (the run's length, so the line grows left to right as steps come in); and the
 * validation mAP, when there is one, as dots joined by a dashed line on a right-hand axis from 0 to 1.
 */
export function drawLossChart(canvas: HTMLCanvasElement, points: readonly LossPoint[], steps: number, maps: readonly MapPoint[] = []): void {
  const context = canvas.getContext('2d');
  if (context === null) return;
  const { width, height } = canvas;
  const pad = { left: 44, right: 30, top: 18, bottom: 20 };
  context.clearRect(0, 0, width, height);
  context.font = '11px sans-serif';
  context.strokeStyle = '#999';
  context.strokeRect(pad.left, pad.top, width - pad.left - pad.right, height - pad.top - pad.bottom);
  const top = Math.max(1e-6, ...points.map((p) => p.loss));
  const x = (step: number) => pad.left + ((width - pad.left - pad.right) * step) / Math.max(1, steps);
  const y = (value: number) => height - pad.bottom - ((height - pad.top - pad.bottom) * value) / top;
  context.fillStyle = '#555';
  context.fillText(top.toPrecision(3), 2, pad.top + 4);
  context.fillText('0', 2, height - pad.bottom);
  context.fillText(`step ${points.at(-1)?.step ?? 0} / ${steps}`, pad.left, height - 4);
  SERIES.forEach(({ key, colour, label }, index) => {
    context.strokeStyle = colour;
    context.fillStyle = colour;
    context.fillText(label, width - pad.right - 120 + index * 40, 12);
    context.beginPath();
    points.forEach((point, i) => (i === 0 ? context.moveTo(x(point.step), y(point[key])) : context.lineTo(x(point.step), y(point[key]))));
    context.stroke();
  });
  if (maps.length === 0) return;
  const yMap = (value: number) => height - pad.bottom - (height - pad.top - pad.bottom) * Math.min(1, Math.max(0, value));
  context.strokeStyle = MAP_COLOUR;
  context.fillStyle = MAP_COLOUR;
  context.fillText('mAP', width - pad.right - 150, 12);
  context.fillText('1', width - pad.right + 4, pad.top + 4);
  context.fillText('0', width - pad.right + 4, height - pad.bottom);
  context.setLineDash([4, 3]);
  context.beginPath();
  maps.forEach((point, i) => (i === 0 ? context.moveTo(x(point.step), yMap(point.map)) : context.lineTo(x(point.step), yMap(point.map))));
  context.stroke();
  context.setLineDash([]);
  for (const point of maps) context.fillRect(x(point.step) - 2, yMap(point.map) - 2, 4, 4);
}
