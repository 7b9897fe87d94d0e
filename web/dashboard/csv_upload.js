/* csv_upload.js - sends a CSV file of any size as recipient uploads of at
 * most 10,000 rows each (the API's limit a request), in file order, one
 * request at a time.
 *
 * The file is read as a stream and cut into records on line ends outside
 * quotes (RFC 4180: a quoted field may hold commas, "" and line breaks), so
 * a 2-million-row file never sits in memory as one string and no record is
 * split between two requests. Each request repeats the header row and keeps
 * the records' bytes as they were (the server parses the CSV). Blank lines
 * are skipped. Each request carries an Idempotency-Key made of one random
 * upload id and its chunk number: a request retried after a network error,
 * a 429 or a 503 is applied once. onProgress gets the running totals after
 * each request. */
'use strict';

const CsvUpload = (() => {
  const ROWS_PER_REQUEST = 10000;
  const MAX_TRIES = 6;

  // Yields arrays of complete records (strings without their line end).
  async function* records(file) {
    const reader = file.stream().pipeThrough(new TextDecoderStream()).getReader();
    let buf = '', start = 0, pos = 0, inQuotes = false;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf = buf.slice(start) + value;
      pos -= start;
      start = 0;
      const out = [];
      for (; pos < buf.length; pos++) {
        const ch = buf.charCodeAt(pos);
        if (ch === 34) {
          inQuotes = !inQuotes; // "" inside quotes toggles twice
        } else if (ch === 10 && !inQuotes) {
          let end = pos;
          if (end > start && buf.charCodeAt(end - 1) === 13) end--;
          if (end > start) out.push(buf.slice(start, end));
          start = pos + 1;
        }
      }
      if (out.length) yield out;
    }
    let last = buf.slice(start);
    if (last.endsWith('\r')) last = last.slice(0, -1);
    if (last.length) yield [last];
  }

  function randomId() {
    const b = new Uint8Array(8);
    crypto.getRandomValues(b);
    return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  }

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  // send(body, idempotencyKey) -> Response (a fetch). Retries throttles,
  // 5xx and network errors with backoff; anything else ends the upload.
  async function sendChunk(send, body, key) {
    let wait = 500;
    for (let attempt = 1; ; attempt++) {
      let r;
      try {
        r = await send(body, key);
      } catch (e) {
        if (attempt >= MAX_TRIES) throw e;
        await sleep(wait);
        wait *= 2;
        continue;
      }
      if (r.ok) return r.json();
      if ((r.status === 429 || r.status >= 500) && attempt < MAX_TRIES) {
        const after = Number(r.headers.get('Retry-After'));
        await sleep(after > 0 ? after * 1000 : wait);
        wait *= 2;
        continue;
      }
      let msg = 'HTTP ' + r.status;
      try {
        const e = (await r.json()).error;
        msg = e.code + ': ' + e.message;
      } catch (_) { /* not JSON */ }
      throw new Error(msg);
    }
  }

  async function upload(file, send, onProgress) {
    const uploadId = randomId();
    const totals = {
      rows: 0, accepted: 0, invalid: 0, duplicates: 0, requests: 0,
      fraction: 0, rowsPerSecond: 0, campaignTotal: null,
    };
    const started = performance.now();
    let header = null, pending = [], chars = 0;
    const flush = async () => {
      if (!pending.length) return;
      const body = header + '\n' + pending.join('\n') + '\n';
      const a = await sendChunk(send, body, 'csv-' + uploadId + '-' + totals.requests);
      totals.requests++;
      totals.rows += pending.length;
      totals.accepted += a.accepted;
      totals.invalid += a.invalid;
      totals.duplicates += a.duplicates;
      totals.campaignTotal = a.total;
      totals.fraction = Math.min(1, chars / Math.max(1, file.size));
      totals.rowsPerSecond = totals.rows / Math.max(0.001, (performance.now() - started) / 1000);
      pending = [];
      onProgress(Object.assign({}, totals));
    };
    for await (const batch of records(file)) {
      for (const rec of batch) {
        chars += rec.length + 1;
        if (header === null) {
          header = rec;
          continue;
        }
        pending.push(rec);
        if (pending.length === ROWS_PER_REQUEST) await flush();
      }
    }
    if (header === null) throw new Error('the file is empty');
    await flush();
    totals.fraction = 1;
    onProgress(Object.assign({}, totals));
    return totals;
  }

  return { upload, records, ROWS_PER_REQUEST };
})();
