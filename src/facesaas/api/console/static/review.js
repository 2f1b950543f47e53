// The go-live review of one tenant: volumes and errors per endpoint, latency, the peak, the
// production capacity it implies, the notes, and the plain-text report.
'use strict';

(() => {
  const { el, request, flash } = Console;
  const form = document.getElementById('review-form');
  const tenant = document.getElementById('review-tenant');
  const peak = document.getElementById('review-peak');
  const out = document.getElementById('review-result');

  const ms = (value) => (value === null || value === undefined ? '–' : `${value.toFixed(1)} ms`);
  const card = (label, value, hint) => el('div', { class: 'card' }, el('div', { class: 'label' }, label),
    el('div', { class: 'value' }, value), hint ? el('div', { class: 'hint' }, hint) : null);

  function endpoints(review) {
    const rows = review.endpoints.map((e) => el('tr', {},
      el('td', {}, el('code', {}, e.endpoint)),
      el('td', { class: 'num' }, Console.formatNumber(e.calls)),
      el('td', { class: 'num' }, Console.formatNumber(e.errors)),
      el('td', { class: 'num' }, `${(100 * e.error_rate).toFixed(1)} %`),
      el('td', { class: 'num' }, ms(e.p50_ms)),
      el('td', { class: 'num' }, ms(e.p99_ms)),
      el('td', {}, Object.entries(e.by_rtn).map(([rtn, n]) => `${rtn}: ${n}`).join(', ')
        + (e.unanswered ? `, unanswered: ${e.unanswered}` : ''))));
    return el('section', { class: 'card', dataset: { field: 'endpoints' } }, el('h2', {}, 'Per endpoint'),
      el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, 'Endpoint'), el('th', { class: 'num' }, 'Calls'),
        el('th', { class: 'num' }, 'Errors'), el('th', { class: 'num' }, 'Error rate'), el('th', { class: 'num' }, 'p50'),
        el('th', { class: 'num' }, 'p99'), el('th', {}, 'Answers by rtn'))),
      el('tbody', {}, ...(rows.length ? rows : [el('tr', {}, el('td', { colspan: 7, class: 'empty' }, 'No calls yet.'))]))));
  }

  function render(review, text) {
    const capacity = review.capacity;
    const span = review.first_call ? `${Console.formatDate(review.first_call)} – ${Console.formatDate(review.last_call)} UTC` : 'no calls';
    out.replaceChildren(
      el('section', { class: 'totals four', dataset: { field: 'summary' } },
        card('Calls', Console.formatNumber(review.calls), span),
        card('Peak', `${review.peak.rps}/s`, review.peak.at ? `at ${Console.formatDate(review.peak.at)} UTC` : ''),
        card(`Needed at ${capacity.headroom}× the peak`, `${capacity.required_rps}/s`,
          `predicted peak ${capacity.predicted_peak_rps}/s (${capacity.predicted_from}); ${capacity.in_flight} in flight at ${ms(capacity.mean_ms)}`),
        card('Production hosts', String(capacity.hosts), `at ${capacity.host_rps}/s each`)),
      endpoints(review),
      el('section', { class: 'card', dataset: { field: 'notes' } }, el('h2', {}, 'Notes'),
        review.notes.length ? el('ul', {}, ...review.notes.map((note) => el('li', {}, note))) : el('p', { class: 'hint' }, 'None.')),
      el('section', { class: 'card' }, el('h2', {}, 'As text'), el('pre', { class: 'report', id: 'review-text' }, text)));
  }

  async function load() {
    if (!tenant.value) return;
    const params = new URLSearchParams({ access_id: tenant.value });
    if (peak.value) params.set('predicted_peak_rps', peak.value);
    history.replaceState(null, '', `/console/review?${params}`);
    const { review, text } = await request('GET', `/console/api/review?${params}`);
    render(review, text);
    document.body.dataset.reviewed = String(Number(document.body.dataset.reviewed || 0) + 1);
  }

  Console.start().then(async () => {
    peak.value = Console.query('predicted_peak_rps') || '';
    const tenants = await Console.tenantOptions(tenant, Console.query('access_id'));
    if (!tenants.length) flash('No tenants yet: create one on the Tenants page.');
    form.addEventListener('submit', (event) => { event.preventDefault(); load().catch((error) => flash(error.message, 'error')); });
    tenant.addEventListener('change', () => load().catch((error) => flash(error.message, 'error')));
    await load();
    Console.ready();
  }).catch((error) => flash(error.message, 'error'));
})();
