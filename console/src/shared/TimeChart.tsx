import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/**
 * A line chart over time (uPlot on a canvas). A canvas says nothing to a screen reader, so the
 * chart is an image with a name and the same figures follow as a table.
 */
export function TimeChart({ title, times, values, unit, color = '#3b5bdb' }: { title: string; times: number[]; values: (number | null)[]; unit?: string; color?: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const width = Math.max(280, el.clientWidth || 480);
    const chart = new uPlot(
      {
        width,
        height: 180,
        legend: { show: false },
        cursor: { show: true, drag: { x: false, y: false } },
        scales: { x: { time: true } },
        axes: [{}, { label: unit, size: 56 }],
        series: [{}, { label: title, stroke: color, width: 2, spanGaps: false, points: { show: times.length < 60 } }],
      },
      [times, values as number[]],
      el,
    );
    return () => chart.destroy();
  }, [title, times, values, unit, color]);
  const known = values.filter((v): v is number => v !== null);
  const summary = known.length ? `from ${Math.min(...known)} to ${Math.max(...known)}${unit ? ` ${unit}` : ''}` : 'no data in this range';
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div ref={box} role="img" aria-label={`${title} over time: ${summary}`} />
    </figure>
  );
}
