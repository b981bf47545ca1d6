/*!
 * Sahayak web chat widget: a vanilla-JS web component with no dependencies and no build step. It loads
 * no fonts and uses no CDN, so it works on a bank network with no internet access.
 *
 * Embed with one tag:   <script src="https://bank.example/widget.js" defer></script>
 *   - If the page has no <sahayak-chat> element, the script adds one: a floating launcher bubble
 *     (bottom-right) that opens the chat panel.
 *   - If the page has <sahayak-chat> elements, the script upgrades them.
 *
 * Attributes of <sahayak-chat>:
 *   inline        render the panel open, in the page flow (no launcher). Read once, at first render.
 *   title         bank or assistant name shown in the header (default "Sahayak").
 *   server        gateway base URL (default: the origin of this script's own src). May carry a path
 *                 prefix, e.g. "https://chat.bank.example/sahayak".
 *   timestamps    show the local time under messages sent or received on this page.
 *   notice        the footer safety line; notice="" hides it.
 *   lang          the language of the widget's own texts (buttons, status, notes): a catalog code ("hi",
 *                 "hinglish") or a locale ("ta-IN"); default: the page's <html lang>, else "en". Observed.
 *
 * Languages: the widget's texts are the message catalogs' widget_* entries (i18n/locale), fetched from
 * GET <server>/web/strings?lang=<code>; the English ones are built in, so the widget works before and
 * without that answer. When the conversation's language changes (the server names it on replies and on
 * history), the texts follow it. The panel's `lang` attribute names the language shown.
 * Theming (CSS custom properties set on the element): --sahayak-accent, --sahayak-accent-dark,
 *   --sahayak-height (inline mode), --sahayak-z (floating mode). Named ::part()s are listed below.
 *
 * Test hooks. These are stable. They live in the element's open shadow root, and Playwright's CSS
 * selectors pierce it.
 *   data-role="launcher"  floating open/close button (hidden in inline mode); aria-expanded true|false
 *   data-role="panel"     the chat panel; class "open" when shown
 *   data-role="title"     header title text
 *   data-role="status"    connection status; data-state="connecting"|"online"|"reconnecting"|"offline"
 *   data-role="close"     header close button (floating mode only)
 *   data-role="end"       "End chat": forgets the stored session (shared computers) and starts afresh
 *   data-role="log"       the message list (role="log", aria-live="polite")
 *   data-role="message"   one bubble; data-from="customer"|"bot"; its textContent is exactly the message
 *                         text. A customer bubble carries data-status="pending" until the server has
 *                         acknowledged it, or data-status="failed" if it was given up after repeated
 *                         failed deliveries. data-id holds the client message id, when known.
 *   data-role="chips"     the quick-reply group (at most one at a time)
 *   data-role="chip"      one quick-reply button; its textContent is the label that gets sent
 *   data-role="note"      a small system note (errors, "new conversation"); data-kind="info"|"error"
 *   data-role="typing"    typing indicator; has the `hidden` attribute when not shown
 *   data-role="input"     the message textarea (maxlength 2000; Enter sends, Shift+Enter adds a newline)
 *   data-role="send"      the send button
 *   data-role="counter"   the character counter (shown only near the limit)
 * The session id lives in localStorage under "sahayak.session".
 *
 * Security: message text (bot replies, echoed customer text, button labels, server error messages) is
 * data. It is only ever set with textContent, never with innerHTML.
 */
(function () {
  'use strict';

  if (typeof window === 'undefined' || !window.customElements || !window.HTMLElement) return;
  if (window.customElements.get('sahayak-chat')) return; // the script was included twice

  var STORAGE_KEY = 'sahayak.session';
  var MAX_LEN = 2000;
  var COUNTER_FROM = 1800;
  var MAX_OUTBOX = 20;
  var MAX_CHIPS = 12;
  var MAX_SENDS = 5;            // a message resent on this many sockets without an answer is given up
  var BACKOFF_MIN_MS = 500;
  var BACKOFF_MAX_MS = 10000;
  var WS_FAILS_BEFORE_HTTP = 3; // after this many failed WebSocket opens, queued messages go over HTTP
  var TYPING_TIMEOUT_MS = 60000;
  var HTTP_TIMEOUT_MS = 30000;
  var DEFAULT_TITLE = 'Sahayak';

  // The English texts, built in. The keys are the message catalogs'; /web/strings sends any language's.
  var DEFAULT_STRINGS = {
    widget_end_chat: 'End chat',
    widget_close_chat: 'Close chat',
    widget_open_chat_with: 'Open chat with {name}',
    widget_close_chat_with: 'Close chat with {name}',
    widget_status_connecting: 'Connecting\u2026',
    widget_status_online: 'Online',
    widget_status_reconnecting: 'Reconnecting\u2026',
    widget_status_offline: 'Offline, will retry',
    widget_conversation: 'Conversation',
    widget_empty: 'Say hello to start the conversation.',
    widget_input_label: 'Type your message',
    widget_input_placeholder: 'Type a message\u2026',
    widget_send: 'Send message',
    widget_notice: 'We will never ask for your card PIN, CVV or net-banking password.',
    widget_typing: '{name} is typing\u2026',
    widget_you_said: 'You said:',
    widget_bot_said: '{name} said:',
    widget_suggested_replies: 'Suggested replies',
    widget_error_not_processed: 'Sorry, that message could not be processed.',
    widget_error_not_sent: 'Sorry, that message could not be sent.',
    widget_error_not_delivered: 'A message could not be delivered. Please send it again.',
    widget_error_outbox_full: 'Too many messages are waiting to be sent. Please wait for the connection to return.',
    widget_error_busy: 'Please wait for the answers before sending more.',
    widget_error_invalid_text: 'The message contains control characters; please retype it.',
    widget_error_too_long: 'That message is too long. Please make it shorter.',
    widget_error_expired_session: 'This chat session has expired. Start a new one.',
    widget_new_conversation: 'Your previous conversation has ended. This is a new conversation.'
  };

  // The origin of this script's own src. This is captured at load time, because document.currentScript
  // is only set while the script runs.
  var SCRIPT_ORIGIN = (function () {
    var s = document.currentScript;
    if (!s || !s.src) {
      var all = document.querySelectorAll('script[src]');
      for (var i = all.length - 1; i >= 0; i--) {
        if (/(^|\/)widget\.js(\?|#|$)/.test(all[i].getAttribute('src'))) { s = all[i]; break; }
      }
    }
    try { return new URL(s && s.src ? s.src : window.location.href, window.location.href).origin; }
    catch (e) { return window.location.origin; }
  })();

  // ---- storage (localStorage may be unavailable: private mode, sandboxed frames) ----------------------
  var memoryStore = {};
  function storeGet(k) {
    try { var v = window.localStorage.getItem(k); if (v !== null) return v; } catch (e) { /* fall through */ }
    return Object.prototype.hasOwnProperty.call(memoryStore, k) ? memoryStore[k] : null;
  }
  function storeSet(k, v) {
    memoryStore[k] = v;
    try { window.localStorage.setItem(k, v); } catch (e) { /* memory only */ }
  }
  function storeDel(k) {
    delete memoryStore[k];
    try { window.localStorage.removeItem(k); } catch (e) { /* memory only */ }
  }

  // ---- ids ------------------------------------------------------------------------------------------
  function newId() {
    var c = window.crypto;
    if (c && typeof c.randomUUID === 'function') {
      try { return c.randomUUID(); } catch (e) { /* insecure context: fall back */ }
    }
    var b = new Uint8Array(16), i;
    if (c && typeof c.getRandomValues === 'function') c.getRandomValues(b);
    else for (i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = '';
    for (i = 0; i < 16; i++) h += (b[i] < 16 ? '0' : '') + b[i].toString(16);
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }

  // ---- HTTP -----------------------------------------------------------------------------------------
  // Each resolves to {status, ok, body}, and rejects only on a network failure or timeout.
  function postJSON(url, payload) {
    return fetchJSON(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json' },
      body: JSON.stringify(payload),
      cache: 'no-store'
    });
  }

  // A simple GET (no preflight), cached as the server says.
  function getJSON(url) { return fetchJSON(url, { headers: { 'Accept': 'application/json' } }); }

  function fetchJSON(url, init) {
    var ctrl = typeof AbortController === 'function' ? new AbortController() : null;
    var timer = ctrl ? setTimeout(function () { ctrl.abort(); }, HTTP_TIMEOUT_MS) : null;
    init.credentials = 'omit';
    init.signal = ctrl ? ctrl.signal : undefined;
    return fetch(url, init).then(function (res) {
      return res.text().then(function (t) {
        var body = {};
        try { body = t ? JSON.parse(t) : {}; } catch (e) { body = {}; }
        if (!body || typeof body !== 'object') body = {};
        return { status: res.status, ok: res.ok, body: body };
      });
    }).finally(function () { if (timer) clearTimeout(timer); });
  }

  // One session for the page. Every widget on the page shares it, and a creation already in flight is
  // shared too.
  var sessionInflight = null;
  function getSession(server) {
    var s = storeGet(STORAGE_KEY);
    if (s) return Promise.resolve(s);
    if (!sessionInflight) {
      sessionInflight = postJSON(server + '/web/session', {}).then(function (r) {
        if (!r.ok || typeof r.body.session !== 'string' || !r.body.session) {
          var err = new Error('session: HTTP ' + r.status);
          err.status = r.status;
          throw err;
        }
        storeSet(STORAGE_KEY, r.body.session);
        return r.body.session;
      }).finally(function () { sessionInflight = null; });
    }
    return sessionInflight;
  }
  function forgetSession(s) { if (storeGet(STORAGE_KEY) === s) storeDel(STORAGE_KEY); }

  // ---- texts in the customer's language -------------------------------------------------------------
  // One request per server and language for the page, shared by every widget; a failed one is forgotten
  // so that a later switch to that language tries again.
  var stringsRequests = {};
  function getStrings(server, code) {
    var key = server + '\n' + code;
    if (!stringsRequests[key]) {
      stringsRequests[key] = getJSON(server + '/web/strings?lang=' + encodeURIComponent(code)).then(function (r) {
        if (!r.ok || !r.body.strings || typeof r.body.strings !== 'object') throw new Error('strings: HTTP ' + r.status);
        var strings = {};
        for (var k in DEFAULT_STRINGS) {
          var v = r.body.strings[k];
          strings[k] = typeof v === 'string' && v ? v : DEFAULT_STRINGS[k]; // an older server lacks new keys
        }
        return { language: asText(r.body.language) || code, strings: strings };
      });
      stringsRequests[key].catch(function () { delete stringsRequests[key]; });
    }
    return stringsRequests[key];
  }

  // The BCP 47 tag of a catalog language, for the `lang` attribute (screen readers pick a voice by it).
  function langTag(code) { return code === 'hinglish' ? 'hi-Latn' : code; }

  function wsUrlFor(server) {
    var u = new URL(server + '/web/ws', window.location.href);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    return u.href;
  }

  function asText(v) { return typeof v === 'string' ? v : (v === null || v === undefined ? '' : String(v)); }
  function asButtons(v) {
    if (!Array.isArray(v)) return [];
    var out = [];
    for (var i = 0; i < v.length && out.length < MAX_CHIPS; i++) {
      var label = asText(v[i]).trim();
      if (label) out.push(label);
    }
    return out;
  }

  // ---- markup (static; no message data ever goes through innerHTML) ---------------------------------------
  var ICON_CHAT = '<svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true" focusable="false"><path fill="currentColor" d="M12 3C6.5 3 2 6.8 2 11.5c0 2.4 1.2 4.6 3.1 6.1-.2 1.4-.8 2.7-1.8 3.7-.2.2-.1.6.2.6 2 0 3.7-.7 5-1.6 1.1.3 2.3.5 3.5.5 5.5 0 10-3.8 10-8.5S17.5 3 12 3zm-4.5 9.75a1.25 1.25 0 1 1 0-2.5 1.25 1.25 0 0 1 0 2.5zm4.5 0a1.25 1.25 0 1 1 0-2.5 1.25 1.25 0 0 1 0 2.5zm4.5 0a1.25 1.25 0 1 1 0-2.5 1.25 1.25 0 0 1 0 2.5z"/></svg>';
  var ICON_CLOSE = '<svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false"><path fill="currentColor" d="M18.3 5.7a1 1 0 0 0-1.4 0L12 10.6 7.1 5.7a1 1 0 1 0-1.4 1.4l4.9 4.9-4.9 4.9a1 1 0 1 0 1.4 1.4l4.9-4.9 4.9 4.9a1 1 0 0 0 1.4-1.4L13.4 12l4.9-4.9a1 1 0 0 0 0-1.4z"/></svg>';
  var ICON_SEND = '<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false"><path fill="currentColor" d="M3.4 20.4l17.45-7.48a1 1 0 0 0 0-1.84L3.4 3.6a.99.99 0 0 0-1.39.91L2 9.12c0 .5.37.93.87.99L17 12 2.87 13.88c-.5.07-.87.5-.87 1l.01 4.61c0 .71.73 1.2 1.39.91z"/></svg>';
  var ICON_BANK = '<svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false"><path fill="currentColor" d="M11.5 1.8a1 1 0 0 1 1 0l8.5 4.9A1 1 0 0 1 20.5 8.5h-17A1 1 0 0 1 3 6.7l8.5-4.9zM5 10h2.5v7H5v-7zm5.75 0h2.5v7h-2.5v-7zm5.75 0H19v7h-2.5v-7zM3 19h18a1 1 0 0 1 1 1v1a1 1 0 0 1-1 1H3a1 1 0 0 1-1-1v-1a1 1 0 0 1 1-1z"/></svg>';

  var STYLE = [
    ':host{all:initial;display:block;box-sizing:border-box;',
    '  --sc-accent:var(--sahayak-accent,#0b4f9c);--sc-accent-dark:var(--sahayak-accent-dark,#07386f);',
    '  --sc-text:#1b2433;--sc-muted:#667085;--sc-line:#e2e7ef;--sc-bg:#f4f6fa;',
    '}',
    /* Inherited properties are set on the shadow elements themselves: a page rule such as
       *{color:red!important} matches the host and would otherwise leak in through inheritance. */
    '.launcher,.panel{font:400 15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans Devanagari","Nirmala UI","Helvetica Neue",Arial,sans-serif;',
    '  color:var(--sc-text);font-style:normal;text-align:start;text-transform:none;text-indent:0;text-shadow:none;',
    '  letter-spacing:normal;word-spacing:normal;white-space:normal;cursor:auto;-webkit-font-smoothing:antialiased}',
    ':host([hidden]){display:none}',
    '*,*::before,*::after{box-sizing:border-box}',
    ':host(:not([inline])){position:fixed;right:20px;bottom:20px;z-index:var(--sahayak-z,2147483000)}',
    ':host([inline]){position:relative;width:100%;height:var(--sahayak-height,560px)}',
    '.sr-only{position:absolute!important;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}',
    'button{font:inherit;color:inherit;margin:0}',
    ':focus:not(:focus-visible){outline:none}',
    ':focus-visible{outline:3px solid var(--sahayak-focus,#6aa3e8);outline-offset:2px}',

    /* launcher */
    '.launcher{display:grid;place-items:center;width:60px;height:60px;border-radius:50%;border:0;cursor:pointer;',
    '  background:var(--sc-accent);color:#fff;box-shadow:0 6px 20px rgba(16,24,40,.28),0 2px 6px rgba(16,24,40,.18);',
    '  transition:transform .18s ease,background-color .18s ease;position:relative;margin-left:auto}',
    '.launcher:hover{background:var(--sc-accent-dark);transform:translateY(-1px)}',
    '.launcher .i-close{display:none}',
    '.launcher[aria-expanded="true"] .i-chat{display:none}',
    '.launcher[aria-expanded="true"] .i-close{display:block}',
    '.badge{position:absolute;top:4px;right:4px;width:14px;height:14px;border-radius:50%;background:#e5484d;border:2px solid #fff}',
    '.badge[hidden]{display:none}',
    ':host([inline]) .launcher{display:none}',

    /* panel */
    '.panel{display:flex;flex-direction:column;overflow:hidden;background:#fff;border-radius:18px;',
    '  border:1px solid var(--sc-line);box-shadow:0 18px 48px rgba(16,24,40,.22),0 4px 12px rgba(16,24,40,.10)}',
    ':host(:not([inline])) .panel{position:absolute;right:0;bottom:76px;width:min(384px,calc(100vw - 32px));',
    '  height:min(620px,calc(100vh - 120px));opacity:0;visibility:hidden;transform:translateY(14px) scale(.98);',
    '  transform-origin:bottom right;transition:opacity .2s ease,transform .2s ease,visibility 0s linear .2s}',
    ':host(:not([inline])) .panel.open{opacity:1;visibility:visible;transform:none;transition:opacity .2s ease,transform .2s ease,visibility 0s}',
    ':host([inline]) .panel{width:100%;height:100%;box-shadow:0 8px 28px rgba(16,24,40,.10)}',
    '@media (max-width:480px){',
    '  :host(:not([inline])) .panel{position:fixed;inset:0;width:auto;height:auto;border-radius:0;border:0}',
    '  :host(:not([inline])) .launcher[aria-expanded="true"]{display:none}',
    '}',

    /* header */
    '.header{display:flex;align-items:center;gap:12px;padding:14px 14px 14px 16px;color:#fff;',
    '  background:linear-gradient(135deg,var(--sc-accent),var(--sc-accent-dark));flex:none}',
    '.avatar{display:grid;place-items:center;width:40px;height:40px;border-radius:50%;flex:none;',
    '  background:rgba(255,255,255,.16);box-shadow:inset 0 0 0 1px rgba(255,255,255,.25)}',
    '.heading{min-width:0;flex:1}',
    '.title{margin:0;font-size:16px;font-weight:650;line-height:1.25;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}',
    '.status{margin:2px 0 0;font-size:12.5px;line-height:1.2;opacity:.92;display:flex;align-items:center;gap:6px}',
    '.status .dot{width:8px;height:8px;border-radius:50%;background:#f5b94a;flex:none}',
    '.status[data-state="online"] .dot{background:#3ddc97}',
    '.status[data-state="offline"] .dot{background:#c3cad6}',
    '.close{display:grid;place-items:center;width:36px;height:36px;border-radius:50%;border:0;background:transparent;color:#fff;cursor:pointer;flex:none}',
    '.close:hover{background:rgba(255,255,255,.16)}',
    ':host([inline]) .close{display:none}',
    '.end{border:1px solid rgba(255,255,255,.45);background:transparent;color:#fff;border-radius:999px;padding:4px 11px;',
    '  font-size:12.5px;line-height:1.3;cursor:pointer;flex:none}',
    '.end:hover{background:rgba(255,255,255,.16)}',

    /* conversation */
    '.scroller{flex:1;overflow-y:auto;overscroll-behavior:contain;background:var(--sc-bg);padding:16px 14px 8px}',
    '.log{display:flex;flex-direction:column;min-height:100%}',
    '.log:empty::before{content:attr(data-empty);margin:auto;color:var(--sc-muted);font-size:14px;text-align:center;padding:24px}',
    '.row{display:flex;flex-direction:column;align-items:flex-start;margin-top:12px;animation:sc-in .18s ease-out both}',
    '.row:first-child{margin-top:0}',
    '.row.from-customer{align-items:flex-end}',
    '.row.from-bot+.row.from-bot,.row.from-customer+.row.from-customer{margin-top:4px}',
    '.row.quiet{animation:none}',
    '.bubble{max-width:84%;padding:9px 13px;border-radius:18px;white-space:pre-wrap;overflow-wrap:anywhere;',
    '  border:1px solid transparent;font-size:15px}',
    '.from-bot .bubble{background:#fff;border-color:var(--sc-line);border-bottom-left-radius:6px;',
    '  box-shadow:0 1px 2px rgba(16,24,40,.05)}',
    '.from-customer .bubble{background:var(--sc-accent);color:#fff;border-bottom-right-radius:6px}',
    '.from-customer .bubble[data-status="pending"]{opacity:.72}',
    '.from-customer .bubble[data-status="failed"]{background:#fff;color:#8f1d1d;border-color:#e5a3a3}',
    '.time{font-size:11px;color:var(--sc-muted);margin:3px 6px 0}',
    '.chips{display:flex;flex-wrap:wrap;gap:8px;margin:10px 0 2px;animation:sc-in .18s ease-out both}',
    '.chip{border:1px solid var(--sc-accent);background:#fff;color:var(--sc-accent);border-radius:999px;',
    '  padding:7px 14px;font-size:14px;line-height:1.2;cursor:pointer;text-align:left;max-width:100%;',
    '  overflow-wrap:anywhere;transition:background-color .15s ease,color .15s ease}',
    '.chip:hover{background:var(--sc-accent);color:#fff}',
    '.note{align-self:center;margin:12px auto 0;max-width:90%;padding:5px 12px;border-radius:10px;font-size:12.5px;',
    '  color:var(--sc-muted);background:#e9edf3;text-align:center;white-space:pre-wrap;overflow-wrap:anywhere}',
    '.note[data-kind="error"]{color:#8f1d1d;background:#fdecec}',
    '.typing{padding:4px 14px 10px;background:var(--sc-bg);flex:none}',
    '.typing[hidden]{display:none}',
    '.dots{display:inline-flex;gap:5px;align-items:center;padding:12px 14px;background:#fff;border:1px solid var(--sc-line);',
    '  border-radius:18px 18px 18px 6px}',
    '.dots i{display:block;width:7px;height:7px;border-radius:50%;background:#8a94a6;animation:sc-dot 1.2s infinite ease-in-out}',
    '.dots i:nth-child(2){animation-delay:.15s}.dots i:nth-child(3){animation-delay:.3s}',
    '@keyframes sc-dot{0%,60%,100%{transform:translateY(0);opacity:.45}30%{transform:translateY(-4px);opacity:1}}',
    '@keyframes sc-in{from{opacity:0;transform:translateY(4px)}to{opacity:1;transform:none}}',

    /* composer */
    '.composer{display:flex;align-items:flex-end;gap:8px;padding:10px 12px 8px;border-top:1px solid var(--sc-line);background:#fff;flex:none}',
    '.input{flex:1;min-width:0;resize:none;border:1px solid #cfd6e1;border-radius:20px;padding:9px 14px;margin:0;',
    '  font:inherit;font-size:15px;line-height:1.4;color:var(--sc-text);background:#fff;min-height:42px;max-height:132px;overflow-y:auto}',
    '.input::placeholder{color:#8a94a6}',
    '.input:focus{border-color:var(--sc-accent);box-shadow:0 0 0 3px var(--sahayak-focus-soft,rgba(106,163,232,.35))}',
    '.input:focus-visible{outline:none}',
    '.send{display:grid;place-items:center;width:42px;height:42px;border-radius:50%;border:0;flex:none;cursor:pointer;',
    '  background:var(--sc-accent);color:#fff;transition:background-color .15s ease,opacity .15s ease}',
    '.send:hover{background:var(--sc-accent-dark)}',
    '.input:placeholder-shown+.send{opacity:.55}',
    '.meta{display:flex;justify-content:space-between;gap:8px;padding:0 14px 10px;background:#fff;flex:none;font-size:11.5px;color:var(--sc-muted)}',
    '.meta:has(.notice:empty):has(.counter[hidden]){display:none}',
    '.counter{margin:0 0 0 auto;flex:none}',
    '.counter[hidden]{display:none}',
    '.counter.full{color:#8f1d1d}',
    '.notice{margin:0}',

    '@media (prefers-reduced-motion:reduce){',
    '  .launcher,.panel,:host(:not([inline])) .panel,:host(:not([inline])) .panel.open,.chip,.send{transition:none!important}',
    '  .row,.chips{animation:none}',
    '  .dots i{animation:none;opacity:.75}',
    '}',
    '@media (forced-colors:active){.bubble,.chip,.send,.launcher,.dots{border:1px solid CanvasText}}'
  ].join('\n');

  var TEMPLATE =
    '<style>' + STYLE + '</style>' +
    '<button class="launcher" part="launcher" data-role="launcher" type="button" aria-expanded="false" aria-controls="panel">' +
      '<span class="i-chat">' + ICON_CHAT + '</span><span class="i-close">' + ICON_CLOSE + '</span>' +
      '<span class="badge" data-role="unread" hidden></span>' +
    '</button>' +
    '<section class="panel" id="panel" part="panel" data-role="panel" role="region" aria-labelledby="title" title="">' +
      '<header class="header" part="header">' +
        '<div class="avatar" aria-hidden="true">' + ICON_BANK + '</div>' +
        '<div class="heading">' +
          '<h2 class="title" id="title" part="title" data-role="title"></h2>' +
          '<p class="status" data-role="status" data-state="connecting"><span class="dot" aria-hidden="true"></span><span class="status-text"></span></p>' +
        '</div>' +
        '<button class="end" part="end" data-role="end" type="button"></button>' +
        '<button class="close" part="close" data-role="close" type="button">' + ICON_CLOSE + '</button>' +
      '</header>' +
      '<div class="scroller" part="scroller">' +
        '<div class="log" part="log" data-role="log" role="log" aria-live="polite" aria-relevant="additions" ' +
          '></div>' +
      '</div>' +
      '<div class="typing" part="typing" data-role="typing" role="status" hidden>' +
        '<span class="sr-only typing-text"></span><span class="dots" aria-hidden="true"><i></i><i></i><i></i></span>' +
      '</div>' +
      '<form class="composer" part="composer" data-role="composer" novalidate>' +
        '<label class="sr-only" for="input"></label>' +
        '<textarea class="input" id="input" part="input" data-role="input" rows="1" maxlength="' + MAX_LEN + '" ' +
          'autocomplete="off" enterkeyhint="send" aria-describedby="counter"></textarea>' +
        '<button class="send" part="send" data-role="send" type="submit">' + ICON_SEND + '</button>' +
      '</form>' +
      '<div class="meta"><p class="notice" part="notice" data-role="notice"></p>' +
        '<p class="counter" id="counter" data-role="counter" hidden></p></div>' +
    '</section>';

  // Errors about a frame rather than about a message: they reject nothing that is waiting for an answer.
  var FRAME_ERRORS = { invalid_json: true, unknown_type: true, no_session: true, already_greeted: true };

  var STATUS_KEYS = { connecting: 'widget_status_connecting', online: 'widget_status_online',
    reconnecting: 'widget_status_reconnecting', offline: 'widget_status_offline' };

  // Server errors a customer's own message causes: shown in the widget's language. Other errors show the
  // server's message.
  var ERROR_KEYS = { busy: 'widget_error_busy', invalid_text: 'widget_error_invalid_text',
    text_too_long: 'widget_error_too_long', expired_session: 'widget_error_expired_session' };

  function reducedMotion() {
    try { return window.matchMedia('(prefers-reduced-motion: reduce)').matches; } catch (e) { return false; }
  }

  class SahayakChat extends HTMLElement {
    static get observedAttributes() { return ['title', 'notice', 'lang']; }

    constructor() {
      super();
      this._built = false;
      this._started = false;
      this._open = false;
      this._ws = null;
      this._wsReady = false;      // true once `history` arrived on the current socket
      this._serial = 0;           // socket generation, so that queued messages get resent on a new socket
      this._wsSupported = typeof window.WebSocket === 'function';
      this._wsFailures = 0;       // consecutive sockets that never opened
      this._attempts = 0;         // backoff exponent
      this._forgedStreak = 0;
      this._sessionReplaced = false;
      this._retryTimer = null;
      this._typingTimer = null;
      this._httpBusy = false;
      this._connecting = false;
      this._epoch = 0;            // bumped by "End chat": a connection attempt begun before it is discarded
      this._httpOk = false;       // the last HTTP fallback request reached the server
      this._seenReplies = {};
      this._seenOrder = [];
      this._outbox = [];          // {id, text, el, socket, transmitted, inflight}
      this._chipsEl = null;
      this._strings = DEFAULT_STRINGS;
      this._shownLang = null;     // the language of this._strings, once the server has sent them
      this._wantedLang = null;    // the language last asked for: a slower answer for another is dropped
      this._onOnline = this._onOnline.bind(this);
      this._onVisible = this._onVisible.bind(this);
      this._onPageHide = this._onPageHide.bind(this);
      this._onPageShow = this._onPageShow.bind(this);
    }

    connectedCallback() {
      if (!this._built) this._build();
      this._setLanguage(this._pageLanguage());
      if (this._inline || this._open) this._start();
    }

    disconnectedCallback() { this._stop(); }

    attributeChangedCallback(name) {
      if (!this._built) return;
      if (name === 'lang') this._setLanguage(this._pageLanguage());
      else this._applyText();
    }

    // ---- building -------------------------------------------------------------------------------------
    _build() {
      this._built = true;
      this._inline = this.hasAttribute('inline');
      var root = this.attachShadow({ mode: 'open' });
      root.innerHTML = TEMPLATE; // static markup only
      var q = function (sel) { return root.querySelector(sel); };
      this._launcher = q('[data-role="launcher"]');
      this._unread = q('[data-role="unread"]');
      this._panel = q('[data-role="panel"]');
      this._title = q('[data-role="title"]');
      this._status = q('[data-role="status"]');
      this._statusText = q('.status-text');
      this._closeBtn = q('[data-role="close"]');
      this._endBtn = q('[data-role="end"]');
      this._scroller = q('.scroller');
      this._log = q('[data-role="log"]');
      this._typing = q('[data-role="typing"]');
      this._typingText = q('.typing-text');
      this._form = q('[data-role="composer"]');
      this._input = q('[data-role="input"]');
      this._inputLabel = q('label[for="input"]');
      this._sendBtn = q('[data-role="send"]');
      this._counter = q('[data-role="counter"]');
      this._notice = q('[data-role="notice"]');
      this._applyText();

      if (this._inline) {
        this._panel.classList.add('open');
        this._launcher.hidden = true;
      } else {
        this._panel.setAttribute('aria-hidden', 'true');
      }

      var self = this;
      this._launcher.addEventListener('click', function () { self._setOpen(!self._open); });
      this._closeBtn.addEventListener('click', function () { self._setOpen(false); self._launcher.focus(); });
      this._endBtn.addEventListener('click', function () { self._endChat(); });
      this._panel.addEventListener('keydown', function (ev) {
        if (ev.key === 'Escape' && !self._inline && self._open) {
          ev.preventDefault();
          self._setOpen(false);
          self._launcher.focus();
        }
      });
      this._form.addEventListener('submit', function (ev) {
        ev.preventDefault();
        self._submitInput();
      });
      this._input.addEventListener('keydown', function (ev) {
        // Enter sends and Shift+Enter adds a newline. An IME composition (Hindi, Tamil...) is never cut short.
        if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing && ev.keyCode !== 229) {
          ev.preventDefault();
          self._submitInput();
        }
      });
      this._input.addEventListener('input', function () { self._autosize(); self._updateCounter(); });
    }

    _applyText() {
      var name = this._name();
      this._title.textContent = name;
      this._typingText.textContent = this._t('widget_typing', name);
      this._launcher.setAttribute('aria-label', this._t(this._open ? 'widget_close_chat_with' : 'widget_open_chat_with', name));
      this._launcher.title = this._launcher.getAttribute('aria-label');
      this._statusText.textContent = this._statusLabel(this._status.getAttribute('data-state'));
      this._endBtn.textContent = this._t('widget_end_chat');
      this._closeBtn.setAttribute('aria-label', this._t('widget_close_chat'));
      this._log.setAttribute('aria-label', this._t('widget_conversation'));
      this._log.setAttribute('data-empty', this._t('widget_empty'));
      this._inputLabel.textContent = this._t('widget_input_label');
      this._input.placeholder = this._t('widget_input_placeholder');
      this._sendBtn.setAttribute('aria-label', this._t('widget_send'));
      if (this._chipsEl) this._chipsEl.setAttribute('aria-label', this._t('widget_suggested_replies'));
      if (this._shownLang) {
        this._panel.setAttribute('lang', langTag(this._shownLang));
        this._launcher.setAttribute('lang', langTag(this._shownLang));
      }
      var notice = this.getAttribute('notice');
      this._notice.textContent = notice === null ? this._t('widget_notice') : notice;
    }

    _name() { return (this.getAttribute('title') || '').trim() || DEFAULT_TITLE; }

    // A text in the widget's current language; {name} is the only placeholder these texts have.
    _t(key, name) {
      var text = this._strings[key] || DEFAULT_STRINGS[key];
      return name === undefined ? text : text.split('{name}').join(name);
    }

    _statusLabel(state) { return STATUS_KEYS[state] ? this._t(STATUS_KEYS[state]) : state; }

    _errorText(body, fallbackKey) {
      var key = ERROR_KEYS[body.error];
      return key ? this._t(key) : (asText(body.message) || this._t(fallbackKey));
    }

    _pageLanguage() { return this._declaredLanguage() || 'en'; }

    // The language the widget or its page declares, or null: sent with each message, so that a first
    // "ok" is answered in it. An undeclared page sends none (the bank's default language stands).
    _declaredLanguage() {
      var own = (this.getAttribute('lang') || '').trim();
      return own || (document.documentElement.getAttribute('lang') || '').trim() || null;
    }

    // Show the widget's texts in `code` (the page's language, or the conversation's when it changes).
    _setLanguage(code) {
      code = asText(code).trim();
      if (!code || code === this._wantedLang) return;
      this._wantedLang = code;
      if (code === this._shownLang) return; // shown already; an answer still on its way is dropped
      var self = this;
      getStrings(this._server(), code).then(function (res) {
        if (self._wantedLang !== code) return;
        self._strings = res.strings;
        self._shownLang = res.language;
        self._wantedLang = res.language; // "hi-IN" was answered as "hi": a later "hi" is no change
        self._applyText();
      }, function () {
        if (self._wantedLang === code) self._wantedLang = self._shownLang; // keep the texts shown now
      });
    }

    // The server names the conversation's language on replies and history; the texts follow it.
    _followConversation(language) { if (typeof language === 'string') this._setLanguage(language); }

    _setOpen(open) {
      if (this._inline) return;
      this._open = !!open;
      this._panel.classList.toggle('open', this._open);
      this._launcher.setAttribute('aria-expanded', String(this._open));
      if (this._open) this._panel.removeAttribute('aria-hidden');
      else this._panel.setAttribute('aria-hidden', 'true');
      this._applyText();
      if (this._open) {
        this._unread.hidden = true;
        this._start();
        var self = this;
        requestAnimationFrame(function () { self._input.focus(); self._scrollToBottom(); });
      }
    }

    // "End chat": on a shared computer the next person must not be able to reload the conversation.
    // The stored session is forgotten and the view cleared. The next connection starts a new session.
    _endChat() {
      var s = storeGet(STORAGE_KEY);
      if (s) forgetSession(s);
      this._epoch++;
      clearTimeout(this._retryTimer);
      this._retryTimer = null;
      this._closeSocket();
      this._outbox = [];
      this._seenReplies = {};
      this._seenOrder = [];
      this._hideTyping();
      this._removeChips();
      while (this._log.firstChild) this._log.removeChild(this._log.firstChild);
      this._input.value = '';
      this._autosize();
      this._updateCounter();
      this._input.focus();
      if (this._started) { this._attempts = 0; this._connect(); }
    }

    _server() {
      var s = (this.getAttribute('server') || '').trim() || SCRIPT_ORIGIN;
      return s.replace(/\/+$/, '');
    }

    // ---- lifecycle ----------------------------------------------------------------------------------
    _start() {
      if (this._started) return;
      this._started = true;
      window.addEventListener('online', this._onOnline);
      window.addEventListener('pagehide', this._onPageHide);
      window.addEventListener('pageshow', this._onPageShow);
      document.addEventListener('visibilitychange', this._onVisible);
      this._connect();
    }

    _stop() {
      this._started = false;
      window.removeEventListener('online', this._onOnline);
      window.removeEventListener('pagehide', this._onPageHide);
      window.removeEventListener('pageshow', this._onPageShow);
      document.removeEventListener('visibilitychange', this._onVisible);
      clearTimeout(this._retryTimer);
      this._retryTimer = null;
      this._closeSocket();
      this._hideTyping();
    }

    _onOnline() { this._reconnectNow(); }
    _onVisible() { if (document.visibilityState === 'visible') this._reconnectNow(); }
    _onPageHide(ev) { if (ev && ev.persisted) { clearTimeout(this._retryTimer); this._retryTimer = null; this._closeSocket(); } }
    _onPageShow(ev) { if (ev && ev.persisted) this._reconnectNow(); }

    _reconnectNow() {
      if (!this._started || this._ws || this._connecting) return;
      clearTimeout(this._retryTimer);
      this._retryTimer = null;
      this._attempts = 0;
      this._connect();
    }

    _closeSocket() {
      var ws = this._ws;
      this._ws = null;
      this._wsReady = false;
      if (ws) {
        ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
        try { ws.close(1000); } catch (e) { /* already closed */ }
      }
    }

    _setStatus(state) {
      // While WebSocket is unavailable but HTTP delivery works, the customer is effectively online.
      if (state !== 'online' && this._httpOk && this._useHttp()) state = 'online';
      this._status.setAttribute('data-state', state);
      this._statusText.textContent = this._statusLabel(state);
    }

    _scheduleReconnect(delayMs) {
      if (!this._started || this._retryTimer) return;
      var delay = delayMs;
      if (delay === undefined) {
        var base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * Math.pow(2, this._attempts));
        this._attempts = Math.min(this._attempts + 1, 20);
        delay = base / 2 + Math.random() * (base / 2); // capped exponential backoff with jitter
      }
      this._setStatus(this._attempts >= 4 ? 'offline' : 'reconnecting');
      var self = this;
      this._retryTimer = setTimeout(function () { self._retryTimer = null; self._connect(); }, delay);
    }

    _useHttp() { return !this._wsSupported || this._wsFailures >= WS_FAILS_BEFORE_HTTP; }

    _connect() {
      if (!this._started || this._ws || this._connecting) return;
      this._connecting = true;
      if (this._status.getAttribute('data-state') !== 'offline') {
        this._setStatus(this._attempts ? 'reconnecting' : 'connecting');
      }
      var self = this;
      var server = this._server();
      var epoch = this._epoch;
      getSession(server).then(function (session) {
        self._connecting = false;
        if (epoch !== self._epoch) { self._connect(); return; }
        if (!self._started || self._ws) return;
        if (!self._wsSupported) { self._httpOk = true; self._setStatus('online'); self._flush(); return; }
        var ws;
        try {
          ws = new WebSocket(wsUrlFor(server));
        } catch (e) {
          // No WebSocket at all (blocked by policy, bad URL): use POST /web/messages from now on.
          self._wsSupported = false;
          self._httpOk = true;
          self._setStatus('online');
          self._flush();
          return;
        }
        self._openSocket(ws, session);
      }, function () {
        self._connecting = false;
        self._scheduleReconnect();
      });
    }

    _openSocket(ws, session) {
      var self = this;
      ++this._serial;
      var opened = false;
      var forged = false;
      this._ws = ws;
      this._wsReady = false;
      ws.onopen = function () {
        opened = true;
        ws.send(JSON.stringify({ type: 'hello', session: session }));
      };
      ws.onmessage = function (ev) {
        if (self._ws !== ws) return;
        var f;
        try { f = JSON.parse(ev.data); } catch (e) { return; }
        if (!f || typeof f !== 'object') return;
        if (f.type === 'error' && f.error === 'forged_session') {
          forged = true;
          forgetSession(session);
          try { ws.close(1000); } catch (e) { /* closing anyway */ }
          return;
        }
        self._onFrame(f);
      };
      ws.onerror = function () { /* a close event follows */ };
      ws.onclose = function () {
        if (self._ws !== ws) return;
        self._ws = null;
        self._wsReady = false;
        self._hideTyping();
        if (forged) {
          // The server does not know this session: start a new conversation. Retry at once the first
          // time, then back off so that a misconfigured server cannot cause a tight loop.
          self._sessionReplaced = true;
          self._forgedStreak++;
          self._scheduleReconnect(self._forgedStreak <= 1 ? 0 : undefined);
          return;
        }
        if (!opened) self._wsFailures++;
        self._scheduleReconnect();
        if (self._useHttp()) self._flush(); // WebSocket seems blocked (a proxy?): deliver over HTTP meanwhile
      };
    }

    // ---- server frames ------------------------------------------------------------------------------
    _onFrame(f) {
      switch (f.type) {
        case 'history':
          this._wsReady = true;
          this._attempts = 0;
          this._wsFailures = 0;
          this._forgedStreak = 0;
          this._setStatus('online');
          this._followConversation(f.language);
          this._renderHistory(f.messages);
          this._flush();
          break;
        case 'typing':
          // Sent when the server accepts a message (frames arrive in order): acknowledge the oldest one.
          for (var i = 0; i < this._outbox.length; i++) {
            var m = this._outbox[i];
            if (m.transmitted && m.el && m.el.hasAttribute('data-status')) { m.el.removeAttribute('data-status'); break; }
          }
          this._showTyping();
          break;
        case 'reply':
          if (this._isRepeat(f.in_reply_to, asText(f.text))) break;
          this._acknowledge(f.in_reply_to);
          this._followConversation(f.language);
          this._addBot(asText(f.text), asButtons(f.buttons));
          if (this._hasInFlight()) this._showTyping(); // more replies may follow until `done`
          break;
        case 'done':
          this._complete(f.in_reply_to);
          break;
        case 'error':
          this._note(this._errorText(f, 'widget_error_not_processed'), 'error');
          if (f.in_reply_to) this._complete(f.in_reply_to);
          else if (!FRAME_ERRORS[f.error]) this._dropOldestTransmitted(); // a reject without in_reply_to
          else this._hideTypingIfIdle();
          break;
        default:
          break; // unknown frame types are ignored, for forward compatibility
      }
    }

    _renderHistory(messages) {
      var list = Array.isArray(messages) ? messages : [];
      var log = this._log;
      // Replacing the whole list must not make screen readers read the entire conversation again.
      log.setAttribute('aria-live', 'off');
      var hadContent = log.childElementCount > 0;
      while (log.firstChild) log.removeChild(log.firstChild);
      this._chipsEl = null;
      if (this._sessionReplaced) {
        this._sessionReplaced = false;
        if (hadContent) this._note(this._t('widget_new_conversation'), 'info');
      }

      var historyIds = {};
      var customerTexts = [];
      var hasIds = false;
      var last = null;
      for (var i = 0; i < list.length; i++) {
        var m = list[i];
        if (!m || typeof m !== 'object') continue;
        var from = m.from === 'customer' ? 'customer' : 'bot';
        var text = asText(m.text);
        if (!text) continue;
        var id = typeof m.id === 'string' ? m.id : '';
        if (from === 'customer') {
          customerTexts.push(text);
          if (id) { hasIds = true; historyIds[id] = true; }
        }
        this._append(from, text, { quiet: true, id: id, at: m.at });
        last = m;
      }

      // History holds completed turns only. A queued message that shows up in it has been answered: it
      // is done, and resending it would only replay its replies. The others stay on screen, pending,
      // and the _flush() that follows resends them with their ids (the server dedups on id).
      var tail = customerTexts.slice(-this._outbox.length);
      var keep = [];
      for (var j = 0; j < this._outbox.length; j++) {
        var msg = this._outbox[j];
        var present = false;
        if (hasIds) {
          present = !!historyIds[msg.id];
        } else if (msg.transmitted) {
          var k = tail.indexOf(msg.text);
          if (k >= 0) { present = true; tail.splice(k, 1); }
        }
        if (!present) {
          msg.el = this._append('customer', msg.text, { quiet: true, pending: true, id: msg.id });
          last = null;
          keep.push(msg);
        }
      }
      this._outbox = keep;
      this._hideTypingIfIdle();

      if (last && last.from !== 'customer' && !this._outbox.length) {
        var buttons = asButtons(last.buttons);
        if (buttons.length) this._showChips(buttons);
      }
      setTimeout(function () { log.setAttribute('aria-live', 'polite'); }, 250);
      this._scrollToBottom();
    }

    // ---- sending ------------------------------------------------------------------------------------
    _submitInput() {
      if (this._send(this._input.value)) {
        this._input.value = '';
        this._autosize();
        this._updateCounter();
      }
      this._input.focus();
    }

    _send(raw) {
      var text = asText(raw).replace(/\r\n?/g, '\n').trim();
      if (!text) return false;
      if (text.length > MAX_LEN) text = text.slice(0, MAX_LEN);
      if (this._outbox.length >= MAX_OUTBOX) {
        this._note(this._t('widget_error_outbox_full'), 'error');
        return false;
      }
      this._removeChips();
      var msg = { id: newId(), text: text, el: null, socket: 0, tries: 0, transmitted: false, inflight: false };
      msg.el = this._append('customer', text, { pending: true, id: msg.id, at: new Date() });
      this._outbox.push(msg);
      this._scrollToBottom();
      if (!this._started) this._start();
      this._flush();
      return true;
    }

    _flush() {
      var ws = this._ws;
      if (ws && this._wsReady && ws.readyState === 1) {
        var sent = false;
        for (var i = 0; i < this._outbox.length; i++) {
          var m = this._outbox[i];
          if (m.socket === this._serial || m.inflight) continue;
          if (++m.tries > MAX_SENDS) { this._giveUp(m); i--; continue; }
          ws.send(JSON.stringify({ type: 'message', text: m.text, id: m.id, language: this._declaredLanguage() }));
          m.socket = this._serial;
          m.transmitted = true;
          sent = true;
        }
        if (sent) this._showTyping();
        return;
      }
      if (this._useHttp()) this._flushHttp();
    }

    // HTTP fallback: one message at a time, in order.
    _flushHttp() {
      if (this._httpBusy || !this._started) return;
      var msg = this._outbox[0];
      if (!msg) return;
      if (++msg.tries > MAX_SENDS) { this._giveUp(msg); this._flushHttp(); return; }
      var self = this;
      var server = this._server();
      this._httpBusy = true;
      msg.inflight = true;
      msg.transmitted = true;
      this._showTyping();
      var post = function (session) {
        return postJSON(server + '/web/messages', { session: session, text: msg.text, id: msg.id,
                                                    language: self._declaredLanguage() })
          .then(function (r) { return { r: r, session: session }; });
      };
      getSession(server).then(post).then(function (res) {
        if (res.r.status === 403 && res.r.body.error === 'forged_session') {
          forgetSession(res.session);
          self._sessionReplaced = true;
          return getSession(server).then(post);
        }
        return res;
      }).then(function (res) {
        var r = res.r;
        msg.inflight = false;
        self._httpBusy = false;
        if (r.status < 500) { self._httpOk = true; self._setStatus('online'); }
        if (r.ok) {
          self._complete(msg.id);
          self._followConversation(r.body.language);
          var replies = Array.isArray(r.body.replies) ? r.body.replies : [];
          for (var j = 0; j < replies.length; j++) {
            var rep = replies[j] || {};
            self._addBot(asText(rep.text), asButtons(rep.buttons));
          }
        } else if (r.status >= 400 && r.status < 500) {
          self._complete(msg.id);
          self._note(self._errorText(r.body, 'widget_error_not_sent'), 'error');
        } else {
          throw new Error('HTTP ' + r.status);
        }
        if (self._sessionReplaced) {
          self._sessionReplaced = false;
          self._note(self._t('widget_new_conversation'), 'info');
        }
        self._flush();
      }).catch(function () {
        msg.inflight = false;
        self._httpBusy = false;
        self._httpOk = false;
        self._hideTypingIfIdle();
        self._scheduleReconnect(); // the retry timer drives the next attempt
      });
    }

    // A resent message can make the server replay a turn's replies, and the original turn may also be
    // publishing them. Each (in_reply_to, text) pair is shown once. Only recent turns are remembered.
    _isRepeat(id, text) {
      if (!id) return false;
      var seen = this._seenReplies[id];
      if (!seen) {
        seen = this._seenReplies[id] = [];
        this._seenOrder.push(id);
        if (this._seenOrder.length > 50) delete this._seenReplies[this._seenOrder.shift()];
      }
      if (seen.indexOf(text) >= 0) return true;
      seen.push(text);
      return false;
    }

    _hasInFlight() {
      for (var i = 0; i < this._outbox.length; i++) if (this._outbox[i].transmitted) return true;
      return false;
    }

    // The server has the message (its turn started or produced a reply): it is no longer "pending".
    _acknowledge(id) {
      if (!id) return;
      for (var i = 0; i < this._outbox.length; i++) {
        var m = this._outbox[i];
        if (m.id === id && m.el) { m.el.removeAttribute('data-status'); }
      }
    }

    _complete(id) {
      if (!id) return;
      for (var i = this._outbox.length - 1; i >= 0; i--) {
        var m = this._outbox[i];
        if (m.id === id) {
          if (m.el) m.el.removeAttribute('data-status');
          this._outbox.splice(i, 1);
        }
      }
      this._hideTypingIfIdle();
    }

    _giveUp(msg) {
      var i = this._outbox.indexOf(msg);
      if (i >= 0) this._outbox.splice(i, 1);
      if (msg.el) msg.el.setAttribute('data-status', 'failed');
      this._note(this._t('widget_error_not_delivered'), 'error');
      this._hideTypingIfIdle();
    }

    _dropOldestTransmitted() {
      for (var i = 0; i < this._outbox.length; i++) {
        if (this._outbox[i].transmitted) { this._complete(this._outbox[i].id); return; }
      }
      this._hideTypingIfIdle();
    }

    // ---- rendering ----------------------------------------------------------------------------------
    _append(from, text, opts) {
      opts = opts || {};
      var nearBottom = this._isNearBottom();
      var row = document.createElement('div');
      row.className = 'row from-' + from + (opts.quiet || reducedMotion() ? ' quiet' : '');
      var who = document.createElement('span');
      who.className = 'sr-only';
      who.textContent = from === 'customer' ? this._t('widget_you_said') : this._t('widget_bot_said', this._title.textContent);
      var bubble = document.createElement('div');
      bubble.className = 'bubble';
      bubble.setAttribute('data-role', 'message');
      bubble.setAttribute('data-from', from);
      bubble.setAttribute('part', 'message message-' + from);
      bubble.setAttribute('dir', 'auto'); // Urdu and other right-to-left text render correctly
      if (opts.id) bubble.setAttribute('data-id', opts.id);
      if (opts.pending) bubble.setAttribute('data-status', 'pending');
      bubble.textContent = text; // data, never markup
      row.appendChild(who);
      row.appendChild(bubble);
      if (this.hasAttribute('timestamps') && opts.at) {
        var d = opts.at instanceof Date ? opts.at : new Date(opts.at);
        if (!isNaN(d.getTime())) {
          var t = document.createElement('time');
          t.className = 'time';
          t.setAttribute('data-role', 'timestamp');
          t.dateTime = d.toISOString();
          t.textContent = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
          row.appendChild(t);
        }
      }
      this._log.appendChild(row);
      if (nearBottom || from === 'customer') this._scrollToBottom();
      return bubble;
    }

    _addBot(text, buttons) {
      if (text) this._append('bot', text, { at: new Date() });
      if (buttons && buttons.length) this._showChips(buttons);
      if (!this._inline && !this._open) this._unread.hidden = false;
    }

    _showChips(buttons) {
      this._removeChips();
      var self = this;
      var group = document.createElement('div');
      group.className = 'chips';
      group.setAttribute('data-role', 'chips');
      group.setAttribute('part', 'chips');
      group.setAttribute('role', 'group');
      group.setAttribute('aria-label', this._t('widget_suggested_replies'));
      buttons.forEach(function (label) {
        var b = document.createElement('button');
        b.type = 'button';
        b.className = 'chip';
        b.setAttribute('data-role', 'chip');
        b.setAttribute('part', 'chip');
        b.textContent = label;
        b.addEventListener('click', function () {
          self._send(label);
          self._input.focus();
        });
        group.appendChild(b);
      });
      var nearBottom = this._isNearBottom();
      this._log.appendChild(group);
      this._chipsEl = group;
      if (nearBottom) this._scrollToBottom();
    }

    _removeChips() {
      if (this._chipsEl && this._chipsEl.parentNode) this._chipsEl.parentNode.removeChild(this._chipsEl);
      this._chipsEl = null;
    }

    _note(text, kind) {
      var p = document.createElement('p');
      p.className = 'note';
      p.setAttribute('data-role', 'note');
      p.setAttribute('data-kind', kind || 'info');
      p.setAttribute('part', 'note');
      p.textContent = text;
      this._log.appendChild(p);
      this._scrollToBottom();
    }

    _showTyping() {
      var wasHidden = this._typing.hidden;
      var nearBottom = this._isNearBottom();
      this._typing.hidden = false;
      if (wasHidden && nearBottom) this._scrollToBottom();
      clearTimeout(this._typingTimer);
      var self = this;
      this._typingTimer = setTimeout(function () { self._hideTyping(); }, TYPING_TIMEOUT_MS);
    }

    _hideTyping() {
      clearTimeout(this._typingTimer);
      this._typingTimer = null;
      if (this._typing) this._typing.hidden = true;
    }

    _hideTypingIfIdle() { if (!this._hasInFlight()) this._hideTyping(); }

    _isNearBottom() {
      var s = this._scroller;
      return s.scrollHeight - s.scrollTop - s.clientHeight < 80;
    }

    // Instant on purpose: during a smooth scroll the next "near the bottom?" check would fail, and a
    // burst of replies would stop following the conversation. New rows animate in instead.
    _scrollToBottom() {
      var s = this._scroller;
      s.scrollTop = s.scrollHeight;
    }

    _autosize() {
      var ta = this._input;
      ta.style.height = 'auto';
      ta.style.height = Math.min(ta.scrollHeight + 2, 132) + 'px';
    }

    _updateCounter() {
      var n = this._input.value.length;
      if (n >= COUNTER_FROM) {
        this._counter.hidden = false;
        this._counter.textContent = n + ' / ' + MAX_LEN;
        this._counter.classList.toggle('full', n >= MAX_LEN);
      } else {
        this._counter.hidden = true;
      }
    }
  }

  window.customElements.define('sahayak-chat', SahayakChat);

  function ensureOne() {
    if (!document.querySelector('sahayak-chat') && document.body) {
      document.body.appendChild(document.createElement('sahayak-chat'));
    }
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', ensureOne);
  else ensureOne();
})();
