// The console's entry: log in with an API token, then the tabs for the account's kind.
import { api, setToken, token } from './api.js';
import { h, hostsView, earningsView, spendView, leasesView, jobsView, storageView, ledgerView } from './views.js';

const TABS = {
  owner: [['hosts', 'Hosts', hostsView], ['earnings', 'Earnings', earningsView], ['ledger', 'Ledger', ledgerView]],
  buyer: [['leases', 'Leases', leasesView], ['jobs', 'Jobs', jobsView], ['storage', 'Backups & streams', storageView],
    ['spend', 'Spend', spendView], ['ledger', 'Ledger', ledgerView]],
};

const $ = id => document.getElementById(id);
let current = null;

async function show(tab) {
  current = tab;
  for (const button of $('tabs').querySelectorAll('button')) {
    button.setAttribute('aria-selected', String(button.dataset.tab === tab[0]));
  }
  const content = $('content');
  content.setAttribute('data-view', tab[0]);
  content.removeAttribute('data-ready');
  try {
    await tab[2](content, () => show(tab));
  } catch (e) {
    content.replaceChildren(h('p', { class: 'message', role: 'alert' }, e.message));
    if (e.status === 401) {
      logout(e.message);
      return;
    }
  }
  content.setAttribute('data-ready', 'true'); // for readers (and tests) that wait for a view to be drawn
}

async function start() {
  if (!token()) {
    return;
  }
  let me;
  try {
    me = await api('/v1/me');
  } catch (e) {
    logout(e.message);
    return;
  }
  $('login-view').hidden = true;
  $('session').hidden = false;
  $('who').textContent = `${me.name} (${me.kind}, ${me.id})`;
  $('who').dataset.kind = me.kind;
  const tabs = TABS[me.kind] || [['ledger', 'Ledger', ledgerView]];
  $('tabs').replaceChildren(...tabs.map(tab => h('button', { type: 'button', role: 'tab', 'data-tab': tab[0],
    onclick: () => show(tab) }, tab[1])));
  $('tabs').hidden = false;
  $('content').hidden = false;
  await show(tabs[0]);
}

function logout(why) {
  setToken(null);
  $('login-view').hidden = false;
  $('session').hidden = true;
  $('tabs').hidden = true;
  $('content').hidden = true;
  $('content').replaceChildren();
  $('login-message').textContent = why || '';
}

$('login-form').addEventListener('submit', event => {
  event.preventDefault();
  setToken($('token').value.trim());
  $('token').value = '';
  $('login-message').textContent = '';
  start();
});
$('logout').addEventListener('click', () => logout());
$('refresh').addEventListener('click', () => current && show(current));
start();
