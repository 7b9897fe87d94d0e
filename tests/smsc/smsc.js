// smsc.js - a stand-in SMSC for the smpp provider's e2e tests, on the npm
// `smpp` package's server (pinned by package-lock.json, installed by
// scripts/deps.sh with `npm ci`).
//
//   node smsc.js <smpp port> <control port>
//
// SMPP side: accepts bind_transceiver when system_id / password match the
// configured ones (else ESME_RBINDFAIL), answers enquire_link and unbind,
// answers each submit_sm with a message id ("m1", "m2", ...) and then sends
// a delivery receipt (deliver_sm, esm_class 0x04) after receipt_ms, with
// the receipted_message_id and message_state TLVs ("tlv") or the
// "id:... stat:..." text ("text"), or none ("none").
//
// Control side (HTTP, JSON), for the tests:
//   GET  /count      how many submits, binds and sessions (cheap: the benchmark polls it)
//   GET  /state      binds, submits (each with its text and message id), sessions,
//                    receipts sent and deliver_sm_resp received
//   POST /config     merges settings: system_id, password, receipt_form,
//                    receipt_ms, stat (by destination: {"+1555...": "UNDELIV"}),
//                    throttle_next (n submits answered ESME_RTHROTTLED),
//                    reject_next (n), reject_status (a command_status),
//                    hold (submits get no answer until released),
//                    receipt_before_resp (the receipt goes before the answer,
//                    receipt_lead_ms ahead: 100 by default),
//                    drop_after (close the connection after n more submits,
//                    unanswered), manual_receipts (no receipt unless asked
//                    for with /receipt), mute_enquire (enquire_link gets no
//                    answer)
//   POST /release    answers every held submit
//   POST /drop       closes every session now
//   POST /inbound    {"from", "to", "body"}: a mobile-originated deliver_sm
//   POST /enquire    an enquire_link to every session
//   POST /raw        {"hex"}: these bytes written to every session as they are
//   POST /receipt    {"id", "stat"}: the receipt for the submit with that message
//                    id, on a session open now (the one it came on may be gone)
'use strict';
const http = require('http');
const smpp = require('smpp');

const smppPort = Number(process.argv[2] || 2775);
const controlPort = Number(process.argv[3] || 2776);

const cfg = {
  system_id: 'campaignd',
  password: 'secret',
  receipt_form: 'tlv',
  receipt_ms: 50,
  stat: {},
  throttle_next: 0,
  reject_next: 0,
  reject_status: 0x0b,
  hold: false,
  receipt_before_resp: false,
  receipt_lead_ms: 100,
  drop_after: -1,
  manual_receipts: false,
  mute_enquire: false,
};
const state = { binds: [], submits: [], enquire_links: 0, unbinds: 0, throttled: 0, rejected: 0,
  receipts: 0, deliver_resps: 0, generic_nacks: [], enquire_link_resps: 0 };
const sessions = new Set();
let held = [];
let nextId = 1;

function receiptText(id, stat) {
  const err = stat === 'DELIVRD' ? '000' : '001';
  return `id:${id} sub:001 dlvrd:${stat === 'DELIVRD' ? '001' : '000'} submit date:2601010000 ` +
    `done date:2601010000 stat:${stat} err:${err} text:`;
}

const messageStates = { DELIVRD: 2, EXPIRED: 3, DELETED: 4, UNDELIV: 5, ACCEPTD: 6, UNKNOWN: 7, REJECTD: 8 };

function sendReceipt(session, sub, statOverride) {
  const stat = statOverride || cfg.stat[sub.to] || 'DELIVRD';
  const pdu = {
    source_addr: sub.to,
    destination_addr: sub.from,
    esm_class: 0x04,
    short_message: receiptText(sub.message_id, stat),
  };
  if (cfg.receipt_form === 'tlv') {
    pdu.receipted_message_id = sub.message_id;
    pdu.message_state = messageStates[stat];
    pdu.short_message = '';
  }
  state.receipts++;
  session.deliver_sm(pdu);
}

function answer(session, pdu, sub) {
  const receipt = () => {
    if (cfg.receipt_form !== 'none' && !cfg.manual_receipts) sendReceipt(session, sub);
  };
  if (cfg.receipt_before_resp) {
    receipt();
    setTimeout(() => session.send(pdu.response({ message_id: sub.message_id })),
      cfg.receipt_lead_ms);
  } else {
    session.send(pdu.response({ message_id: sub.message_id }));
    setTimeout(receipt, cfg.receipt_ms);
  }
}

function bodyOf(pdu) {
  let m = pdu.short_message;
  if (pdu.message_payload) m = pdu.message_payload;
  if (m && typeof m === 'object' && 'message' in m) {
    return { text: String(m.message), udh: m.udh ? m.udh.map((u) => Buffer.from(u).toString('hex')) : [] };
  }
  return { text: m ? String(m) : '', udh: [] };
}

const server = smpp.createServer((session) => {
  sessions.add(session);
  let bound = false;
  session.on('close', () => sessions.delete(session));
  session.on('error', () => sessions.delete(session));
  session.on('bind_transceiver', (pdu) => {
    const ok = pdu.system_id === cfg.system_id && pdu.password === cfg.password;
    state.binds.push({ system_id: pdu.system_id, system_type: pdu.system_type, ok });
    if (!ok) {
      session.send(pdu.response({ command_status: smpp.ESME_RBINDFAIL }));
      setTimeout(() => session.close(), 50);
      return;
    }
    bound = true;
    session.send(pdu.response({ system_id: 'standin' }));
  });
  session.on('enquire_link', (pdu) => {
    state.enquire_links++;
    if (cfg.mute_enquire) return;
    session.send(pdu.response());
  });
  session.on('unbind', (pdu) => {
    state.unbinds++;
    session.send(pdu.response());
    setTimeout(() => session.close(), 20);
  });
  session.on('deliver_sm_resp', () => state.deliver_resps++);
  session.on('enquire_link_resp', () => state.enquire_link_resps++);
  session.on('generic_nack', (pdu) =>
    state.generic_nacks.push({ status: pdu.command_status, sequence: pdu.sequence_number }));
  session.on('submit_sm', (pdu) => {
    if (!bound) {
      session.send(pdu.response({ command_status: smpp.ESME_RINVBNDSTS }));
      return;
    }
    if (cfg.throttle_next > 0) {
      cfg.throttle_next--;
      state.throttled++;
      session.send(pdu.response({ command_status: smpp.ESME_RTHROTTLED }));
      return;
    }
    if (cfg.reject_next > 0) {
      cfg.reject_next--;
      state.rejected++;
      session.send(pdu.response({ command_status: cfg.reject_status }));
      return;
    }
    const body = bodyOf(pdu);
    const sub = {
      sequence: pdu.sequence_number,
      to: pdu.destination_addr,
      from: pdu.source_addr,
      data_coding: pdu.data_coding,
      esm_class: pdu.esm_class,
      registered_delivery: pdu.registered_delivery,
      text: body.text,
      udh: body.udh,
      message_id: 'm' + nextId++,
      answered: false,
    };
    state.submits.push(sub);
    if (cfg.drop_after >= 0) {
      if (cfg.drop_after === 0) {
        cfg.drop_after = -1;
        for (const s of sessions) s.destroy();
        return;
      }
      cfg.drop_after--;
      held.push({ session, pdu, sub });
      return;
    }
    if (cfg.hold) {
      held.push({ session, pdu, sub });
      return;
    }
    sub.answered = true;
    answer(session, pdu, sub);
  });
});
server.listen(smppPort, '127.0.0.1');

function readJson(req, cb) {
  let data = '';
  req.on('data', (c) => (data += c));
  req.on('end', () => {
    try {
      cb(data ? JSON.parse(data) : {});
    } catch (e) {
      cb(null);
    }
  });
}

http
  .createServer((req, res) => {
    const reply = (code, obj) => {
      res.writeHead(code, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(obj));
    };
    if (req.method === 'GET' && req.url === '/count')
      return reply(200, { submits: state.submits.length, binds: state.binds.length, sessions: sessions.size });
    if (req.method === 'GET' && req.url === '/state')
      return reply(200, Object.assign({ sessions: sessions.size, held: held.length }, state));
    readJson(req, (body) => {
      if (body === null) return reply(400, { error: 'bad json' });
      if (req.url === '/config') {
        Object.assign(cfg, body);
        return reply(200, cfg);
      }
      if (req.url === '/release') {
        const h = held;
        held = [];
        for (const { session, pdu, sub } of h) {
          if (sessions.has(session)) {
            sub.answered = true;
            answer(session, pdu, sub);
          }
        }
        return reply(200, { released: h.length });
      }
      if (req.url === '/drop') {
        for (const s of sessions) s.destroy();
        held = [];
        return reply(200, {});
      }
      if (req.url === '/enquire') {
        for (const s of sessions) s.enquire_link();
        return reply(200, { sessions: sessions.size });
      }
      if (req.url === '/raw') {
        for (const s of sessions) s.socket.write(Buffer.from(body.hex, 'hex'));
        return reply(200, { sessions: sessions.size });
      }
      if (req.url === '/receipt') {
        const sub = state.submits.find((x) => x.message_id === body.id);
        const [session] = sessions;
        if (!sub || !session) return reply(404, { error: 'no such submit or no session' });
        sendReceipt(session, sub, body.stat);
        return reply(200, { sessions: sessions.size });
      }
      if (req.url === '/inbound') {
        for (const s of sessions) {
          s.deliver_sm({ source_addr: body.from, destination_addr: body.to, short_message: body.body });
          break;
        }
        return reply(200, { sessions: sessions.size });
      }
      return reply(404, {});
    });
  })
  .listen(controlPort, '127.0.0.1', () => console.log(`smsc: smpp ${smppPort}, control ${controlPort}`));
