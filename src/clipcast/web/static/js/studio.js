// The studio page: a video's totals, views over time and audience retention, drawn with uPlot
// (vendored from npm, loaded before this module as window.uPlot) from the owner-only
// analytics API. Every figure is also in a table under its chart.
import { api } from "./api.js";

const root = document.querySelector("[data-studio]");
const videoId = root.dataset.videoId;
const HEIGHT = 260;
const FRESH_HOURS = 72; // younger videos open on the hourly view
const COLORS = {
  line: "#ff4f5e",
  fill: "rgba(255, 79, 94, 0.25)",
  axis: "#9aa1b1",
  grid: "#2c313d",
};
const ui = {
  error: root.querySelector("[data-studio-error]"),
  stats: Object.fromEntries(
    [...root.querySelectorAll("[data-stat]")].map((node) => [node.dataset.stat, node]),
  ),
  buckets: [...root.querySelectorAll("[data-bucket]")],
  viewsChart: root.querySelector("[data-chart=views]"),
  retentionChart: root.querySelector("[data-chart=retention]"),
  viewsTable: root.querySelector("[data-table=views] tbody"),
  viewsHead: root.querySelector("[data-views-head]"),
  retentionTable: root.querySelector("[data-table=retention] tbody"),
};
const plots = new Map(); // chart element -> its uPlot

function duration(seconds) {
  const total = Math.round(seconds);
  const [h, m, s] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60];
  const pad = (n) => String(n).padStart(2, "0");
  return h ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

function count(n) {
  return n.toLocaleString("en");
}

function showError(message) {
  ui.error.textContent = message;
  ui.error.hidden = !message;
}

function axis(values) {
  const style = {
    stroke: COLORS.axis,
    grid: { stroke: COLORS.grid, width: 1 },
    ticks: { stroke: COLORS.grid, width: 1 },
  };
  return values ? { ...style, values } : style;
}

// Whole numbers on the count axis, from zero, with some room above the top value.
const countScale = { range: (_u, _min, max) => [0, Math.max(4, Math.ceil(max * 1.15))] };
const countAxis = {
  ...axis((_u, ticks) => ticks.map((t) => (Number.isInteger(t) ? count(t) : ""))),
  incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 1e5, 1e6, 1e7],
};

function draw(element, options, data) {
  plots.get(element)?.destroy();
  const width = Math.max(280, element.clientWidth);
  const plot = new window.uPlot({ width, height: HEIGHT, ...options }, data, element);
  plots.set(element, plot);
  element.dataset.ready = "true";
}

function drawViews(series) {
  const daily = series.bucket === "day";
  const size = daily ? 86400 : 3600;
  // Each bar in the middle of its hour or day, so the first and the last are drawn whole.
  const xs = series.points.map((p) => Date.parse(p.start) / 1000 + size / 2);
  const ys = series.points.map((p) => p.views);
  const label = (start) => {
    const at = new Date(start * 1000);
    if (daily) return at.toISOString().slice(0, 10);
    return at.toLocaleString("en", { dateStyle: "medium", timeStyle: "short" });
  };
  const span = (_u, min, max) => [min - size / 2, max + size / 2];
  const options = {
    scales: { x: { time: true, range: span }, y: countScale },
    series: [
      {
        label: daily ? "Day (UTC)" : "Hour",
        value: (_u, v) => (v == null ? "–" : label(v - size / 2)),
      },
      {
        label: "Views",
        stroke: COLORS.line,
        fill: COLORS.line,
        width: 0,
        paths: window.uPlot.paths.bars({ size: [0.8, 48] }),
        points: { show: false },
      },
    ],
    axes: [axis(), countAxis],
  };
  if (daily) options.tzDate = (ts) => window.uPlot.tzDate(new Date(ts * 1000), "Etc/UTC");
  draw(ui.viewsChart, options, [xs, ys]);
  ui.viewsChart.dataset.total = String(ys.reduce((a, b) => a + b, 0));
  ui.viewsChart.dataset.bucket = series.bucket;
  ui.viewsHead.textContent = daily ? "Day (UTC)" : "Hour";
  fillTable(
    ui.viewsTable,
    series.points.slice().reverse().map((p) => [label(Date.parse(p.start) / 1000), count(p.views)]),
  );
}

function drawRetention(retention, videoDuration) {
  const step = retention.clip_seconds;
  const viewers = retention.viewers;
  const xs = viewers.map((_, i) => i * step);
  const ys = viewers.slice();
  // One more point where the video ends, so the last clip's step has its width.
  const end = videoDuration || viewers.length * step;
  if (viewers.length && end > xs[xs.length - 1]) {
    xs.push(end);
    ys.push(viewers[viewers.length - 1]);
  }
  const options = {
    scales: { x: { time: false }, y: countScale },
    series: [
      { label: "Time", value: (_u, v) => (v == null ? "–" : duration(v)) },
      {
        label: "Viewers",
        stroke: COLORS.line,
        fill: COLORS.fill,
        width: 2,
        paths: window.uPlot.paths.stepped({ align: 1 }),
        points: { show: false },
      },
    ],
    axes: [axis((_u, ticks) => ticks.map((t) => duration(t))), countAxis],
  };
  draw(ui.retentionChart, options, [xs, ys]);
  ui.retentionChart.dataset.points = JSON.stringify(viewers);
  const first = viewers[0] || 0;
  fillTable(
    ui.retentionTable,
    viewers.map((n, i) => [
      duration(i * step),
      count(n),
      first ? `${Math.round((100 * n) / first)} %` : "–",
    ]),
  );
}

function fillTable(body, rows) {
  body.replaceChildren(
    ...rows.map((cells) => {
      const row = document.createElement("tr");
      for (const text of cells) {
        const cell = document.createElement("td");
        cell.textContent = text;
        row.append(cell);
      }
      return row;
    }),
  );
}

function fillStats(data) {
  ui.stats.views.textContent = count(data.views);
  ui.stats.likes.textContent = count(data.likes);
  ui.stats.dislikes.textContent = count(data.dislikes);
  ui.stats.watch.textContent = duration(data.watch_seconds);
  ui.stats.average.textContent = data.views ? duration(data.watch_seconds / data.views) : "–";
  for (const [name, node] of Object.entries(ui.stats)) {
    if (name in data) node.dataset.value = String(data[name]);
  }
  ui.stats.watch.dataset.value = String(data.watch_seconds);
}

async function load(bucket) {
  for (const button of ui.buckets) {
    button.setAttribute("aria-pressed", String(button.dataset.bucket === bucket));
  }
  let data;
  try {
    data = await api(`/api/v1/videos/${encodeURIComponent(videoId)}/analytics?bucket=${bucket}`);
  } catch (failure) {
    showError(failure.message);
    return;
  }
  showError("");
  fillStats(data);
  drawViews(data.views_over_time);
  drawRetention(data.retention, data.duration);
  root.dataset.loaded = "true";
}

function firstBucket() {
  const asked = new URLSearchParams(window.location.search).get("bucket");
  if (asked === "hour" || asked === "day") return asked;
  const age = (Date.now() - Date.parse(root.dataset.createdAt)) / 3_600_000;
  return age < FRESH_HOURS ? "hour" : "day";
}

for (const button of ui.buckets) {
  button.addEventListener("click", () => {
    const url = new URL(window.location.href);
    url.searchParams.set("bucket", button.dataset.bucket);
    window.history.replaceState(null, "", url);
    load(button.dataset.bucket);
  });
}

// Charts follow their box's width (the page is fluid, phones included).
const resized = new ResizeObserver((entries) => {
  for (const entry of entries) {
    const plot = plots.get(entry.target);
    const width = Math.max(280, Math.floor(entry.contentRect.width));
    if (plot && plot.width !== width) plot.setSize({ width, height: HEIGHT });
  }
});
resized.observe(ui.viewsChart);
resized.observe(ui.retentionChart);

load(firstBucket());
