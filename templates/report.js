
// chatcarve HTML report: search, filters and the chat view, from the JSON in #cc-data.
// Every string of the report is hostile: it is only ever put in the page with textContent
// (through el()), never parsed as markup, and never becomes a link, a URL or an attribute that
// the browser acts on.
(function () {
  'use strict';

  function $(id) { return document.getElementById(id); }
  function S(v) { return typeof v === 'string' ? v : null; }
  function N(v) { return typeof v === 'number' && isFinite(v) ? v : null; }
  function A(v) { return Array.isArray(v) ? v : []; }
  function O(v) { return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : {}; }
  function parse(id) {
    var node = $(id);
    if (!node) { return {}; }
    try { return O(JSON.parse(node.textContent)); } catch (e) { return {}; }
  }

  var cfg = parse('cc-config');
  var data = parse('cc-data');
  // The zone's offsets over the report's times: [[since_ms, offset_minutes], ...], ascending
  // (daylight saving time followed).
  var OFFSETS = (Array.isArray(cfg.tz_offsets) ? cfg.tz_offsets : []).filter(function (o) {
    return Array.isArray(o) && isFinite(o[0]) && isFinite(o[1]);
  });
  function offsetAt(ms) {
    var lo = 0, hi = OFFSETS.length - 1, found = OFFSETS.length ? OFFSETS[0][1] : 0;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (OFFSETS[mid][0] <= ms) { found = OFFSETS[mid][1]; lo = mid + 1; } else { hi = mid - 1; }
    }
    return found;
  }
  var PAGE = N(cfg.page_size) > 0 ? cfg.page_size : 200;
  var RESULTS_PAGE = 100;
  var MAX_TEXT = 4000;
  var STATUSES = ['live', 'deleted', 'superseded', 'fragment'];
  var MEDIA = { image: 'Image', audio: 'Audio', video: 'Video', document: 'Document', sticker: 'Sticker',
    gif: 'GIF', location: 'Location', live_location: 'Live location', contact: 'Contact card',
    call: 'Call', system: 'System message', revoked: 'Deleted for everyone', view_once: 'View-once media' };

  // Control characters and direction overrides become visible marks.
  var CTRL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u061C\u200E\u200F\u2028\u2029\u202A-\u202E\u2066-\u2069]/g;
  function vis(s) {
    return s.replace(CTRL, function (c) {
      var n = c.charCodeAt(0);
      if (n < 0x20) { return String.fromCharCode(0x2400 + n); }
      if (n === 0x7f) { return '\u2421'; }
      var h = n.toString(16).toUpperCase();
      while (h.length < 4) { h = '0' + h; }
      return '\u27e6U+' + h + '\u27e7';
    });
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = vis(String(text)); }
    return e;
  }
  function button(cls, text, fn) {
    var b = el('button', cls, text);
    b.type = 'button';
    b.addEventListener('click', fn);
    return b;
  }

  // Times, in the report's zone.
  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function shifted(ms) {
    var d = new Date(ms + offsetAt(ms) * 60000);
    return isFinite(d.getTime()) ? d : null;
  }
  function dayKey(ms) {
    var d = shifted(ms);
    return d ? d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) : String(ms);
  }
  var WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
  function dayLabel(ms) {
    var d = shifted(ms);
    return d ? WEEKDAYS[d.getUTCDay()] + ' ' + dayKey(ms) : String(ms);
  }
  function timeOf(ms) {
    var d = shifted(ms);
    return d ? pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds()) : String(ms);
  }
  function fullTime(ms) { return ms === null ? 'no time' : dayKey(ms) + ' ' + timeOf(ms); }
  function dayStart(v) {
    var p = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
    if (!p) { return null; }
    var utc = Date.UTC(+p[1], +p[2] - 1, +p[3]);
    return utc - offsetAt(utc - offsetAt(utc) * 60000) * 60000;
  }
  function statusKey(m) {
    var s = S(m.status) || '';
    return STATUSES.indexOf(s) >= 0 ? s : 'other';
  }

  // The conversations, then the unattributed messages as one more.
  var convs = A(data.conversations).map(function (c, i) {
    c = O(c);
    var row = N(c.chat_row_id);
    return { index: i, name: S(c.chat_name) || S(c.chat_jid) || (row !== null ? 'unknown chat (row ' + row + ')' : 'unknown chat'),
      jid: S(c.chat_jid), app: S(c.app), kind: S(c.kind), gaps: A(c.gaps).map(O), msgs: A(c.messages).map(O) };
  });
  var unattributed = A(data.unattributed_messages).map(O);
  if (unattributed.length) {
    convs.push({ index: convs.length, name: 'Unattributed messages (chat unknown)', jid: null, app: null, kind: 'unknown',
      gaps: [], msgs: unattributed, unattributed: true });
  }
  var ALL = 0;
  convs.forEach(function (c) { ALL += c.msgs.length; });

  // Superseded versions are shown beside the message they are an earlier version of (same key id).
  function prepare(c) {
    if (c.prepared) { return; }
    var current = new Map();
    c.msgs.forEach(function (m) {
      var k = S(m.key_id);
      // The live version is the current one; else the first that is not superseded.
      if (k && S(m.status) !== 'superseded' && (!current.has(k) || (S(m.status) === 'live' && S(current.get(k).status) !== 'live'))) {
        current.set(k, m);
      }
    });
    c.msgs.forEach(function (m) {
      var k = S(m.key_id);
      if (k && S(m.status) === 'superseded' && current.has(k)) {
        var cur = current.get(k);
        m._current = cur;
        (cur._earlier = cur._earlier || []).push(m);
      }
    });
    c.gapsAfter = new Map();
    c.gaps.forEach(function (g) {
      var after = S(g.after_message);
      if (after) {
        if (!c.gapsAfter.has(after)) { c.gapsAfter.set(after, []); }
        c.gapsAfter.get(after).push(g);
      }
    });
    c.prepared = true;
  }

  // Filters.
  var filterForm = $('filters');
  function readFilters() {
    var f = { text: $('f-text').value.trim().toLowerCase(), chat: $('f-chat').value,
      from: dayStart($('f-from').value), to: dayStart($('f-to').value), st: new Set(), minConf: parseFloat($('f-conf').value) };
    if (f.to !== null) { f.to += 86400000; }
    if (!(f.minConf > 0)) { f.minConf = 0; }
    var boxes = $('f-status').querySelectorAll('input[type=checkbox]');
    var unchecked = 0;
    for (var i = 0; i < boxes.length; i++) {
      if (boxes[i].checked) { f.st.add(boxes[i].value); } else { unchecked++; }
    }
    if (boxes.length === 0) { STATUSES.concat(['other']).forEach(function (s) { f.st.add(s); }); }
    f.active = !!(f.text || f.chat !== '' || f.from !== null || f.to !== null || f.minConf > 0 || unchecked);
    return f;
  }
  function haystack(m) {
    if (m._hay === undefined) {
      var d = O(m.details);
      m._hay = [S(m.text), S(m.sender_name), S(m.sender_jid), S(m.key_id), S(m.message_type), S(d.quoted_text),
        S(d.media_file), S(d.place_name), S(d.vcard)].filter(Boolean).join('\n').toLowerCase();
    }
    return m._hay;
  }
  function passes(m, f) {
    if (!f.st.has(statusKey(m))) { return false; }
    if (f.minConf > 0) {
      var c = N(m.confidence);
      if (c === null || c < f.minConf) { return false; }
    }
    if (f.from !== null || f.to !== null) {
      var t = N(m.timestamp_ms);
      if (t === null || (f.from !== null && t < f.from) || (f.to !== null && t >= f.to)) { return false; }
    }
    return !f.text || haystack(m).indexOf(f.text) >= 0;
  }

  var state = { f: readFilters(), chat: null, page: 0, hits: [], resultsPage: 0, target: null };
  var rows = new Map();
  var convRows = document.querySelectorAll('#conv-table tr.conv');
  for (var r = 0; r < convRows.length; r++) { rows.set(+convRows[r].getAttribute('data-conv'), convRows[r]); }

  function apply() {
    var f = readFilters();
    state.f = f;
    var total = 0, chats = 0, hits = [];
    convs.forEach(function (c) {
      var n = 0;
      var chatOk = f.chat === '' || +f.chat === c.index;
      if (chatOk) {
        for (var i = 0; i < c.msgs.length; i++) {
          if (passes(c.msgs[i], f)) {
            n++;
            if (f.text) { hits.push([c, c.msgs[i]]); }
          }
        }
      }
      c.matches = n;
      total += n;
      if (n) { chats++; }
      var row = rows.get(c.index);
      if (row) {
        row.classList.toggle('nomatch', !chatOk || (f.active && n === 0));
        var cell = row.querySelector('.matching');
        if (cell) { cell.textContent = String(n); }
      }
    });
    $('match-summary').textContent = f.active
      ? total + ' of ' + ALL + ' messages match the filters, in ' + chats + ' conversations.'
      : ALL + ' messages in ' + convs.length + ' conversations.';
    state.hits = hits;
    state.resultsPage = 0;
    renderResults();
    if (state.chat) { openChat(state.chat, null); }
  }

  var timer = null;
  function later() {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(function () { timer = null; apply(); }, 150);
  }
  filterForm.addEventListener('input', later);
  filterForm.addEventListener('change', later);
  filterForm.addEventListener('submit', function (e) { e.preventDefault(); apply(); });
  filterForm.addEventListener('reset', function () { setTimeout(apply, 0); });

  // Search results: matching messages across the chats, a page at a time.
  function snippet(m, needle) {
    var t = S(m.text) || haystack(m);
    var at = needle ? t.toLowerCase().indexOf(needle) : 0;
    if (at < 0) { at = 0; }
    var start = Math.max(0, at - 60);
    return (start > 0 ? '\u2026' : '') + t.slice(start, at + 160) + (t.length > at + 160 ? '\u2026' : '');
  }
  function renderResults() {
    var box = $('results');
    box.textContent = '';
    if (!state.f.text) { box.hidden = true; return; }
    box.hidden = false;
    var hits = state.hits;
    var pages = Math.max(1, Math.ceil(hits.length / RESULTS_PAGE));
    var p = Math.min(state.resultsPage, pages - 1);
    var head = el('div', 'note', hits.length + ' messages contain \u201c' + state.f.text + '\u201d' +
      (pages > 1 ? ' \u2014 page ' + (p + 1) + ' of ' + pages : '') + '. Click one to open it in its chat.');
    head.id = 'results-count';
    box.appendChild(head);
    var frag = document.createDocumentFragment();
    hits.slice(p * RESULTS_PAGE, (p + 1) * RESULTS_PAGE).forEach(function (h) {
      var b = el('button', 'result');
      b.type = 'button';
      b.appendChild(el('span', 'where', h[0].name + ' \u00b7 ' + fullTime(N(h[1].timestamp_ms)) + ' \u00b7 ' + (S(h[1].status) || '')));
      b.appendChild(el('span', 'snippet', snippet(h[1], state.f.text)));
      b.addEventListener('click', function () { showChat(h[0].index, h[1]); });
      frag.appendChild(b);
    });
    box.appendChild(frag);
    if (pages > 1) {
      var nav = el('div', 'pager');
      nav.appendChild(button('', '\u2039 Previous', function () { state.resultsPage = Math.max(0, p - 1); renderResults(); }));
      nav.appendChild(button('', 'Next \u203a', function () { state.resultsPage = Math.min(pages - 1, p + 1); renderResults(); }));
      box.appendChild(nav);
    }
  }

  // The chat view. The hash (#chat=N) says which chat is open, so Back returns to the list.
  function showChat(index, target) {
    state.target = target || null;
    var want = '#chat=' + index;
    if (location.hash === want) { route(); } else { location.hash = want; }
  }
  function route() {
    var m = /^#chat=(\d+)$/.exec(location.hash);
    var c = m ? convs[+m[1]] : null;
    if (!c) {
      state.chat = null;
      $('chat-view').hidden = true;
      $('list-view').hidden = false;
      return;
    }
    $('list-view').hidden = true;
    $('chat-view').hidden = false;
    var target = state.target;
    state.target = null;
    openChat(c, target);
    if (!target) { window.scrollTo(0, 0); }
  }
  window.addEventListener('hashchange', route);
  $('chat-back').addEventListener('click', function () { location.hash = 'conversations'; });
  $('conv-table').addEventListener('click', function (e) {
    var b = e.target instanceof Element ? e.target.closest('button.open-chat') : null;
    if (b) { showChat(+b.getAttribute('data-conv'), null); }
  });

  function openChat(c, target) {
    prepare(c);
    var f = state.f;
    var shown = [];
    c.msgs.forEach(function (m) {
      if (!passes(m, f)) { return; }
      if (m._current && passes(m._current, f)) { return; }
      shown.push(m);
    });
    var changed = state.chat !== c;
    state.chat = c;
    state.shown = shown;
    $('chat-name').textContent = vis(c.name);
    $('chat-jid').textContent = c.jid && c.jid !== c.name ? vis(c.jid) : '';
    $('chat-app').textContent = vis([c.app, c.kind].filter(Boolean).join(' \u00b7 '));
    var counts = {};
    c.msgs.forEach(function (m) { var k = statusKey(m); counts[k] = (counts[k] || 0) + 1; });
    var parts = STATUSES.concat(['other']).filter(function (k) { return counts[k]; }).map(function (k) { return counts[k] + ' ' + k; });
    $('chat-counts').textContent = c.msgs.length + ' messages (' + parts.join(', ') + ')' +
      (f.active ? ' \u2014 ' + shown.length + ' shown by the filters' : '');
    var page = changed ? 0 : state.page;
    if (target) {
      var at = shown.indexOf(target._current && shown.indexOf(target) < 0 ? target._current : target);
      if (at >= 0) { page = Math.floor(at / PAGE); }
    }
    renderPage(page, target);
  }

  function renderPage(p, target) {
    var c = state.chat;
    var list = state.shown;
    var pages = Math.max(1, Math.ceil(list.length / PAGE));
    p = Math.max(0, Math.min(p, pages - 1));
    state.page = p;
    var box = $('messages');
    box.textContent = '';
    var frag = document.createDocumentFragment();
    if (!list.length) {
      frag.appendChild(el('div', 'empty', c.msgs.length ? 'No message of this chat matches the filters.' : 'No messages.'));
    }
    var lastDay;
    var hit = null;
    for (var i = p * PAGE; i < Math.min(list.length, (p + 1) * PAGE); i++) {
      var m = list[i];
      var t = N(m.timestamp_ms);
      var day = t === null ? null : dayKey(t);
      if (day !== lastDay) {
        frag.appendChild(el('div', 'day', t === null ? 'Without a time' : dayLabel(t)));
        lastDay = day;
      }
      var node = bubble(c, m);
      if (target && (m === target || m === target._current)) { hit = node; }
      frag.appendChild(node);
      var gaps = c.gapsAfter.get(S(m.id) || '');
      if (gaps) { gaps.forEach(function (g) { frag.appendChild(el('div', 'gap', gapText(g))); }); }
    }
    box.appendChild(frag);
    pager($('pager-top'), p, pages, list.length);
    pager($('pager-bottom'), p, pages, list.length);
    if (hit) {
      hit.classList.add('hit');
      hit.scrollIntoView({ block: 'center' });
    }
  }

  function gapText(g) {
    var n = N(g.missing);
    var a = N(g.first_missing), b = N(g.last_missing);
    var numbering = S(g.numbering) || 'numbering';
    var t = '\u22ef ' + (n === null ? 'Messages' : n + (n === 1 ? ' message' : ' messages')) + ' missing here (' + numbering +
      (a !== null ? ' ' + a + (b !== null && b !== a ? '\u2013' + b : '') : '') + ')';
    if (numbering === 'row_id') { t += ': ids shared by every chat of the database, they may have been another chat\u2019s'; }
    return t;
  }

  function pager(nav, p, pages, count) {
    nav.textContent = '';
    var go = function (q) { return function () { renderPage(q, null); window.scrollTo(0, 0); }; };
    var first = button('pg-first', '\u00ab First', go(0));
    var prev = button('pg-prev', '\u2039 Previous', go(p - 1));
    var next = button('pg-next', 'Next \u203a', go(p + 1));
    var last = button('pg-last', 'Last \u00bb', go(pages - 1));
    first.disabled = prev.disabled = p === 0;
    next.disabled = last.disabled = p >= pages - 1;
    nav.appendChild(first);
    nav.appendChild(prev);
    var label = el('span', 'pg-label', 'Page ' + (p + 1) + ' of ' + pages + ' (' + count + ' messages, ' + PAGE + ' a page)');
    nav.appendChild(label);
    nav.appendChild(next);
    nav.appendChild(last);
    var num = el('input');
    num.type = 'number';
    num.min = '1';
    num.max = String(pages);
    num.placeholder = 'page';
    num.addEventListener('change', function () { var q = parseInt(num.value, 10); if (q > 0) { go(q - 1)(); } });
    nav.appendChild(num);
    var date = el('input');
    date.type = 'date';
    date.title = 'Jump to the first message on or after this day';
    date.addEventListener('change', function () {
      var from = dayStart(date.value);
      if (from === null) { return; }
      var list = state.shown;
      for (var i = 0; i < list.length; i++) {
        var t = N(list[i].timestamp_ms);
        if (t !== null && t >= from) { go(Math.floor(i / PAGE))(); return; }
      }
      go(pages - 1)();
    });
    nav.appendChild(el('span', 'note', 'Jump to'));
    nav.appendChild(date);
  }

  // A long text is shown in blocks of CHUNK characters (one line of 1 MB takes the browser's
  // line breaker minutes), the first MAX_TEXT characters at once, the rest on request.
  var CHUNK = 1000;
  function cut(text, at) {
    var c = text.charCodeAt(at);
    return at < text.length && c >= 0xdc00 && c <= 0xdfff ? at + 1 : at;
  }
  function appendChunks(div, text, from, to) {
    var frag = document.createDocumentFragment();
    while (from < to) {
      var next = cut(text, Math.min(to, from + CHUNK));
      frag.appendChild(el('div', 'chunk', text.slice(from, next)));
      from = next;
    }
    div.appendChild(frag);
    return from;
  }
  function textBlock(cls, text) {
    var div = el('div', cls);
    if (text.length <= CHUNK) {
      div.textContent = vis(text);
      return div;
    }
    var body = el('div');
    div.appendChild(body);
    var shownTo = appendChunks(body, text, 0, cut(text, Math.min(text.length, MAX_TEXT)));
    if (shownTo >= text.length) { return div; }
    var more = el('div', 'note');
    var label = el('span', '', '');
    function update() {
      label.textContent = 'Shown ' + shownTo + ' of ' + text.length + ' characters. ';
      if (shownTo >= text.length) { more.remove(); }
    }
    more.appendChild(label);
    more.appendChild(button('more', 'Show 50000 more', function () {
      shownTo = appendChunks(body, text, shownTo, cut(text, Math.min(text.length, shownTo + 50000)));
      update();
    }));
    more.appendChild(button('more', 'Show all', function () {
      shownTo = appendChunks(body, text, shownTo, text.length);
      update();
    }));
    update();
    div.appendChild(more);
    return div;
  }

  function bubble(c, m, nested) {
    var st = statusKey(m);
    var cls = 'msg' + (m.from_me === true ? ' me' : m.from_me === false ? '' : ' side-unknown') +
      (st === 'live' ? '' : st === 'other' ? ' other-status' : ' ' + st);
    var b = el('div', cls);
    b.setAttribute('data-id', S(m.id) || '');
    b.setAttribute('data-status', st);
    var d = O(m.details);
    if (m.from_me !== true && !nested) {
      var name = S(m.sender_name), jid = S(m.sender_jid);
      if ((name || jid) && (c.kind === 'group' || c.unattributed || name || c.kind !== 'individual')) {
        b.appendChild(el('div', 'sender', name && jid ? name + ' (' + jid + ')' : name || jid));
      }
    }
    if (st === 'deleted') { b.appendChild(el('span', 'badge deleted', 'Deleted \u00b7 recovered')); }
    if (st === 'superseded') { b.appendChild(el('span', 'badge superseded', 'Earlier version (superseded)')); }
    if (st === 'fragment') { b.appendChild(el('span', 'badge fragment', 'Fragment \u00b7 text found outside any database')); }
    if (st === 'other') { b.appendChild(el('span', 'badge other', 'Status: ' + (S(m.status) || 'none'))); }
    var type = S(m.message_type);
    if (type && type !== 'text') {
      var parts = ['[' + (MEDIA[type] || type) + ']'];
      [S(d.media_mime_type), S(d.media_file), S(d.location), S(d.place_name)].forEach(function (x) { if (x) { parts.push(x); } });
      var size = N(d.media_size) !== null ? N(d.media_size) : (S(d.media_size) ? d.media_size : null);
      if (size !== null) { parts.push(size + ' bytes'); }
      if (S(d.vcard)) { parts.push(S(d.vcard).slice(0, 200)); }
      b.appendChild(el('div', 'media', parts.join(' \u00b7 ')));
    }
    if (S(d.quoted_text)) { b.appendChild(textBlock('quote', '\u21a9 ' + d.quoted_text)); }
    var text = S(m.text);
    if (text !== null && text !== '') {
      b.appendChild(textBlock('text', text));
    } else if (S(m.text_bytes)) {
      b.appendChild(el('div', 'bytes', 'Not valid text; the stored bytes (base64): ' + S(m.text_bytes).slice(0, 400)));
    }
    var reactions = A(d.reactions).filter(function (x) { return typeof x === 'string'; });
    if (reactions.length) { b.appendChild(el('div', 'note', 'Reactions: ' + reactions.join(' '))); }
    if (S(d.edit_of_key_id) || N(d.edited_timestamp_ms) !== null) {
      b.appendChild(el('div', 'note', 'Edited' + (N(d.edited_timestamp_ms) !== null ? ' at ' + fullTime(d.edited_timestamp_ms) : '')));
    }
    var meta = el('div', 'meta');
    var t = N(m.timestamp_ms);
    var conf = N(m.confidence);
    if (conf !== null) {
      var ce = el('span', 'conf' + (conf < 0.5 ? ' low' : ''), 'confidence ' + conf.toFixed(2));
      meta.appendChild(ce);
    }
    meta.appendChild(el('span', 'time', t === null ? 'no time' : (nested ? fullTime(t) : timeOf(t))));
    b.appendChild(meta);
    b.appendChild(evidence(m));
    if (!nested && m._earlier) {
      var earlier = m._earlier.filter(function (e) { return passes(e, state.f); });
      if (earlier.length) {
        var box = el('div', 'earlier');
        box.appendChild(el('div', 'note', earlier.length + (earlier.length === 1 ? ' earlier version' : ' earlier versions') + ' of this message:'));
        earlier.forEach(function (e) { box.appendChild(bubble(c, e, true)); });
        b.appendChild(box);
      }
    }
    return b;
  }

  // Confidence factors and evidence, built when first opened.
  function evidence(m) {
    var ev = A(m.evidence);
    var det = el('details', 'evidence');
    det.appendChild(el('summary', '', 'Why this confidence \u00b7 ' + ev.length + (ev.length === 1 ? ' evidence item' : ' evidence items')));
    det.addEventListener('toggle', function () {
      if (!det.open || det.getAttribute('data-built')) { return; }
      det.setAttribute('data-built', '1');
      det.appendChild(table('Confidence factors', ['factor', 'effect'], A(m.confidence_factors).map(function (f) {
        f = O(f);
        return [S(f.factor) || '', N(f.effect) === null ? '' : (f.effect > 0 ? '+' : '') + f.effect];
      })));
      det.appendChild(table('Evidence', ['source', 'input', 'offset', 'file', 'length', 'artifact', 'page', 'detail'], ev.map(function (e) {
        e = O(e);
        var off = N(e.offset);
        var member = O(e.member), inFile = N(member.offset);
        return [S(e.source) || '', N(e.input) === null ? '' : String(e.input),
          off === null ? '' : off + ' (0x' + off.toString(16) + ')',
          S(member.path) ? S(member.path) + (inFile === null ? '' : ' at ' + inFile) : '',
          N(e.length) === null ? '' : String(e.length),
          S(e.artifact) || '', N(e.page_number) === null ? '' : String(e.page_number), S(e.detail) || ''];
      })));
      var ids = [['message id', S(m.id)], ['key id', S(m.key_id)], ['row id', N(m.row_id) === null ? null : String(m.row_id)],
        ['chat', S(m.chat_jid)], ['sender', S(m.sender_jid)], ['time (UTC)', S(m.timestamp)], ['type', S(m.message_type)]];
      Object.keys(O(m.details)).forEach(function (k) {
        var v = m.details[k];
        ids.push([k, typeof v === 'string' ? v : JSON.stringify(v)]);
      });
      det.appendChild(table('Message', ['field', 'value'], ids.filter(function (x) { return x[1]; })));
    });
    return det;
  }
  function table(caption, head, body) {
    var t = el('table');
    t.appendChild(el('caption', '', caption));
    var tr = el('tr');
    head.forEach(function (h) { tr.appendChild(el('th', '', h)); });
    var thead = el('thead');
    thead.appendChild(tr);
    t.appendChild(thead);
    var tb = el('tbody');
    body.forEach(function (row) {
      var r = el('tr');
      row.forEach(function (cell) { r.appendChild(el('td', '', String(cell).slice(0, 2000))); });
      tb.appendChild(r);
    });
    t.appendChild(tb);
    return t;
  }

  if (readFilters().active) { apply(); }
  route();
  window.__chatcarveReady = true;
}());
