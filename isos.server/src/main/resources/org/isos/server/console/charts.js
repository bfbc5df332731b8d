// Small SVG charts drawn with the DOM (no library, nothing inline that the CSP would refuse).
const SVG = 'http://www.w3.org/2000/svg';

function el(name, attributes = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attributes)) {
    node.setAttribute(k, String(v));
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

/**
 * A bar chart of a ledger series: one bar per bucket from `since` to now (empty buckets drawn as gaps).
 * points: [{start, value}] with value in micro-credits; bucketMillis: the width of one bucket.
 * The SVG carries data-total-micros (the sum of the values) and data-points (how many buckets hold money),
 * so a reader (a person hovering, or a test) can check it against the ledger.
 */
export function barChart({ points, since, bucketMillis, title, format }) {
  const width = 860;
  const height = 220;
  const left = 70;
  const bottom = 30;
  const top = 28;
  const start = Math.floor(Date.parse(since) / bucketMillis) * bucketMillis;
  const end = Math.floor(Date.now() / bucketMillis) * bucketMillis;
  const count = Math.max(1, Math.round((end - start) / bucketMillis) + 1);
  const values = new Array(count).fill(0);
  let total = 0;
  for (const p of points) {
    const i = Math.round((Date.parse(p.start) - start) / bucketMillis);
    if (i >= 0 && i < count) {
      values[i] += p.value;
    }
    total += p.value;
  }
  const max = Math.max(1, ...values);
  const svg = el('svg', {
    viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `${title}: total ${format(total)}`,
    'data-total-micros': total, 'data-points': points.filter(p => p.value !== 0).length,
  });
  svg.append(el('text', { x: left, y: 16, class: 'total' }, `${title} — total ${format(total)} credits`));
  const plotHeight = height - top - bottom;
  const plotWidth = width - left - 10;
  const slot = plotWidth / count;
  svg.append(el('line', { x1: left, y1: top + plotHeight, x2: width - 10, y2: top + plotHeight, class: 'axis' }));
  svg.append(el('line', { x1: left, y1: top, x2: left, y2: top + plotHeight, class: 'axis' }));
  svg.append(el('text', { x: left - 6, y: top + 4, 'text-anchor': 'end' }, format(max)));
  svg.append(el('text', { x: left - 6, y: top + plotHeight, 'text-anchor': 'end' }, '0'));
  values.forEach((v, i) => {
    if (v <= 0) return;
    const h = Math.max(1, (v / max) * plotHeight);
    const x = left + i * slot + slot * 0.1;
    const bar = el('rect', {
      x: x.toFixed(2), y: (top + plotHeight - h).toFixed(2), width: Math.max(1, slot * 0.8).toFixed(2),
      height: h.toFixed(2), class: 'bar', 'data-start': new Date(start + i * bucketMillis).toISOString(),
      'data-micros': v,
    });
    bar.append(el('title', {}, `${new Date(start + i * bucketMillis).toISOString()}: ${format(v)} credits`));
    svg.append(bar);
  });
  const labels = Math.min(count, 6);
  for (let k = 0; k < labels; k++) {
    const i = Math.round(k * (count - 1) / Math.max(1, labels - 1));
    const t = new Date(start + i * bucketMillis).toISOString();
    const label = bucketMillis >= 86400000 ? t.slice(5, 10) : t.slice(5, 10) + ' ' + t.slice(11, 16);
    const anchor = k === 0 ? 'start' : k === labels - 1 ? 'end' : 'middle';
    const x = k === 0 ? left : k === labels - 1 ? width - 10 : left + (i + 0.5) * slot;
    svg.append(el('text', { x: x.toFixed(2), y: height - 10, 'text-anchor': anchor }, label));
  }
  return svg;
}
