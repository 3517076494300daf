/**
 * A bar chart on a canvas (Chart.js, only the parts a bar chart needs, so the bundle stays small).
 * Redrawn when its data changes; destroyed with the component.
 */
import { BarController, BarElement, CategoryScale, Chart, LinearScale, Tooltip } from 'chart.js';
import { useEffect, useRef } from 'preact/hooks';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip);

export interface Bars {
  labels: string[];
  values: number[];
  /** One colour per bar, or one for all. */
  colors: string[] | string;
  /** Axis title of the values. */
  valueLabel: string;
  horizontal?: boolean;
}

export function BarChart({ bars, label, height = 220 }: { bars: Bars; label: string; height?: number }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const axis = bars.horizontal ? 'x' : 'y';
    const chart = new Chart(canvas.current, {
      type: 'bar',
      data: {
        labels: bars.labels,
        datasets: [{ label: bars.valueLabel, data: bars.values, backgroundColor: bars.colors }],
      },
      options: {
        indexAxis: bars.horizontal ? 'y' : 'x',
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { display: false } },
        scales: { [axis]: { beginAtZero: true, title: { display: true, text: bars.valueLabel } } },
      },
    });
    return () => chart.destroy();
  }, [bars]);
  return (
    <div class="chart" style={{ height: `${height}px` }}>
      <canvas ref={canvas} role="img" aria-label={label} data-chart={label} />
    </div>
  );
}
