// The review console's only script: keyboard shortcuts and live updates. Pages work without it
// (forms and links); it never builds HTML from data: fragments come rendered (and escaped) by
// the server, and messages are set as text.
'use strict';
(() => {
  const body = document.body;
  const page = body.dataset.page;
  const $ = (sel) => document.querySelector(sel);
  const typing = (e) => {
    const t = e.target;
    return t instanceof HTMLElement && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
  };
  const go = (url) => {
    if (url) window.location.assign(url);
  };

  const keys = $('#keys');
  $('#show-keys')?.addEventListener('click', () => keys?.showModal());

  // One submit per page: a second key press while the first decision is on its way must not send another.
  let submitting = false;
  document.addEventListener('submit', (e) => {
    if (submitting) {
      e.preventDefault();
      return;
    }
    submitting = true;
    for (const b of document.querySelectorAll('button[type=submit]')) b.setAttribute('aria-disabled', 'true');
  });

  const live = (onChange) => {
    if (!('EventSource' in window)) return;
    const es = new EventSource('/events');
    // The stream opens after the page was rendered: a change in between (another reviewer's
    // decision, say) is only seen by comparing the version the stream starts at with the page's.
    // The same catches up after a reconnect.
    const seen = (e) => {
      const changed = e.data !== document.body.dataset.version;
      document.body.dataset.version = e.data;
      return changed;
    };
    es.addEventListener('hello', (e) => {
      if (seen(e)) onChange();
    });
    es.addEventListener('change', (e) => {
      seen(e);
      onChange();
    });
    window.addEventListener('pagehide', () => es.close());
  };

  if (page === 'queue') {
    let selectedId;
    const rows = () => [...document.querySelectorAll('#queue-table tbody tr')];
    const select = (i, focus = true) => {
      const r = rows();
      if (!r.length) return;
      const at = Math.max(0, Math.min(r.length - 1, i));
      r.forEach((row, j) => row.classList.toggle('selected', j === at));
      selectedId = r[at].dataset.id;
      if (focus) r[at].querySelector('a')?.focus();
    };
    const index = () => Math.max(0, rows().findIndex((r) => r.dataset.id === selectedId));
    document.addEventListener('keydown', (e) => {
      if (e.ctrlKey || e.metaKey || e.altKey || typing(e)) return;
      if (e.key === 'j') select(selectedId === undefined ? 0 : index() + 1);
      else if (e.key === 'k') select(index() - 1);
      else if ((e.key === 'Enter' || e.key === 'o') && selectedId !== undefined && document.activeElement?.tagName !== 'A') go(rows()[index()]?.dataset.href);
      else if (e.key === '?') keys?.showModal();
      else if (e.key === '/') $('.filters select, .filters input')?.focus();
      else return;
      e.preventDefault();
    });
    const region = $('#queue-live');
    const status = $('#live-status');
    live(async () => {
      const res = await fetch(body.dataset.fragment, { headers: { accept: 'text/html' } });
      if (!res.ok || !region) return;
      const hadFocus = region.contains(document.activeElement);
      region.innerHTML = await res.text();
      if (selectedId !== undefined && rows().some((r) => r.dataset.id === selectedId)) select(index(), hadFocus);
      // One short sentence for screen readers instead of the whole table read again.
      if (status) status.textContent = `Queue updated: ${$('#open-count')?.textContent ?? '?'} open.`;
    });
  }

  if (page === 'item') {
    const edit = $('#edit-panel');
    const reject = $('#reject-panel');
    const open = (panel, focus) => {
      if (!panel) return;
      for (const d of [edit, reject]) if (d && d !== panel) d.open = false;
      panel.open = true;
      (focus ?? panel.querySelector('input:checked, input, textarea'))?.focus();
    };
    document.addEventListener('keydown', (e) => {
      if (e.ctrlKey || e.metaKey || e.altKey || submitting) return;
      if (e.key === 'Escape') {
        for (const d of [edit, reject]) if (d) d.open = false;
        return;
      }
      const radio = e.target instanceof HTMLInputElement && e.target.type === 'radio';
      // Enter on a radio button submits its form, as Enter in a text field would.
      if (radio && e.key === 'Enter') {
        e.preventDefault();
        e.target.form?.requestSubmit();
        return;
      }
      if (typing(e) && !(radio && /^[1-9]$/.test(e.key))) return;
      if (e.key === 'a') $('#accept-form')?.requestSubmit();
      else if (e.key === 'e') open(edit);
      else if (e.key === 'r') open(reject);
      else if (e.key === 's') go($('#skip')?.getAttribute('href'));
      else if (e.key === 'j') go(body.dataset.next);
      else if (e.key === 'k') go(body.dataset.prev);
      else if (e.key === 'u') go(body.dataset.queue);
      else if (e.key === '?') keys?.showModal();
      else if (/^[1-9]$/.test(e.key) && edit) {
        const radio = edit.querySelectorAll('input[name=category]')[Number(e.key) - 1];
        if (!radio) return;
        radio.checked = true;
        open(edit, radio);
      } else return;
      e.preventDefault();
    });
    const status = $('#item-status');
    live(async () => {
      const res = await fetch(body.dataset.status, { headers: { accept: 'application/json' } });
      if (!res.ok || !status) return;
      const s = await res.json();
      if (s.open) return;
      const p = document.createElement('p');
      p.className = 'flash error';
      p.id = 'decided';
      p.textContent = s.text;
      status.replaceChildren(p);
    });
  }

  if (page === 'overview') {
    const region = $('#overview-live');
    setInterval(async () => {
      if (document.hidden || !region) return;
      const res = await fetch(body.dataset.fragment, { headers: { accept: 'text/html' } });
      if (res.ok) region.innerHTML = await res.text();
    }, 5000);
  }
})();
