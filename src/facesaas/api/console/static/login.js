// The login page (the server sends a browser with a live session on to the tenants).
'use strict';

(() => {
  const form = document.getElementById('login-form');
  const flash = document.getElementById('flash');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = document.getElementById('login-button');
    button.disabled = true;
    flash.hidden = true;
    try {
      const answer = await fetch('/console/api/login', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ username: form.username.value, password: form.password.value }),
      });
      const data = await answer.json().catch(() => null);
      if (answer.ok && data && data.rtn === 0) { location.assign('/console/tenants'); return; }
      flash.textContent = (data && data.message) || `login failed (HTTP ${answer.status})`;
      flash.className = 'flash error';
      flash.hidden = false;
      form.password.value = '';
      form.password.focus();
    } finally {
      button.disabled = false;
    }
  });
  document.body.dataset.ready = '1';
})();
