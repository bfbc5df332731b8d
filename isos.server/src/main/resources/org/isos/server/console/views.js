// The console's views: each fetches what it shows from the API and builds its DOM (text only, never HTML
// from data, so nothing a buyer or host names itself can run as script here).
import { api, credits, bytes, when } from './api.js';
import { barChart } from './charts.js';

export function h(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attributes)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) {
      node.addEventListener(k.slice(2), v);
    } else {
      node.setAttribute(k, v === true ? '' : String(v));
    }
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function badge(text, kind = text) {
  return h('span', { class: 'badge ' + kind }, text);
}

function table(id, headers, rows, empty) {
  if (rows.length === 0) {
    return h('p', { id, class: 'muted' }, empty);
  }
  return h('table', { id },
    h('thead', {}, h('tr', {}, headers.map(([label, cls]) => h('th', { class: cls }, label)))),
    h('tbody', {}, rows));
}

const CATEGORIES = ['compute', 'storage', 'streaming'];

export function policyText(p) {
  if (!p) return '–';
  return `CPU ≤ ${Math.round(p.maxCpuShare * 100)} %, storage ${bytes(p.storageQuotaBytes)}, `
    + `bandwidth ${bytes(p.bandwidthCapBytesPerSecond)}/s, ${p.acceptedCategories.join(', ') || 'no category'}, `
    + `min ${credits(p.minimumPricePerHourMicros)}/h`;
}

/** Whether the agent reports running the policy the owner directed (the reserve depends on its hours). */
function applied(directed, reported) {
  if (!directed) return true;
  if (!reported) return false;
  return Math.abs(directed.maxCpuShare - reported.maxCpuShare) < 1e-9
    && directed.storageQuotaBytes === reported.storageQuotaBytes
    && directed.bandwidthCapBytesPerSecond === reported.bandwidthCapBytesPerSecond
    && [...directed.acceptedCategories].sort().join() === [...reported.acceptedCategories].sort().join();
}

// ---------------------------------------------------------------- owners

export async function hostsView(root, refresh) {
  const [hosts, directives, leases] = await Promise.all([api('/v1/hosts'), api('/v1/directives'),
    api('/v1/leases')]);
  const byHost = new Map(directives.directives.map(d => [d.hostId, d]));
  const running = new Map();
  for (const lease of leases.leases) {
    if (lease.state === 'ACTIVE' || lease.state === 'PENDING') {
      if (!running.has(lease.hostId)) running.set(lease.hostId, []);
      running.get(lease.hostId).push(lease);
    }
  }
  const editor = h('div', { id: 'policy-editor' });
  const message = h('p', { id: 'host-message', class: 'message', role: 'status' });
  const rows = hosts.hosts.map(host => {
    const d = byHost.get(host.hostId) || { revision: 0, paused: false, policy: null };
    const ok = applied(d.policy, host.policy);
    const work = running.get(host.hostId) || [];
    const suspended = host.suspended === null ? badge('unknown', 'PENDING')
      : host.suspended ? badge('suspended', 'suspended') : badge('running', 'running');
    return h('tr', { 'data-host-id': host.hostId, 'data-status': host.status, 'data-suspended': String(host.suspended),
      'data-paused': String(d.paused), 'data-revision': d.revision, 'data-applied': String(ok) },
      h('td', {}, h('code', {}, host.hostId), h('div', { class: 'muted' },
        host.description ? `${host.description.cpuModel || ''} · ${host.description.logicalCores || '?'} cores` : '')),
      h('td', {}, badge(host.status), h('div', { class: 'muted' }, 'seen ' + when(host.lastHeartbeat))),
      h('td', { class: 'suspension' }, suspended, d.paused ? [' ', badge('paused by you', 'paused')] : null,
        host.suspended && host.suspendedReason ? h('div', { class: 'muted' }, host.suspendedReason) : null),
      h('td', { class: 'policy-text reported-policy' }, policyText(host.policy),
        d.policy ? h('div', { class: ok ? 'muted applied' : 'message pending' },
          ok ? `your policy (revision ${d.revision}) is in force` : `waiting for the agent to apply revision ${d.revision}`) : null),
      h('td', { class: 'leases' }, work.length === 0 ? h('span', { class: 'muted' }, 'nothing')
        : work.map(l => h('div', {}, badge(l.state), ' ', l.app, ' ', h('span', { class: 'muted' }, `(${l.category || 'any'}, until ${when(l.expiry)})`)))),
      h('td', {},
        h('button', { type: 'button', class: 'edit-policy', onclick: () => showEditor(editor, host, d, message, refresh) }, 'Edit policy'), ' ',
        h('button', { type: 'button', class: 'pause', 'data-action': d.paused ? 'resume' : 'pause',
          onclick: async () => {
            try {
              await api(`/v1/hosts/${encodeURIComponent(host.hostId)}/${d.paused ? 'resume' : 'pause'}`, { method: 'POST' });
              message.className = 'message ok';
              message.textContent = `${host.hostId} ${d.paused ? 'resumes' : 'pauses'} at its next heartbeat`;
              refresh();
            } catch (e) {
              message.className = 'message';
              message.textContent = e.message;
            }
          } }, d.paused ? 'Resume' : 'Pause')));
  });
  root.replaceChildren(
    h('h2', {}, 'Your hosts'),
    table('hosts', [['Host'], ['Status'], ['ISOS work'], ['Policy the agent reports'], ['Running on it'], ['']], rows,
      'No hosts yet: start an agent with your token (see isos.agent.host/README.md).'),
    message, editor);
}

function showEditor(editor, host, directive, message, refresh) {
  const p = directive.policy || host.policy || { maxCpuShare: 0.5, storageQuotaBytes: 1073741824,
    bandwidthCapBytesPerSecond: 1048576, acceptedCategories: CATEGORIES, minimumPricePerHourMicros: 0 };
  const input = (id, label, value, extra = {}) => [h('label', { for: id }, label),
    h('input', { id, name: id, type: 'number', value, required: true, ...extra })];
  const form = h('form', { id: 'policy-form', class: 'policy', 'data-host-id': host.hostId },
    input('policy-cpu', 'Max CPU share (%)', Math.round(p.maxCpuShare * 100), { min: 1, max: 100, step: 1 }),
    input('policy-storage', 'Storage quota (MiB)', Math.round(p.storageQuotaBytes / 1048576), { min: 0, step: 1 }),
    input('policy-bandwidth', 'Bandwidth cap (KiB/s)', Math.max(1, Math.round(p.bandwidthCapBytesPerSecond / 1024)), { min: 1, step: 1 }),
    h('span', {}, 'Accepted categories'),
    h('span', {}, CATEGORIES.map(c => h('label', {}, h('input', { type: 'checkbox', name: 'category', value: c,
      checked: p.acceptedCategories.includes(c) }), ' ', c, ' '))),
    input('policy-price', 'Minimum price (credits per hour)', p.minimumPricePerHourMicros / 1e6, { min: 0, step: 0.000001 }),
    h('div', { class: 'actions' },
      h('button', { id: 'policy-save', type: 'submit' }, 'Save policy'),
      h('button', { type: 'button', onclick: () => editor.replaceChildren() }, 'Cancel')),
    h('p', { id: 'policy-message', class: 'message', role: 'status' }));
  form.addEventListener('submit', async event => {
    event.preventDefault();
    const out = form.querySelector('#policy-message');
    const body = {
      maxCpuShare: Number(form.querySelector('#policy-cpu').value) / 100,
      storageQuotaBytes: Math.round(Number(form.querySelector('#policy-storage').value) * 1048576),
      bandwidthCapBytesPerSecond: Math.round(Number(form.querySelector('#policy-bandwidth').value) * 1024),
      acceptedCategories: [...form.querySelectorAll('input[name=category]:checked')].map(c => c.value),
      minimumPricePerHourMicros: Math.round(Number(form.querySelector('#policy-price').value) * 1e6),
    };
    try {
      const d = await api(`/v1/hosts/${encodeURIComponent(host.hostId)}/policy`, { method: 'PUT', body });
      message.className = 'message ok';
      message.textContent = `policy revision ${d.revision} saved for ${host.hostId}; the agent applies it at its next heartbeat`;
      editor.replaceChildren();
      refresh();
    } catch (e) {
      out.className = 'message';
      out.textContent = e.message; // the server says what was wrong
    }
  });
  editor.replaceChildren(h('h3', {}, 'Usage policy of ', h('code', {}, host.hostId)), form);
}

// ---------------------------------------------------------------- money over time

async function seriesChart(root, { id, title, field, bucket }) {
  const series = await api(`/v1/ledger/series?bucket=${bucket}&kind=usage`);
  const points = series.points.map(p => ({ start: p.start, value: p[field] }));
  const chart = barChart({ points, since: series.since, bucketMillis: bucket === 'day' ? 86400000 : 3600000,
    title, format: credits });
  return h('div', { id, class: 'chart', 'data-total-micros': series[field === 'inMicros' ? 'totalInMicros' : 'totalOutMicros'] }, chart);
}

function bucketPicker(current, onChange) {
  return h('p', {}, 'Per ', ['hour', 'day'].map(b => h('button', { type: 'button', class: 'bucket', 'data-bucket': b,
    'aria-pressed': String(b === current), onclick: () => onChange(b) }, b)));
}

export async function earningsView(root, refresh, bucket = 'hour') {
  const [balance, chart] = await Promise.all([api('/v1/balance'),
    seriesChart(root, { id: 'earnings-chart', title: 'Earnings', field: 'inMicros', bucket })]);
  root.replaceChildren(h('h2', {}, 'Earnings'),
    h('div', { class: 'cards' },
      h('div', { class: 'card' }, h('div', { class: 'muted' }, 'Available'), h('div', { class: 'value', id: 'balance-available' }, credits(balance.availableMicros))),
      h('div', { class: 'card' }, h('div', { class: 'muted' }, 'Earned (range shown)'), h('div', { class: 'value', id: 'earned-total' }, credits(Number(chart.dataset.totalMicros))))),
    bucketPicker(bucket, b => earningsView(root, refresh, b)), chart,
    h('p', { class: 'muted' }, 'What your hosts earned for metered work (usage credited to you, after the ISOS fee).'));
}

export async function spendView(root, refresh, bucket = 'hour') {
  const [balance, chart] = await Promise.all([api('/v1/balance'),
    seriesChart(root, { id: 'spend-chart', title: 'Spend', field: 'outMicros', bucket })]);
  root.replaceChildren(h('h2', {}, 'Spend'),
    h('div', { class: 'cards' },
      h('div', { class: 'card' }, h('div', { class: 'muted' }, 'Available'), h('div', { class: 'value', id: 'balance-available' }, credits(balance.availableMicros))),
      h('div', { class: 'card' }, h('div', { class: 'muted' }, 'Held in escrow'), h('div', { class: 'value' }, credits(balance.heldMicros))),
      h('div', { class: 'card' }, h('div', { class: 'muted' }, 'Spent (range shown)'), h('div', { class: 'value', id: 'spent-total' }, credits(Number(chart.dataset.totalMicros))))),
    bucketPicker(bucket, b => spendView(root, refresh, b)), chart,
    h('p', { class: 'muted' }, 'What your leases paid for metered use (from their escrow, then your balance).'));
}

// ---------------------------------------------------------------- buyers

function leaseRows(leases) {
  return leases.map(l => h('tr', { 'data-lease-id': l.id, 'data-state': l.state },
    h('td', {}, h('code', {}, l.id)), h('td', {}, badge(l.state), l.reason ? h('div', { class: 'muted' }, l.reason) : null),
    h('td', {}, l.app), h('td', {}, l.category || 'any'), h('td', {}, h('code', {}, l.hostId)),
    h('td', { class: 'num' }, credits(l.pricePerHourMicros)), h('td', {}, when(l.expiry)),
    h('td', {}, l.transportAddress || '–')));
}

const LEASE_HEADERS = [['Lease'], ['State'], ['App'], ['Category'], ['Host'], ['Price/hour', 'num'], ['Expiry'], ['Transport']];

export async function leasesView(root) {
  const leases = (await api('/v1/leases')).leases;
  root.replaceChildren(h('h2', {}, 'Leases'),
    table('leases', LEASE_HEADERS, leaseRows(leases), 'No leases yet: isos deploy BUNDLE.jar --hosts N.'));
}

export async function jobsView(root) {
  const jobs = (await api('/v1/jobs')).jobs;
  const rows = jobs.map(j => h('tr', { 'data-job-id': j.id, 'data-state': j.state },
    h('td', {}, h('code', {}, j.id)), h('td', {}, j.app), h('td', {}, badge(j.state)),
    h('td', { class: 'num' }, `${j.validated}/${j.units}`), h('td', { class: 'num' }, j.inProgress),
    h('td', { class: 'num' }, j.errors), h('td', { class: 'num' }, `${j.spotChecksPassed}/${j.spotChecks}`),
    h('td', {}, when(j.created))));
  root.replaceChildren(h('h2', {}, 'Jobs'),
    table('jobs', [['Job'], ['App'], ['State'], ['Validated', 'num'], ['In progress', 'num'], ['Errors', 'num'],
      ['Spot checks', 'num'], ['Created']], rows, 'No jobs yet: isos job submit ….'));
}

export async function storageView(root) {
  const leases = (await api('/v1/leases')).leases;
  const of = category => leases.filter(l => l.category === category);
  root.replaceChildren(
    h('h2', {}, 'Backups (storage leases)'),
    table('storage-leases', LEASE_HEADERS, leaseRows(of('storage')), 'No storage leases: isos backup ….'),
    h('h2', {}, 'Streams (streaming leases)'),
    table('streaming-leases', LEASE_HEADERS, leaseRows(of('streaming')), 'No streaming leases: isos stream publish ….'));
}

// ---------------------------------------------------------------- everyone

export async function ledgerView(root) {
  const [balance, ledger] = await Promise.all([api('/v1/balance'), api('/v1/ledger?limit=200')]);
  const rows = ledger.entries.map(e => h('tr', { 'data-kind': e.kind },
    h('td', {}, when(e.posted)), h('td', {}, e.kind), h('td', {}, h('code', {}, e.ledgerAccount)),
    h('td', { class: 'num amount' }, credits(e.amountMicros)), h('td', {}, e.memo), h('td', {}, h('code', { class: 'muted' }, e.transferId))));
  root.replaceChildren(h('h2', {}, 'Balance'),
    h('div', { class: 'cards', id: 'balance' },
      h('div', { class: 'card' }, h('div', { class: 'muted' }, 'Available'), h('div', { class: 'value', 'data-micros': balance.availableMicros }, credits(balance.availableMicros))),
      h('div', { class: 'card' }, h('div', { class: 'muted' }, 'Held in escrow'), h('div', { class: 'value', 'data-micros': balance.heldMicros }, credits(balance.heldMicros)))),
    h('h2', {}, 'Ledger (newest first, last 200 entries)'),
    table('ledger', [['Posted'], ['Kind'], ['Ledger account'], ['Amount', 'num'], ['Memo'], ['Transfer']], rows, 'No entries yet.'));
}
