// flexcord reports: reads /reports/data.json and draws it with Chart.js (vendored, see VENDORED.md).
"use strict";

const COLORS = ["#5865f2", "#f0b232", "#23a55a", "#eb459e", "#3ba2d0", "#ed4245", "#9b59b6", "#8d6e63"];
const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const charts = {};

function duration(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? ` ${String(s % 60).padStart(2, "0")}s` : ""}`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

function text(id, value) { document.getElementById(id).textContent = value; }

function draw(id, config) {
  if (charts[id]) charts[id].destroy();
  config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options);
  charts[id] = new Chart(document.getElementById(id), config);
}

function days(opened) {
  const seen = opened.map((o) => o.day).sort();
  if (!seen.length) return [];
  const out = [];
  for (let d = new Date(seen[0] + "T00:00:00Z"); d <= new Date(seen[seen.length - 1] + "T00:00:00Z");
    d.setUTCDate(d.getUTCDate() + 1)) out.push(d.toISOString().slice(0, 10));
  return out;
}

function perDay(opened, key) {
  const labels = days(opened);
  const names = [...new Set(opened.map((o) => o[key]))].sort();
  const datasets = names.map((name, i) => ({
    label: name === "-" ? "(no queue)" : name,
    backgroundColor: COLORS[i % COLORS.length],
    data: labels.map((day) => opened.filter((o) => o.day === day && o[key] === name)
      .reduce((sum, o) => sum + o.count, 0)),
  }));
  return { labels, datasets };
}

function stacked() {
  return { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } };
}

function headline(data) {
  text("period", `${data.since.slice(0, 16).replace("T", " ")} → ${data.until.slice(0, 16).replace("T", " ")} UTC · days in ${data.timezone}`);
  text("total-cases", data.cases);
  text("waiting", `${duration(data.waiting.median_s)} · ${duration(data.waiting.p90_s)}`);
  text("waiting-note", `${data.waiting.count} joined, ${data.waiting.pending} still waiting`);
  text("resolution", `${duration(data.resolution.median_s)} · ${duration(data.resolution.p90_s)}`);
  text("resolution-note", `${data.resolution.count} closed, ${data.resolution.pending} still open`);
  const csat = data.satisfaction;
  text("csat", csat.average === null ? "–" : `${csat.average.toFixed(2)} / 5`);
  text("csat-note", `${csat.count} ratings`);
  const faq = data.faq;
  text("deflection", faq.answers ? `${Math.round((100 * faq.solved) / faq.answers)}%` : "–");
  text("faq-note", `${faq.solved} of ${faq.answers} answers`);
}

function lists(data) {
  const sla = document.querySelector("#sla tbody");
  sla.replaceChildren(...data.sla.map((t) => {
    const row = document.createElement("tr");
    const kind = t.kind === "first_response" ? "agent joins" : "case closed";
    for (const cell of [t.queue, `${kind} within ${duration(t.target_s)}`, `${t.breached} of ${t.checked}`]) {
      const td = document.createElement("td");
      td.textContent = cell;
      row.append(td);
    }
    if (t.breached) row.lastChild.className = "miss";
    return row;
  }));
  if (!data.sla.length) sla.innerHTML = "<tr><td colspan=3 class=muted>No queue sets <code>sla:</code> in your routes.</td></tr>";
  const items = (list, render, empty) => list.length ? list.map((x) => {
    const li = document.createElement("li");
    li.textContent = render(x);
    return li;
  }) : [Object.assign(document.createElement("li"), { textContent: empty, className: "muted" })];
  document.getElementById("breaches").replaceChildren(...items(data.breaches,
    (b) => `${b.case} (${b.queue}): ${b.kind === "first_response" ? "wait" : "resolution"} ${b.took_s === null ? "not done yet" : duration(b.took_s)}, target ${duration(b.target_s)}`,
    "None"));
  document.getElementById("gaps").replaceChildren(...(data.gaps === null
    ? items([], null, "Not recorded yet: this store keeps no record of the FAQ bot's questions.")
    : items(data.gaps, (g) => `${g.question} (${g.count}×)`, "None")));
}

function render(data) {
  headline(data);
  draw("chart-opened", { type: "bar", data: perDay(data.opened, "template"), options: stacked() });
  draw("chart-queues", { type: "bar", data: perDay(data.opened, "queue"), options: stacked() });
  const ratings = ["1", "2", "3", "4", "5"];
  draw("chart-csat", { type: "bar", data: { labels: ratings.map((r) => `${r}★`),
    datasets: [{ label: "ratings", backgroundColor: COLORS[1], data: ratings.map((r) => data.satisfaction.distribution[r]) }] },
    options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } } });
  draw("chart-faq", { type: "doughnut", data: { labels: ["said it solved it", "asked for an agent", "gave up"],
    datasets: [{ backgroundColor: [COLORS[2], COLORS[0], "#9ca3af"], data: [data.faq.solved, data.faq.escalated, data.faq.gave_up] }] } });
  const minutes = (s) => (s === null ? null : Math.round(s / 6) / 10);
  draw("chart-times", { type: "bar", data: { labels: ["wait for an agent", "time to resolution"], datasets: [
    { label: "median", backgroundColor: COLORS[0], data: [minutes(data.waiting.median_s), minutes(data.resolution.median_s)] },
    { label: "90th percentile", backgroundColor: COLORS[3], data: [minutes(data.waiting.p90_s), minutes(data.resolution.p90_s)] }] },
    options: { indexAxis: "y", scales: { x: { type: "logarithmic", title: { display: true, text: "minutes (log scale)" } } } } });
  const hours = data.hours;
  const most = Math.max(1, ...hours.map((c) => c.count));
  draw("chart-hours", { type: "bar", data: { labels: hours.map((c) => `${WEEKDAYS[c.weekday]} ${String(c.hour).padStart(2, "0")}h`),
    datasets: [
      { label: "cases", backgroundColor: hours.map((c) => (c.open ? COLORS[0] : COLORS[5])), data: hours.map((c) => c.count) },
      { label: "business hours", backgroundColor: "rgba(35,165,90,0.15)", data: hours.map((c) => (c.open ? most : 0)),
        grouped: false, order: 1 }] },
    options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } }, x: { ticks: { autoSkip: true, maxTicksLimit: 28 } } } } });
  lists(data);
  document.body.dataset.loaded = String(Number(document.body.dataset.loaded || 0) + 1);
}

async function load() {
  const since = document.getElementById("since").value;
  const answer = await fetch(`/reports/data.json?since=${encodeURIComponent(since)}`, { credentials: "same-origin" });
  if (!answer.ok) { text("period", `Could not load the report (${answer.status}).`); return; }
  render(await answer.json());
}

document.getElementById("since").addEventListener("change", load);
load();
