// The console's shared script: API calls with the session's CSRF token, a DOM builder that
// only ever sets text (never HTML, so no data can become markup), the header, and messages.
'use strict';

const Console = (() => {
  let csrf = null;
  let me = null;

  /** An element with attributes (on* names become listeners) and children (nodes or text). */
  function el(tag, attrs = {}, ...children) {
    const svg = ['svg', 'g', 'rect', 'line', 'text', 'title', 'path', 'circle', 'polyline'].includes(tag);
    const node = svg ? document.createElementNS('http://www.w3.org/2000/svg', tag) : document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
      else if (name === 'dataset') Object.assign(node.dataset, value);
      else node.setAttribute(name, value === true ? '' : String(value));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  /** Call the operators' API; the parsed body, or an Error carrying rtn and message. */
  async function request(method, path, body) {
    const headers = { Accept: 'application/json' };
    if (method !== 'GET') headers['X-CSRF-Token'] = csrf || '';
    const options = { method, headers, credentials: 'same-origin', cache: 'no-store' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      options.body = JSON.stringify(body);
    }
    const response = await fetch(path, options);
    let data = null;
    try { data = await response.json(); } catch (_) { data = null; }
    if (response.status === 401 && !path.endsWith('/login')) {
      location.assign('/console/login');
      throw new Error('login required');
    }
    if (!response.ok || !data || data.rtn !== 0) {
      const error = new Error((data && data.message) || `HTTP ${response.status}`);
      error.rtn = data ? data.rtn : undefined;
      throw error;
    }
    return data;
  }

  /** Who is logged in; fills the header and every csrf_token form field. */
  async function start() {
    for (const link of document.querySelectorAll('header nav a')) {
      if (link.dataset.nav === document.body.dataset.page) link.classList.add('active');
    }
    me = await request('GET', '/console/api/me');
    csrf = me.csrf_token;
    fillCsrf(document);
    document.getElementById('operator').textContent = me.username;
    document.getElementById('logout').addEventListener('click', async () => {
      try { await request('POST', '/console/api/logout'); } finally { location.assign('/console/login'); }
    });
    return me;
  }

  function fillCsrf(root) {
    for (const field of root.querySelectorAll('input[name="csrf_token"]')) field.value = csrf;
  }

  /** A form posting to ``action`` with the CSRF token as a hidden field (for downloads). */
  function postForm(action, ...children) {
    return el('form', { method: 'post', action }, el('input', { type: 'hidden', name: 'csrf_token', value: csrf }), ...children);
  }

  function flash(message, kind = 'info') {
    const box = document.getElementById('flash');
    box.textContent = message;
    box.className = `flash ${kind}`;
    box.hidden = !message;
  }

  function ready() { document.body.dataset.ready = String(Number(document.body.dataset.ready || 0) + 1); }

  const number = new Intl.NumberFormat('en-US');
  const formatNumber = (value) => number.format(value);
  const formatDate = (iso) => (iso ? iso.slice(0, 16).replace('T', ' ') : '');
  const query = (name) => new URLSearchParams(location.search).get(name);

  /** Fill a <select> with the tenants (AccessID · name), selecting ``chosen`` if given. */
  async function tenantOptions(select, chosen) {
    const { tenants } = await request('GET', '/console/api/tenants');
    select.replaceChildren(...tenants.map((t) => el('option', { value: t.access_id, selected: t.access_id === chosen },
      `${t.name} · ${t.access_id}${t.cluster ? ` (${t.cluster})` : ''}`)));
    return tenants;
  }

  return { el, request, start, fillCsrf, postForm, flash, ready, formatNumber, formatDate, query, tenantOptions,
    get me() { return me; } };
})();
