// The dashboard's script (every page). The pages are complete without it;
// with it they stay current: a server-sent events stream of the daemon's
// events (from the last one the page has, again after any reconnect)
// refreshes the page's live sections in place; forms act without leaving
// the page; times stay "ago"; a pipeline's log grows as its phase prints.

const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.getAttribute('content') ?? '';
const csrf = meta('oj-csrf');
let lastId = Number(meta('oj-last-event')) || 0;
const connNote = document.getElementById('conn');
const flash = document.getElementById('flash');

function setConn(text) {
  if (!connNote) return;
  connNote.textContent = text;
  connNote.classList.toggle('down', text !== '');
}

function say(text, ok) {
  if (!flash) return;
  flash.textContent = text;
  flash.className = `flash ${ok ? 'ok' : 'bad'}`;
}

// ---- live sections: fetch the page again and swap each [data-live] element by its id
// (at most one refresh a second, however many events arrive: the page is made from a few RPC calls)
const MIN_GAP_MS = 1000;
let timer = null;
let refreshing = false;
let again = false;
let lastRefresh = 0;

function scheduleRefresh(delay = 250) {
  if (timer) return;
  const wait = Math.max(delay, lastRefresh + MIN_GAP_MS - Date.now());
  timer = setTimeout(() => {
    timer = null;
    void refresh();
  }, wait);
}

async function refresh() {
  if (refreshing) {
    again = true;
    return;
  }
  refreshing = true;
  lastRefresh = Date.now();
  try {
    const r = await fetch(location.href, { headers: { Accept: 'text/html' } });
    if (!r.ok) return;
    const doc = new DOMParser().parseFromString(await r.text(), 'text/html');
    const focused = document.activeElement;
    const focusId = focused && focused.id ? focused.id : null;
    for (const el of document.querySelectorAll('[data-live]')) {
      const fresh = doc.getElementById(el.id);
      if (!fresh) continue;
      // Leave a section alone while its form is being filled in.
      if (el.contains(focused) && focused.matches('input[type=text], input:not([type]), select, textarea') && focused.value) continue;
      el.replaceWith(document.importNode(fresh, true));
    }
    if (focusId && document.activeElement === document.body) document.getElementById(focusId)?.focus();
    updateTimes();
    document.dispatchEvent(new CustomEvent('oj:refreshed'));
  } catch {
    // the dashboard is away: the stream says so
  } finally {
    refreshing = false;
    if (again) {
      again = false;
      scheduleRefresh();
    }
  }
}

// ---- the events stream
let backoff = 1000;
function connect() {
  const base = meta('oj-live') || '/live/events';
  const es = new EventSource(`${base}${base.includes('?') ? '&' : '?'}since=${lastId}`);
  es.addEventListener('oj', (e) => {
    lastId = Math.max(lastId, Number(e.lastEventId) || 0);
    document.dispatchEvent(new CustomEvent('oj:event', { detail: JSON.parse(e.data) }));
    scheduleRefresh();
  });
  es.addEventListener('daemon', (e) => {
    const { up } = JSON.parse(e.data);
    setConn(up ? '' : 'The daemon is not answering (restarting?); this page catches up when it is back.');
    if (up) scheduleRefresh(0);
  });
  es.addEventListener('open', () => {
    backoff = 1000;
    setConn('');
  });
  es.addEventListener('error', () => {
    if (es.readyState !== EventSource.CLOSED) {
      setConn('Reconnecting…');
      return;
    }
    setConn('The dashboard is not answering; retrying…');
    setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 15000);
  });
}

// ---- forms act in place
document.addEventListener('submit', async (ev) => {
  const form = ev.target instanceof HTMLFormElement ? ev.target : null;
  if (!form || !form.hasAttribute('data-act')) return;
  ev.preventDefault();
  if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
  const body = new URLSearchParams(new FormData(form, ev.submitter));
  const buttons = [...form.querySelectorAll('button')];
  for (const b of buttons) b.disabled = true;
  try {
    const r = await fetch(form.action, { method: 'POST', body, headers: { 'X-OJ-CSRF': csrf, Accept: 'application/json' } });
    const answer = await r.json().catch(() => ({ ok: false, error: `${r.status} ${r.statusText}` }));
    say(answer.ok ? answer.message : answer.error, answer.ok);
    if (answer.ok) for (const input of form.querySelectorAll('input:not([type=hidden])')) input.value = '';
  } catch (err) {
    say(`The dashboard did not answer: ${err}`, false);
  } finally {
    for (const b of buttons) b.disabled = false;
    scheduleRefresh(0);
  }
});

// ---- "3m ago" stays true
function agoText(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

function updateTimes() {
  const now = Date.now();
  for (const t of document.querySelectorAll('time[data-ago]')) {
    const at = Date.parse(t.getAttribute('datetime') ?? '');
    if (!Number.isNaN(at)) t.textContent = agoText(now - at);
  }
}

// ---- a pipeline's log, live
function followLog() {
  const log = document.getElementById('log');
  if (!log || log.dataset.finished) return;
  let at = log.dataset.run !== '' && log.dataset.offset !== '' ? { run: log.dataset.run, offset: log.dataset.offset } : null;
  log.scrollTop = log.scrollHeight;
  const open = () => {
    const q = at ? `?run=${at.run}&offset=${at.offset}` : '';
    const es = new EventSource(`/live/pipeline/${encodeURIComponent(log.dataset.key)}${q}`);
    es.addEventListener('output', (e) => {
      const { text, run, offset } = JSON.parse(e.data);
      at = { run, offset };
      const atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 8;
      log.append(text);
      if (log.textContent.length > 400000) log.textContent = log.textContent.slice(-200000);
      if (atEnd) log.scrollTop = log.scrollHeight;
    });
    es.addEventListener('status', () => scheduleRefresh(0));
    es.addEventListener('problem', () => es.close());
    es.addEventListener('error', () => {
      // Reopened from where the page is (the browser's own retry would start where it began).
      es.close();
      setTimeout(open, 1500);
    });
  };
  open();
}

document.documentElement.classList.add('js');
updateTimes();
setInterval(updateTimes, 10000);
followLog();
connect();
