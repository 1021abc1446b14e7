// The session page's live terminal: xterm.js (window.Terminal, served from
// @xterm/xterm) fed by /live/session/ID (the screen on attaching, then the
// agent's output). Read-only until "Take control" is switched on; then each
// key goes to the agent as `oj session attach` sends it (sessions.send, raw).

const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.getAttribute('content') ?? '';

function start() {
  const el = document.getElementById('term');
  const Terminal = window.Terminal;
  if (!el || typeof Terminal !== 'function') return;
  const csrf = meta('oj-csrf');
  const screen = document.getElementById('screen');
  const controls = document.querySelector('.term-controls');
  const toggle = document.getElementById('take-control');
  const note = document.getElementById('term-state');
  const css = getComputedStyle(document.documentElement);
  const term = new Terminal({
    disableStdin: true,
    cursorBlink: false,
    scrollback: 5000,
    fontSize: 13,
    screenReaderMode: true,
    theme: { background: css.getPropertyValue('--term-bg').trim(), foreground: css.getPropertyValue('--term-fg').trim() },
  });
  term.open(el);
  if (screen) screen.hidden = true;
  if (controls) controls.hidden = false;
  const tell = (text) => {
    if (note) note.textContent = text;
  };
  tell('Watching (read-only).');

  let sending = Promise.resolve();
  term.onData((data) => {
    if (!toggle?.checked) return;
    const body = new URLSearchParams({ text: data, raw: '1' });
    sending = sending
      .then(() => fetch(el.dataset.send, { method: 'POST', body, headers: { 'X-OJ-CSRF': csrf, Accept: 'application/json' } }))
      .then((r) => (r.ok ? null : r.json().then((a) => tell(`Not sent: ${a.error}`))))
      .catch((err) => tell(`Not sent: ${err}`));
  });
  toggle?.addEventListener('change', () => {
    term.options.disableStdin = !toggle.checked;
    el.classList.toggle('control', toggle.checked);
    tell(toggle.checked ? 'You have control: your keys go to the agent.' : 'Watching (read-only).');
    if (toggle.checked) term.focus();
  });

  const connect = () => {
    const es = new EventSource(`/live/session/${encodeURIComponent(el.dataset.session)}`);
    es.addEventListener('screen', (e) => {
      const s = JSON.parse(e.data);
      term.reset();
      term.resize(s.cols, s.rows);
      term.write(s.screen.replace(/\n/g, '\r\n') + (s.cursor ? `\x1b[${s.cursor.y + 1};${s.cursor.x + 1}H` : ''));
      el.dataset.attached = '1';
    });
    es.addEventListener('output', (e) => term.write(JSON.parse(e.data)));
    es.addEventListener('ended', (e) => {
      const { exitCode } = JSON.parse(e.data);
      tell(`The session ended (exit ${exitCode ?? '?'}).`);
      if (toggle) {
        toggle.checked = false;
        toggle.disabled = true;
      }
      term.options.disableStdin = true;
      el.classList.remove('control');
      es.close();
    });
    es.addEventListener('problem', (e) => {
      tell(JSON.parse(e.data).message);
      es.close();
    });
    es.addEventListener('daemon', (e) => tell(JSON.parse(e.data).up ? (toggle?.checked ? 'You have control.' : 'Watching (read-only).') : 'The daemon is away; reattaching when it is back.'));
    es.addEventListener('error', () => {
      if (es.readyState === EventSource.CLOSED) setTimeout(connect, 2000);
    });
  };
  if (el.dataset.running) connect();
  else {
    term.write((screen?.textContent ?? '').replace(/\n/g, '\r\n'));
    tell('The session has ended: its last screen.');
  }
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
