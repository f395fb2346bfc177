// Small charts from the gateway's own figures: request rate and latency
// percentiles (the feed's "figures", from the request-latency histogram)
// and cold-start times (the "ready" events' spawn times).
import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

function Chart({ title, id, series, data, points }) {
  const box = useRef(null);
  const plot = useRef(null);
  useEffect(() => {
    const width = () => Math.max(240, Math.min(box.current.clientWidth, 640));
    plot.current = new uPlot(
      {
        width: width(),
        height: 180,
        series: [
          {},
          ...series.map(([label, stroke]) => ({
            label,
            stroke,
            width: 2,
            points: { show: !!points, size: 6, fill: stroke },
            paths: points ? () => null : undefined,
          })),
        ],
        axes: [{}, { size: 60 }],
        legend: { live: false },
      },
      data,
      box.current,
    );
    const resize = () => plot.current.setSize({ width: width(), height: 180 });
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      plot.current.destroy();
    };
  }, []);
  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);
  return html`<figure class="chart" id=${id}>
    <figcaption>${title}</figcaption>
    <div ref=${box} role="img" aria-label=${title}></div>
  </figure>`;
}

export function Charts({ figures, events }) {
  const t = figures.map((f) => Date.parse(f.at) / 1000);
  const rate = [t, figures.map((f) => f.requests_per_s)];
  const latency = [
    t,
    figures.map((f) => f.p50_ms),
    figures.map((f) => f.p95_ms),
    figures.map((f) => f.p99_ms),
  ];
  const starts = events.filter((e) => e.type === 'ready').slice().reverse();
  const cold = [
    starts.map((e) => Date.parse(e.at) / 1000),
    starts.map((e) => (e.spawn_kind === 'cold' ? e.spawn_ms : null)),
    starts.map((e) => (e.spawn_kind === 'warm' ? e.spawn_ms : null)),
  ];
  return html`<section aria-labelledby="charts-title">
    <h2 id="charts-title">Figures</h2>
    <p class="muted">Request rate and latency over the last 5 seconds, once a second; start times of the last instances.</p>
    <div class="charts">
      <${Chart} id="chart-rate" title="Requests per second" series=${[['requests/s', '#1e88e5']]} data=${rate} />
      <${Chart} id="chart-latency" title="Latency (ms): p50, p95, p99"
        series=${[['p50', '#43a047'], ['p95', '#fb8c00'], ['p99', '#e53935']]} data=${latency} />
      <${Chart} id="chart-starts" title="Start times (ms): cold and warm" points
        series=${[['cold', '#8e24aa'], ['warm', '#00897b']]} data=${cold} />
    </div>
  </section>`;
}
