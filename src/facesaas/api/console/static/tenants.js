// Tenants: list, create / rotate / promote (credentials as a file download, never in the page),
// disable / enable and limits (JSON API).
'use strict';

(() => {
  const { el, request, flash } = Console;
  const body = document.querySelector('#tenants tbody');
  const filter = document.getElementById('filter-cluster');

  const limit = (value) => (value === null || value === undefined ? '–' : value === 0 ? '∞' : Console.formatNumber(value));
  const limits = (t) => ([t.per_second, t.per_day, t.concurrent].every((v) => v === null || v === undefined) ? 'default'
    : `${limit(t.per_second)} · ${limit(t.per_day)} · ${limit(t.concurrent)}`);

  /** A button that asks once more before it submits ``form`` (no dialogs: they block the page). */
  function confirmed(label, confirmLabel, form, kind = 'secondary') {
    const submit = el('button', { type: 'submit', class: 'small danger', hidden: true }, confirmLabel);
    const ask = el('button', { type: 'button', class: `small ${kind}`, onclick: () => {
      ask.hidden = true; submit.hidden = false;
      setTimeout(() => { ask.hidden = false; submit.hidden = true; }, 6000);
    } }, label);
    form.append(ask, submit);
    form.addEventListener('submit', () => { submit.hidden = true; ask.hidden = false; refreshSoon(); });
    return form;
  }

  function limitsEditor(tenant, row) {
    const inputs = ['per_second', 'per_day', 'concurrent'].map((name) => el('input', {
      type: 'number', min: 0, step: 1, name, placeholder: 'default', value: tenant[name] ?? undefined }));
    const editor = el('tr', { class: 'editor' }, el('td', { colspan: 8 },
      el('form', { class: 'inline', onsubmit: async (event) => {
        event.preventDefault();
        const values = Object.fromEntries(inputs.map((i) => [i.name, i.value === '' ? null : Number(i.value)]));
        try {
          await request('POST', `/console/api/tenants/${tenant.access_id}/limits`, values);
          flash(`Limits of ${tenant.access_id} saved.`);
          await load();
        } catch (error) { flash(error.message, 'error'); }
      } },
      ...inputs.map((input) => el('label', {}, input.name.replace('_', ' '), input)),
      el('button', { type: 'submit', class: 'small' }, 'Save limits'),
      el('span', { class: 'hint' }, 'empty: the cluster default; 0: unlimited'))));
    row.after(editor);
  }

  function row(tenant, promoted) {
    const actions = el('td', { class: 'actions' },
      el('button', { type: 'button', class: 'small secondary', onclick: async () => {
        try {
          await request('POST', `/console/api/tenants/${tenant.access_id}/${tenant.enabled ? 'disable' : 'enable'}`);
          flash(`${tenant.access_id} ${tenant.enabled ? 'disabled' : 'enabled'}.`);
          await load();
        } catch (error) { flash(error.message, 'error'); }
      } }, tenant.enabled ? 'Disable' : 'Enable'),
      confirmed('Rotate key', 'Confirm: new key', Console.postForm(`/console/tenants/${tenant.access_id}/rotate`)));
    if (tenant.cluster === 'staging' && !promoted.has(tenant.access_id)) {
      actions.append(confirmed('Promote', 'Confirm: go live', Console.postForm(`/console/tenants/${tenant.access_id}/promote`), ''));
    }
    const tr = el('tr', { dataset: { accessId: tenant.access_id } },
      el('td', {}, el('code', {}, tenant.access_id)),
      el('td', {}, tenant.name, tenant.promoted_from ? el('div', { class: 'hint' }, `promoted from ${tenant.promoted_from}`) : null,
        el('div', { class: 'links' },
          el('a', { href: `/console/usage?access_id=${encodeURIComponent(tenant.access_id)}` }, 'Usage'),
          el('a', { href: `/console/review?access_id=${encodeURIComponent(tenant.access_id)}` }, 'Review'))),
      el('td', {}, el('span', { class: `badge ${tenant.cluster || ''}` }, tenant.cluster || 'private')),
      el('td', {}, el('span', { class: `badge ${tenant.enabled ? 'enabled' : 'disabled'}` }, tenant.enabled ? 'enabled' : 'disabled')),
      el('td', { class: 'nowrap' }, Console.formatDate(tenant.created_at)),
      el('td', { class: 'nowrap' }, Console.formatDate(tenant.key_rotated_at)),
      el('td', { class: 'num nowrap' }, limits(tenant)),
      actions);
    actions.append(el('button', { type: 'button', class: 'small secondary', onclick: () => limitsEditor(tenant, tr) }, 'Limits'));
    return tr;
  }

  async function load() {
    const path = filter.value ? `/console/api/tenants?cluster=${filter.value}` : '/console/api/tenants';
    const { tenants } = await request('GET', path);
    const promoted = new Set(tenants.map((t) => t.promoted_from).filter(Boolean));
    body.replaceChildren(...(tenants.length ? tenants.map((t) => row(t, promoted))
      : [el('tr', {}, el('td', { colspan: 8, class: 'empty' }, 'No tenants yet.'))]));
    document.body.dataset.tenants = String(tenants.length);
  }

  // The download forms leave the page as it is; the list is read again once the file came.
  function refreshSoon() { for (const delay of [600, 2000]) setTimeout(() => load().catch(() => {}), delay); }

  Console.start().then(async (me) => {
    if (me.cluster) document.getElementById('tenant-cluster').value = me.cluster;
    const form = document.getElementById('create-form');
    form.addEventListener('submit', () => {
      flash('Credentials file requested: check your downloads.');
      setTimeout(() => { form.reset(); Console.fillCsrf(form); if (me.cluster) form.cluster.value = me.cluster; }, 100);
      refreshSoon();
    });
    filter.addEventListener('change', () => load().catch((error) => flash(error.message, 'error')));
    await load();
    Console.ready();
  }).catch((error) => flash(error.message, 'error'));
})();
