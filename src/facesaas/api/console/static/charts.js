// Small SVG charts drawn here, with no chart library: stacked bars per day, horizontal bars per
// endpoint, and the similarity bar with its threshold ladder. Every mark carries data-*
// attributes (what it shows) and a <title> (the tooltip).
'use strict';

const Charts = (() => {
  const { el } = Console;
  const PALETTE = ['#2563eb', '#f59e0b', '#10b981', '#ef4444', '#8b5cf6', '#06b6d4', '#ec4899', '#84cc16', '#64748b', '#f97316'];

  const color = (index) => PALETTE[index % PALETTE.length];

  /** A round axis maximum ≥ ``value`` and its tick step (1, 2 or 5 × 10^k). */
  function niceScale(value, ticks = 4) {
    if (value <= 0) return { max: ticks, step: 1 };
    const raw = value / ticks;
    const power = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
    const wholeStep = Math.max(1, step);
    return { max: Math.ceil(value / wholeStep) * wholeStep, step: wholeStep };
  }

  /** Stacked bars: ``labels`` on x, one series per stack layer ({name, values[]}). */
  function stackedBars(container, labels, series, { height = 260, unit = 'calls' } = {}) {
    const width = 1100;
    const margin = { top: 12, right: 12, bottom: 28, left: 48 };
    const plotW = width - margin.left - margin.right;
    const plotH = height - margin.top - margin.bottom;
    const totals = labels.map((_, i) => series.reduce((sum, s) => sum + (s.values[i] || 0), 0));
    const { max, step } = niceScale(Math.max(0, ...totals));
    const y = (v) => margin.top + plotH - (v / max) * plotH;
    const slot = plotW / Math.max(1, labels.length);
    const barW = Math.max(2, slot * 0.7);
    const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `${unit} per day` });
    for (let v = 0; v <= max; v += step) {
      svg.append(el('line', { x1: margin.left, x2: width - margin.right, y1: y(v), y2: y(v), stroke: '#e5e7eb' }),
        el('text', { x: margin.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, Console.formatNumber(v)));
    }
    labels.forEach((label, i) => {
      const x = margin.left + i * slot + (slot - barW) / 2;
      let base = 0;
      series.forEach((s, k) => {
        const value = s.values[i] || 0;
        if (!value) return;
        svg.append(el('rect', {
          x, width: barW, y: y(base + value), height: Math.max(1, y(base) - y(base + value)), fill: color(k), rx: 1,
          class: 'bar', dataset: { label, series: s.name, value },
        }, el('title', {}, `${label} · ${s.name}: ${Console.formatNumber(value)} ${unit}`)));
        base += value;
      });
      if (labels.length <= 12 || i % Math.ceil(labels.length / 16) === 0 || i === labels.length - 1) {
        svg.append(el('text', { x: x + barW / 2, y: height - 8, 'text-anchor': 'middle' }, label));
      }
    });
    svg.append(el('line', { x1: margin.left, x2: width - margin.right, y1: y(0), y2: y(0), stroke: '#9ca3af' }));
    container.replaceChildren(svg);
  }

  /** Horizontal bars, one per item ({name, value}), longest first as given. */
  function horizontalBars(container, items, { unit = 'calls' } = {}) {
    const width = 1100;
    const rowH = 26;
    const left = 330;
    const height = Math.max(1, items.length) * rowH + 8;
    const max = Math.max(1, ...items.map((item) => item.value));
    const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `${unit} per endpoint` });
    items.forEach((item, i) => {
      const yTop = 4 + i * rowH;
      const w = ((width - left - 90) * item.value) / max;
      svg.append(
        el('text', { x: left - 8, y: yTop + 16, 'text-anchor': 'end' }, item.name),
        el('rect', { x: left, y: yTop + 3, width: Math.max(item.value ? 2 : 0, w), height: rowH - 8, fill: color(item.index ?? i),
          rx: 2, class: 'bar', dataset: { label: item.name, value: item.value } },
        el('title', {}, `${item.name}: ${Console.formatNumber(item.value)} ${unit}`)),
        el('text', { x: left + w + 6, y: yTop + 16 }, Console.formatNumber(item.value)));
    });
    if (!items.length) svg.append(el('text', { x: width / 2, y: 18, 'text-anchor': 'middle' }, 'no calls'));
    container.replaceChildren(svg);
  }

  /** The 0–100 similarity scale, each threshold marked, and the measured similarity (or none). */
  function ladder(container, similarity, thresholds) {
    const width = 1100;
    const height = 130;
    const left = 20;
    const right = 20;
    const barY = 48;
    const barH = 22;
    const x = (v) => left + ((width - left - right) * v) / 100;
    const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'similarity and thresholds' });
    svg.append(el('rect', { x: x(0), y: barY, width: x(100) - x(0), height: barH, fill: '#e5e7eb', rx: 4 }));
    if (similarity !== null && similarity !== undefined) {
      const passed = thresholds.filter((t) => similarity >= t.similarity).length;
      const fill = passed === thresholds.length ? '#10b981' : passed ? '#f59e0b' : '#ef4444';
      svg.append(el('rect', { x: x(0), y: barY, width: x(similarity) - x(0), height: barH, fill, rx: 4, id: 'similarity-bar',
        dataset: { similarity } }, el('title', {}, `similarity ${similarity.toFixed(2)}`)),
      el('text', { x: x(similarity), y: barY - 8, 'text-anchor': 'middle', 'font-weight': 700 }, similarity.toFixed(2)));
    }
    // The lowest threshold's label goes lowest, so no marker line crosses another's label.
    const ordered = [...thresholds].sort((a, b) => a.similarity - b.similarity);
    ordered.forEach((t, i) => {
      const row = ordered.length - 1 - i;
      svg.append(el('line', { x1: x(t.similarity), x2: x(t.similarity), y1: barY - 4, y2: barY + barH + 8 + row * 15, stroke: '#111827',
        'stroke-width': 2, class: 'threshold', dataset: { rate: t.true_negative_rate, similarity: t.similarity } }),
      el('text', { x: x(t.similarity) + 5, y: barY + barH + 16 + row * 15 },
        `true_negative_rate ${t.true_negative_rate} %: ${t.similarity.toFixed(2)}`));
    });
    for (const v of [0, 25, 50, 75, 100]) {
      svg.append(el('text', { x: x(v), y: 20, 'text-anchor': v === 0 ? 'start' : v === 100 ? 'end' : 'middle' }, String(v)));
    }
    container.replaceChildren(svg);
  }

  return { color, stackedBars, horizontalBars, ladder, niceScale };
})();
