// Draws each chart from the numbers the server put in its data-series attribute (no inline script: the CSP forbids it).
for (const el of document.querySelectorAll("[data-chart]")) {
  const data = JSON.parse(el.dataset.series);
  const bars = el.dataset.chart === "bars";
  const draw = () => {
    el.textContent = "";
    new uPlot(
      {
        width: Math.max(el.clientWidth, 260),
        height: 220,
        legend: { show: false },
        // Bars are centred on their day: half a day of room each side keeps the first and last bars whole.
        scales: { x: { time: true, ...(bars ? { range: (_u, min, max) => [min - 43200, max + 43200] } : {}) } },
        // Per-day bars are days already; other charts show instants in the realm's time zone.
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), data.tz ?? "Etc/UTC"),
        axes: [{ stroke: "#333" }, { stroke: "#333", size: 60 }],
        series: [
          {},
          {
            label: data.label,
            stroke: "#1d4ed8",
            width: 2,
            fill: "rgba(29, 78, 216, 0.15)",
            ...(bars ? { paths: uPlot.paths.bars({ size: [0.6, 40] }), points: { show: false } } : {}),
          },
        ],
      },
      [data.x, data.y],
      el,
    );
  };
  let width = 0;
  let timer;
  new ResizeObserver(() => {
    if (el.clientWidth === width) return;
    width = el.clientWidth;
    clearTimeout(timer);
    timer = setTimeout(draw, width ? 100 : 0);
  }).observe(el);
}
