// Usage of one tenant in one month: calls per day stacked by endpoint, calls per endpoint,
// the billing table and its CSV.
'use strict';

(() => {
  const { el, request, flash } = Console;
  const form = document.getElementById('usage-form');
  const tenant = document.getElementById('usage-tenant');
  const month = document.getElementById('usage-month');

  function daysOf(monthText) {
    const [year, number] = monthText.split('-').map(Number);
    const count = new Date(Date.UTC(year, number, 0)).getUTCDate();
    return Array.from({ length: count }, (_, i) => `${monthText}-${String(i + 1).padStart(2, '0')}`);
  }

  function render(report) {
    const endpoints = report.endpoints.map((e) => e.endpoint);
    for (const day of report.days) if (!endpoints.includes(day.endpoint)) endpoints.push(day.endpoint);
    const dates = daysOf(report.month);
    const series = endpoints.map((endpoint) => ({
      name: endpoint,
      values: dates.map((date) => report.days.filter((d) => d.date === date && d.endpoint === endpoint)
        .reduce((sum, d) => sum + d.calls, 0)),
    }));
    Charts.stackedBars(document.getElementById('chart-days'), dates.map((d) => d.slice(8)), series);
    document.getElementById('legend').replaceChildren(...endpoints.map((endpoint, i) => el('span', {},
      el('svg', { class: 'swatch', viewBox: '0 0 10 10', width: 10, height: 10 }, el('rect', { width: 10, height: 10, rx: 2, fill: Charts.color(i) })),
      endpoint)));
    Charts.horizontalBars(document.getElementById('chart-endpoints'),
      report.endpoints.map((e) => ({ name: e.endpoint, value: e.calls, index: endpoints.indexOf(e.endpoint) })));
    const currency = report.currency ? ` ${report.currency}` : '';
    document.querySelector('#usage-table tbody').replaceChildren(...(report.endpoints.length ? report.endpoints.map((e) => el('tr', {},
      el('td', {}, el('code', {}, e.endpoint)),
      el('td', { class: 'num' }, Console.formatNumber(e.calls)),
      el('td', { class: 'num' }, Console.formatNumber(e.billable)),
      el('td', { class: 'num' }, `${e.unit_price}${currency}`),
      el('td', { class: 'num' }, `${e.amount}${currency}`)))
      : [el('tr', {}, el('td', { colspan: 5, class: 'empty' }, 'No calls this month.'))]));
    document.getElementById('total-calls').textContent = Console.formatNumber(report.total.calls);
    document.getElementById('total-billable').textContent = Console.formatNumber(report.total.billable);
    document.getElementById('total-amount').textContent = `${report.total.amount}${currency}`;
    document.body.dataset.calls = String(report.total.calls);
  }

  async function load() {
    if (!tenant.value) return;
    // Without a month the server answers for its current billing month (its billing time zone).
    const params = new URLSearchParams({ access_id: tenant.value });
    if (month.value) params.set('month', month.value);
    const { usage } = await request('GET', `/console/api/usage?${params}`);
    month.value = usage.month;
    params.set('month', usage.month);
    document.getElementById('usage-csv').href = `/console/api/usage?${params}&format=csv`;
    history.replaceState(null, '', `/console/usage?${params}`);
    render(usage);
  }

  Console.start().then(async () => {
    month.value = Console.query('month') || '';
    const tenants = await Console.tenantOptions(tenant, Console.query('access_id'));
    if (!tenants.length) flash('No tenants yet: create one on the Tenants page.');
    form.addEventListener('submit', (event) => { event.preventDefault(); load().catch((error) => flash(error.message, 'error')); });
    tenant.addEventListener('change', () => load().catch((error) => flash(error.message, 'error')));
    month.addEventListener('change', () => load().catch((error) => flash(error.message, 'error')));
    await load();
    Console.ready();
  }).catch((error) => flash(error.message, 'error'));
})();
