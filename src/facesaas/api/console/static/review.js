// The go-live review of one tenant: the report's tables and its plain-text version.
'use strict';

(() => {
  const { el, request, flash } = Console;
  const form = document.getElementById('review-form');
  const tenant = document.getElementById('review-tenant');
  const peak = document.getElementById('review-peak');
  const out = document.getElementById('review-result');

  /** A table of ``rows`` (objects) with their keys as the header. */
  function table(rows) {
    if (!rows.length) return el('p', { class: 'hint' }, 'none');
    const keys = Object.keys(rows[0]);
    return el('table', {},
      el('thead', {}, el('tr', {}, ...keys.map((k) => el('th', { class: typeof rows[0][k] === 'number' ? 'num' : '' }, k.replaceAll('_', ' '))))),
      el('tbody', {}, ...rows.map((row) => el('tr', {}, ...keys.map((k) => el('td', { class: typeof row[k] === 'number' ? 'num' : '' },
        typeof row[k] === 'object' && row[k] !== null ? JSON.stringify(row[k]) : String(row[k] ?? '')))))));
  }

  /** Every field of the review: lists of objects as tables, objects as key/value tables. */
  function sections(review) {
    const simple = [];
    const parts = [];
    for (const [key, value] of Object.entries(review)) {
      const title = key.replaceAll('_', ' ');
      if (Array.isArray(value) && value.every((v) => v && typeof v === 'object')) {
        parts.push(el('section', { class: 'card', dataset: { field: key } }, el('h2', {}, title), table(value)));
      } else if (value && typeof value === 'object' && !Array.isArray(value)) {
        parts.push(el('section', { class: 'card', dataset: { field: key } }, el('h2', {}, title),
          table(Object.entries(value).map(([k, v]) => ({ [key]: k, value: typeof v === 'object' && v !== null ? JSON.stringify(v) : v })))));
      } else {
        simple.push({ field: title, value: Array.isArray(value) ? value.join(', ') : value });
      }
    }
    return [el('section', { class: 'card', dataset: { field: 'summary' } }, el('h2', {}, 'Summary'), table(simple)), ...parts];
  }

  async function load() {
    if (!tenant.value) return;
    const params = new URLSearchParams({ access_id: tenant.value });
    if (peak.value) params.set('predicted_peak_rps', peak.value);
    history.replaceState(null, '', `/console/review?${params}`);
    const { review, text } = await request('GET', `/console/api/review?${params}`);
    out.replaceChildren(...sections(review),
      el('section', { class: 'card' }, el('h2', {}, 'As text'), el('pre', { class: 'report', id: 'review-text' }, text)));
    document.body.dataset.reviewed = String(Number(document.body.dataset.reviewed || 0) + 1);
  }

  Console.start().then(async () => {
    peak.value = Console.query('predicted_peak_rps') || '';
    const tenants = await Console.tenantOptions(tenant, Console.query('access_id'));
    if (!tenants.length) flash('No tenants yet: create one on the Tenants page.');
    form.addEventListener('submit', (event) => { event.preventDefault(); load().catch((error) => flash(error.message, 'error')); });
    await load();
    Console.ready();
  }).catch((error) => flash(error.message, 'error'));
})();
