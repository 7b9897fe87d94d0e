/* app.js - the dashboard's views and their data, over the public API.
 *
 * The API key is asked once and kept in sessionStorage (this tab only,
 * gone when it closes); every call is fetch('/v1/...') with it as a Bearer
 * token, so the page sees exactly what the key's account sees. A 401 forgets
 * the key and asks again. Every text from the API reaches the page through
 * textContent, never as HTML.
 *
 * Views follow the URL's hash: #/ the campaigns list (refreshed every 2 s),
 * #/c/<id> one campaign (polled every second: counters, status, the two
 * charts; the open page of recipients every 3 s while the campaign moves),
 * #/c/<id>/r/<rid> one recipient with its calls and messages.
 * Leaving a view stops its timers.
 *
 * Dispatches per second are counted from the campaign's newest calls (voice)
 * or messages (sms, whatsapp): each poll reads the newest page and buckets
 * the ids not seen before by the second of their created_at, the instant of
 * the dial or send. Dispositions over time are the counters' dispositions
 * sampled at each poll. */
'use strict';

const KEY_SLOT = 'campaignd.api_key';
const RATE_WINDOW = 120; // seconds on the rate chart
const DISP_COLORS = {
  completed: '#3fb950', sent: '#3fb950', delivered: '#2ea043', read: '#56d364',
  no_answer: '#d29922', busy: '#db6d28', voicemail: '#a371f7', failed: '#f85149',
  undelivered: '#da3633', cancelled: '#8b949e', opted_out: '#6e7681', expired: '#484f58',
  missing_param: '#bc8cff', unknown: '#e3b341',
};

const $ = (id) => document.getElementById(id);
const timers = [];
let viewToken = 0; // bumped on each view change: late answers of the old view are dropped

// ---------- the API ----------

class ApiError extends Error {
  constructor(status, err) {
    super(err && err.message ? err.message : 'HTTP ' + status);
    this.status = status;
    this.code = err ? err.code : null;
  }
}

function apiKey() { return sessionStorage.getItem(KEY_SLOT); }

function randomKey() {
  const b = new Uint8Array(12);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

async function api(method, path, opts = {}) {
  const headers = Object.assign({ Authorization: 'Bearer ' + apiKey() }, opts.headers || {});
  let body = opts.body;
  if (opts.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.json);
  }
  if (method === 'POST' && !headers['Idempotency-Key']) headers['Idempotency-Key'] = randomKey();
  const r = await fetch(path, { method, headers, body, cache: 'no-store' });
  if (opts.raw) return r;
  let data = null;
  if (r.status !== 204) data = await r.json().catch(() => null);
  if (r.status === 401) {
    forgetKey('The server did not accept this key; enter it again.');
    throw new ApiError(401, data && data.error);
  }
  if (!r.ok) throw new ApiError(r.status, data && data.error);
  return data;
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== '' && v != null) q.set(k, v);
  const s = q.toString();
  return s ? '?' + s : '';
}

// ---------- small helpers ----------

function flash(text, isError) {
  const f = $('flash');
  f.textContent = text;
  f.classList.toggle('error', !!isError);
  f.hidden = !text;
}

function showError(e) {
  if (e instanceof ApiError && e.status === 401) return;
  flash(e.message || String(e), true);
}

function cell(tr, text, cls) {
  const td = document.createElement('td');
  td.textContent = text == null ? '' : String(text);
  if (cls) td.className = cls;
  tr.appendChild(td);
  return td;
}

function linkCell(tr, text, href) {
  const td = document.createElement('td');
  const a = document.createElement('a');
  a.href = href;
  a.textContent = text;
  td.appendChild(a);
  tr.appendChild(td);
  return td;
}

// A table body with nothing to show says so in one muted row.
function emptyRow(body, text) {
  if (body.rows.length) return;
  const tr = document.createElement('tr');
  tr.className = 'empty';
  cell(tr, text, 'muted').colSpan = body.parentElement.tHead.rows[0].cells.length;
  body.appendChild(tr);
}

function statusCell(tr, status) {
  const td = cell(tr, status);
  td.classList.add('status', 'st-' + status);
  return td;
}

function when(t) {
  if (!t) return '';
  return t.replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

const fmt = (n) => (n == null ? '' : Number(n).toLocaleString('en-US'));

// Runs fn now and every ms; a run still waiting for its answers is not
// overlapped by the next (a slow server gets fewer polls, not more).
function every(ms, fn) {
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      await fn();
    } finally {
      busy = false;
    }
  };
  tick();
  timers.push(setInterval(tick, ms));
}

function stopTimers() {
  while (timers.length) clearInterval(timers.pop());
}

function showView(id) {
  for (const v of document.querySelectorAll('main > section')) v.hidden = v.id !== id;
}

// ---------- sign in ----------

function forgetKey(message) {
  sessionStorage.removeItem(KEY_SLOT);
  stopTimers();
  $('signout').hidden = true;
  $('who').textContent = '';
  const err = $('login-error');
  err.textContent = message || '';
  err.hidden = !message;
  $('login-key').value = '';
  showView('view-login');
  $('login-key').focus();
}

async function signIn(ev) {
  ev.preventDefault();
  const key = $('login-key').value.trim();
  if (!key) return;
  sessionStorage.setItem(KEY_SLOT, key);
  try {
    await api('GET', '/v1/campaigns?page_size=1');
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 401)) forgetKey(e.message);
    return;
  }
  $('login-key').value = '';
  route();
}

// ---------- campaigns list ----------

let listNext = null;

function campaignRow(c) {
  const tr = document.createElement('tr');
  tr.dataset.id = c.id;
  linkCell(tr, c.name, '#/c/' + encodeURIComponent(c.id));
  statusCell(tr, c.status);
  cell(tr, c.channel);
  for (const k of ['total', 'queued', 'dispatched', 'succeeded', 'failed'])
    cell(tr, fmt(c.counters[k]), 'num n-' + k);
  cell(tr, when(c.created_at));
  return tr;
}

async function loadCampaigns(append) {
  const token = viewToken;
  const params = { page_size: 50, status: $('list-status').value };
  if (append) params.page_token = listNext;
  const page = await api('GET', '/v1/campaigns' + query(params));
  if (token !== viewToken) return;
  const body = $('campaigns').tBodies[0];
  if (!append) body.replaceChildren();
  for (const c of page.data) body.appendChild(campaignRow(c));
  listNext = page.next_page_token;
  $('campaigns-more').hidden = !listNext;
  $('campaigns-empty').hidden = body.rows.length > 0;
  $('view-list').dataset.loaded = '1';
}

function showList() {
  showView('view-list');
  document.title = 'Campaigns · campaignd';
  let extraPages = false;
  $('campaigns-more').onclick = () => {
    extraPages = true;
    loadCampaigns(true).catch(showError);
  };
  $('list-status').onchange = () => {
    extraPages = false;
    loadCampaigns(false).catch(showError);
  };
  // refresh the first page while no further page was opened
  every(2000, () => (extraPages ? null : loadCampaigns(false).catch(showError)));
}

// ---------- one campaign ----------

const state = {}; // the open campaign's data between polls

function resetCampaignState(id) {
  state.id = id;
  state.campaign = null;
  state.seen = new Map(); // call or message id -> created second
  state.buckets = new Map(); // second -> dispatches
  state.dispatches = 0;
  state.samples = []; // [second, dispositions]
  state.pageTokens = [null]; // recipients: token of each page opened
  state.pageIndex = 0;
  state.polls = 0;
}

function renderCampaign(c) {
  state.campaign = c;
  $('c-name').textContent = c.name;
  const st = $('c-status');
  st.textContent = c.status;
  st.className = 'status st-' + c.status;
  $('c-channel').textContent = c.channel;
  $('c-id').textContent = c.id;
  $('c-agent').textContent = c.agent_id;
  for (const k of ['total', 'queued', 'dispatched', 'succeeded', 'failed']) {
    $('n-' + k).textContent = fmt(c.counters[k]);
    $('n-' + k).dataset.value = c.counters[k];
  }
  const disp = c.counters.dispositions || {};
  const body = $('dispositions').tBodies[0];
  body.replaceChildren();
  for (const [name, n] of Object.entries(disp).sort()) {
    if (!n) continue;
    const tr = document.createElement('tr');
    tr.dataset.disposition = name;
    cell(tr, name);
    cell(tr, fmt(n), 'num').dataset.value = n;
    body.appendChild(tr);
  }
  emptyRow(body, 'no outcomes yet');
  const s = c.status;
  $('act-start').disabled = s !== 'draft';
  $('act-pause').disabled = s !== 'running';
  $('act-resume').disabled = s !== 'paused';
  $('act-cancel').disabled = !['draft', 'running', 'paused'].includes(s);
  $('upload-start').disabled = !['draft', 'running', 'paused'].includes(s);
  document.title = c.name + ' · campaignd';
  $('view-campaign').dataset.loaded = '1';
}

// Reads the newest attempts and buckets the ones not seen yet by second.
async function countDispatches(c) {
  const path = c.channel === 'voice' ? '/v1/calls' : '/v1/messages';
  let token = null;
  for (let pages = 0; pages < 5; pages++) {
    const page = await api('GET', path + query({ campaign_id: c.id, page_size: 200, page_token: token }));
    let fresh = 0;
    for (const a of page.data) {
      if (state.seen.has(a.id)) continue;
      const sec = Math.floor(Date.parse(a.created_at) / 1000);
      state.seen.set(a.id, sec);
      state.buckets.set(sec, (state.buckets.get(sec) || 0) + 1);
      state.dispatches++;
      fresh++;
    }
    // a page of nothing but new attempts: more may hide on the next one
    if (fresh < page.data.length || !page.next_page_token) break;
    token = page.next_page_token;
  }
  // forget ids that fell out of the window: the newest page never holds them again
  const oldest = Date.now() / 1000 - 2 * RATE_WINDOW;
  for (const [id, sec] of state.seen) if (sec < oldest && state.seen.size > 2000) state.seen.delete(id);
}

function drawCharts() {
  const now = Math.floor(Date.now() / 1000);
  const from = now - RATE_WINDOW;
  const bars = [];
  for (let t = from; t <= now; t++) if (state.buckets.has(t)) bars.push([t, state.buckets.get(t)]);
  const rate = $('chart-rate');
  Plot.plotSeries(rate, [{ label: 'dispatches', color: '#58a6ff', points: bars }],
    { from, to: now, bars: true, empty: 'no dispatches in the last 2 minutes' });
  rate.dataset.dispatches = state.dispatches;

  const names = new Set();
  for (const [, d] of state.samples) for (const k of Object.keys(d)) if (d[k]) names.add(k);
  const series = [...names].sort().map((name) => ({
    label: name,
    color: DISP_COLORS[name] || '#c9d1d9',
    points: state.samples.map(([t, d]) => [t, d[name] || 0]),
  }));
  const first = state.samples.length ? state.samples[0][0] : now - 60;
  const disp = $('chart-disp');
  Plot.plotSeries(disp, series, { from: Math.min(first, now - 60), to: now, empty: 'no outcomes yet' });
  disp.dataset.samples = state.samples.length;
  const legend = $('chart-disp-legend');
  legend.replaceChildren();
  for (const s of series) {
    const li = document.createElement('li');
    const sw = document.createElement('span');
    sw.className = 'swatch sw-' + s.label;
    li.appendChild(sw);
    li.appendChild(document.createTextNode(s.label));
    legend.appendChild(li);
  }
}

async function pollCampaign() {
  const token = viewToken;
  const c = await api('GET', '/v1/campaigns/' + encodeURIComponent(state.id));
  if (token !== viewToken) return;
  renderCampaign(c);
  state.samples.push([Date.now() / 1000, Object.assign({}, c.counters.dispositions)]);
  if (state.samples.length > 3600) state.samples.shift();
  if (c.status !== 'draft') await countDispatches(c);
  if (token !== viewToken) return;
  drawCharts();
  // the open recipients page follows a moving campaign every few seconds
  const moving = c.status === 'running' || c.counters.dispatched > 0;
  if (moving && ++state.polls % 3 === 0) await loadRecipients();
}

async function act(action) {
  try {
    const c = await api('POST', '/v1/campaigns/' + encodeURIComponent(state.id) + '/' + action, { json: {} });
    renderCampaign(c);
    flash('');
  } catch (e) {
    showError(e);
  }
}

function renderRecipients(page) {
  const body = $('recipients').tBodies[0];
  body.replaceChildren();
  for (const r of page.data) {
    const tr = document.createElement('tr');
    tr.dataset.id = r.id;
    linkCell(tr, r.phone_number, '#/c/' + encodeURIComponent(state.id) + '/r/' + encodeURIComponent(r.id));
    statusCell(tr, r.status);
    cell(tr, r.disposition);
    cell(tr, r.attempts, 'num');
    cell(tr, r.carrier);
    cell(tr, when(r.last_attempt_at));
    cell(tr, when(r.next_attempt_at));
    body.appendChild(tr);
  }
  emptyRow(body, 'no recipients match');
  state.nextToken = page.next_page_token;
  $('r-prev').disabled = state.pageIndex === 0;
  $('r-next').disabled = !state.nextToken;
  $('r-page').textContent = 'page ' + (state.pageIndex + 1);
  $('recipients').dataset.loaded = String(Date.now());
}

let recipientsSeq = 0; // only the newest request's answer is shown

async function loadRecipients() {
  const token = viewToken, seq = ++recipientsSeq;
  const params = {
    status: $('r-status').value,
    disposition: $('r-disposition').value,
    page_size: $('r-page-size').value,
    page_token: state.pageTokens[state.pageIndex],
  };
  const page = await api('GET', '/v1/campaigns/' + encodeURIComponent(state.id) + '/recipients' + query(params));
  if (token !== viewToken || seq !== recipientsSeq) return;
  renderRecipients(page);
}

function firstRecipientsPage() {
  state.pageTokens = [null];
  state.pageIndex = 0;
  loadRecipients().catch(showError);
}

async function uploadCsv(ev) {
  ev.preventDefault();
  const file = $('upload-file').files[0];
  if (!file) {
    flash('Choose a CSV file first.', true);
    return;
  }
  const id = state.id;
  const bar = $('upload-progress'), status = $('upload-status');
  $('upload-start').disabled = true;
  bar.value = 0;
  status.textContent = 'reading ' + file.name + '…';
  delete $('upload-form').dataset.done;
  const send = (body, key) => api('POST', '/v1/campaigns/' + encodeURIComponent(id) + '/recipients', {
    body, raw: true, headers: { 'Content-Type': 'text/csv', 'Idempotency-Key': key },
  });
  try {
    const t = await CsvUpload.upload(file, send, (p) => {
      if (id !== state.id) return; // the user opened another campaign meanwhile
      bar.value = p.fraction;
      status.textContent = fmt(p.rows) + ' rows sent · ' + fmt(p.accepted) + ' accepted · ' +
        fmt(p.invalid) + ' invalid · ' + fmt(p.duplicates) + ' duplicates · ' +
        fmt(Math.round(p.rowsPerSecond)) + ' rows/s';
    });
    if (id !== state.id) return;
    const form = $('upload-form');
    form.dataset.done = '1';
    form.dataset.accepted = t.accepted;
    form.dataset.invalid = t.invalid;
    form.dataset.duplicates = t.duplicates;
    form.dataset.requests = t.requests;
    status.textContent = 'done: ' + status.textContent;
    firstRecipientsPage();
  } catch (e) {
    if (id === state.id) status.textContent = 'stopped: ' + e.message;
    showError(e);
  } finally {
    $('upload-start').disabled = false;
  }
}

// The export needs the key in a header, so it is fetched and handed to the
// browser as a file rather than linked.
async function exportCsv() {
  try {
    const r = await api('GET', '/v1/campaigns/' + encodeURIComponent(state.id) + '/recipients/export' +
      query({ status: $('r-status').value, disposition: $('r-disposition').value }),
    { raw: true, headers: { Accept: 'text/csv' } });
    if (!r.ok) throw new ApiError(r.status, ((await r.json().catch(() => null)) || {}).error);
    const url = URL.createObjectURL(await r.blob());
    const a = document.createElement('a');
    a.href = url;
    a.download = state.id + '-recipients.csv';
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (e) {
    showError(e);
  }
}

function showCampaign(id) {
  showView('view-campaign');
  delete $('view-campaign').dataset.loaded;
  if (state.id !== id) {
    resetCampaignState(id);
    $('upload-progress').value = 0;
    $('upload-status').textContent = '';
  }
  for (const b of document.querySelectorAll('.actions [data-action]')) b.onclick = () => act(b.dataset.action);
  $('act-export').onclick = exportCsv;
  $('upload-form').onsubmit = uploadCsv;
  $('r-status').onchange = $('r-disposition').onchange = $('r-page-size').onchange = firstRecipientsPage;
  $('r-refresh').onclick = () => loadRecipients().catch(showError);
  $('r-next').onclick = () => {
    if (!state.nextToken) return;
    state.pageTokens[state.pageIndex + 1] = state.nextToken;
    state.pageIndex++;
    loadRecipients().catch(showError);
  };
  $('r-prev').onclick = () => {
    if (state.pageIndex === 0) return;
    state.pageIndex--;
    loadRecipients().catch(showError);
  };
  every(1000, () => pollCampaign().catch(showError));
  loadRecipients().catch(showError);
}

// ---------- one recipient ----------

function field(dl, name, value) {
  const dt = document.createElement('dt');
  dt.textContent = name;
  const dd = document.createElement('dd');
  dd.textContent = value == null ? '—' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  dd.dataset.field = name;
  dl.appendChild(dt);
  dl.appendChild(dd);
}

async function showRecipient(cid, rid) {
  showView('view-recipient');
  const view = $('view-recipient');
  delete view.dataset.loaded;
  const token = viewToken;
  $('rc-back').href = '#/c/' + encodeURIComponent(cid);
  const q = query({ campaign_id: cid, recipient_id: rid, page_size: 100 });
  const [r, calls, messages] = await Promise.all([
    api('GET', '/v1/campaigns/' + encodeURIComponent(cid) + '/recipients/' + encodeURIComponent(rid)),
    api('GET', '/v1/calls' + q),
    api('GET', '/v1/messages' + q),
  ]);
  if (token !== viewToken) return;
  $('rc-phone').textContent = r.phone_number;
  document.title = r.phone_number + ' · campaignd';
  const dl = $('rc-fields');
  dl.replaceChildren();
  for (const k of ['id', 'status', 'disposition', 'attempts', 'carrier', 'params', 'last_attempt_at', 'next_attempt_at'])
    field(dl, k, r[k]);
  const cb = $('rc-calls').tBodies[0];
  cb.replaceChildren();
  for (const c of calls.data) {
    const tr = document.createElement('tr');
    tr.dataset.id = c.id;
    cell(tr, c.id);
    cell(tr, c.attempt, 'num');
    statusCell(tr, c.status);
    cell(tr, c.answered_by);
    cell(tr, when(c.created_at));
    cell(tr, when(c.ended_at));
    cell(tr, c.duration_seconds, 'num');
    cell(tr, c.ended_reason);
    cell(tr, c.error_code);
    cell(tr, c.provider);
    cb.appendChild(tr);
  }
  emptyRow(cb, 'no calls');
  const mb = $('rc-messages').tBodies[0];
  mb.replaceChildren();
  for (const m of messages.data) {
    const tr = document.createElement('tr');
    tr.dataset.id = m.id;
    cell(tr, m.id);
    cell(tr, m.channel);
    statusCell(tr, m.status);
    cell(tr, when(m.created_at));
    cell(tr, m.error_code);
    cell(tr, m.provider);
    mb.appendChild(tr);
  }
  emptyRow(mb, 'no messages');
  view.dataset.loaded = '1';
}

// ---------- routing ----------

function route() {
  stopTimers();
  viewToken++;
  flash('');
  if (!apiKey()) {
    forgetKey();
    return;
  }
  $('signout').hidden = false;
  $('who').textContent = 'key ' + apiKey().slice(0, 12) + '…';
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  if (parts[0] === 'c' && parts[1] && parts[2] === 'r' && parts[3])
    showRecipient(parts[1], parts[3]).catch(showError);
  else if (parts[0] === 'c' && parts[1])
    showCampaign(parts[1]);
  else
    showList();
}

document.addEventListener('DOMContentLoaded', () => {
  $('login-form').addEventListener('submit', signIn);
  $('signout').addEventListener('click', () => forgetKey());
  window.addEventListener('hashchange', route);
  route();
});
