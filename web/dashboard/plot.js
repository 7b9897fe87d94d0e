/* plot.js - draws the dashboard's two charts on a <canvas>, no library.
 *
 * plotSeries(canvas, series, opts) clears the canvas and draws each series
 * ({label, color, points: [[unixSeconds, value], ...]}) as a line, or as
 * bars when opts.bars, over the window [opts.from, opts.to] (unix seconds).
 * The y axis starts at 0 and ends at a round number above the largest value;
 * the x axis is labelled with wall-clock times. Drawing is sized for the
 * screen's devicePixelRatio so lines stay sharp. */
'use strict';

const Plot = (() => {
  const AXIS = '#8b949e';
  const GRID = '#30363d';
  const TEXT = '#c9d1d9';

  // 1, 2, 5 x 10^n at or above v.
  function niceCeil(v) {
    if (v <= 0) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
    return 10 * p;
  }

  function clockLabel(t) {
    const d = new Date(t * 1000);
    return d.toTimeString().slice(0, 8);
  }

  // The canvas's drawing buffer follows its CSS size and the pixel ratio.
  function prepare(canvas) {
    const ratio = window.devicePixelRatio || 1;
    const cssW = canvas.clientWidth || canvas.width;
    const cssH = canvas.clientHeight || canvas.height;
    if (canvas.width !== Math.round(cssW * ratio) || canvas.height !== Math.round(cssH * ratio)) {
      canvas.width = Math.round(cssW * ratio);
      canvas.height = Math.round(cssH * ratio);
    }
    const ctx = canvas.getContext('2d');
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, cssW, cssH);
    return { ctx, w: cssW, h: cssH };
  }

  function plotSeries(canvas, series, opts) {
    const { ctx, w, h } = prepare(canvas);
    const left = 44, right = 8, top = 8, bottom = 22;
    const pw = w - left - right, ph = h - top - bottom;
    const from = opts.from, to = Math.max(opts.to, opts.from + 1);
    let max = 0;
    for (const s of series)
      for (const [t, v] of s.points) if (t >= from && t <= to && v > max) max = v;
    const ymax = niceCeil(max);
    const x = (t) => left + ((t - from) / (to - from)) * pw;
    const y = (v) => top + ph - (v / ymax) * ph;

    ctx.font = '11px system-ui, sans-serif';
    ctx.lineWidth = 1;
    // horizontal grid: 0, 1/2, 1 of the top
    for (const frac of [0, 0.5, 1]) {
      const v = ymax * frac;
      ctx.strokeStyle = GRID;
      ctx.beginPath();
      ctx.moveTo(left, y(v) + 0.5);
      ctx.lineTo(left + pw, y(v) + 0.5);
      ctx.stroke();
      ctx.fillStyle = AXIS;
      ctx.textAlign = 'right';
      ctx.textBaseline = 'middle';
      ctx.fillText(Number.isInteger(v) ? String(v) : v.toFixed(1), left - 6, y(v));
    }
    // time labels at the ends and the middle
    ctx.textBaseline = 'top';
    for (const [t, align] of [[from, 'left'], [(from + to) / 2, 'center'], [to, 'right']]) {
      ctx.textAlign = align;
      ctx.fillText(clockLabel(t), x(t), top + ph + 6);
    }

    const barW = Math.max(1, pw / (to - from) - 1);
    for (const s of series) {
      ctx.strokeStyle = s.color;
      ctx.fillStyle = s.color;
      ctx.lineWidth = 2;
      const pts = s.points.filter(([t]) => t >= from && t <= to);
      if (opts.bars) {
        for (const [t, v] of pts) ctx.fillRect(x(t) - barW / 2, y(v), barW, y(0) - y(v));
        continue;
      }
      ctx.beginPath();
      pts.forEach(([t, v], i) => (i ? ctx.lineTo(x(t), y(v)) : ctx.moveTo(x(t), y(v))));
      ctx.stroke();
    }
    if (max === 0) {
      ctx.fillStyle = TEXT;
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.fillText(opts.empty || 'nothing yet', left + pw / 2, top + ph / 2);
    }
  }

  return { plotSeries };
})();
