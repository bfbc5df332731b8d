// Drives the ISOS web console in Debian's headless Chromium, one phase per run (ConsoleWorldE2ETest runs
// the phases and checks the agents and the server between them). Prints what it read; exits 1 on any
// check that fails, with the reason on stderr.
//   node console.mjs owner|pause|resume|buyer
// Environment: ISOS_CONSOLE_URL, ISOS_SPKI (base64 SHA-256 of the server certificate's public key),
// ISOS_OWNER_TOKEN, ISOS_BUYER_TOKEN, ISOS_HOST_ID, ISOS_EXPECT_EARNINGS_MICROS, ISOS_EXPECT_SPEND_MICROS,
// ISOS_EXPECT_LEASES (comma-separated), ISOS_SCREENSHOTS (a directory), CHROMIUM (default /usr/bin/chromium).
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const env = name => {
  const value = process.env[name];
  if (!value) {
    throw new Error(`environment variable ${name} is not set`);
  }
  return value;
};

const phase = process.argv[2];
const url = env('ISOS_CONSOLE_URL');
const shots = process.env.ISOS_SCREENSHOTS || '.';
mkdirSync(shots, { recursive: true });

function check(condition, message) {
  if (!condition) {
    throw new Error('check failed: ' + message);
  }
}

async function waitFor(what, seconds, probe) {
  const until = Date.now() + seconds * 1000;
  let last;
  while (Date.now() < until) {
    last = await probe();
    if (last) {
      return last;
    }
    await new Promise(r => setTimeout(r, 500));
  }
  throw new Error(`not within ${seconds} s: ${what}`);
}

async function logIn(page, token, view) {
  await page.goto(url);
  await page.fill('#token', token);
  await page.click('#login');
  await page.waitForSelector(`#content[data-view="${view}"][data-ready="true"]`, { timeout: 20000 });
}

async function openTab(page, tab) {
  await page.click(`#tabs button[data-tab="${tab}"]`);
  await page.waitForSelector(`#content[data-view="${tab}"][data-ready="true"]`, { timeout: 20000 });
}

async function hostRow(page, hostId) {
  const row = page.locator(`#hosts tr[data-host-id="${hostId}"]`);
  await row.waitFor({ timeout: 20000 });
  return row;
}

/** Clicks Refresh until the host's row satisfies `test(row attributes)`. */
async function waitForHost(page, hostId, what, seconds, test) {
  return waitFor(what, seconds, async () => {
    await page.click('#refresh');
    await page.waitForSelector('#content[data-view="hosts"][data-ready="true"]', { timeout: 20000 });
    const row = await hostRow(page, hostId);
    const a = await row.evaluate(tr => ({ ...tr.dataset, policy: tr.querySelector('.reported-policy').textContent }));
    return test(a) ? a : null;
  });
}

const phases = {
  async owner(page) {
    const hostId = env('ISOS_HOST_ID');
    await logIn(page, env('ISOS_OWNER_TOKEN'), 'hosts');
    const kind = await page.getAttribute('#who', 'data-kind');
    check(kind === 'owner', `logged in as an owner, not ${kind}`);
    const row = await hostRow(page, hostId);
    console.log(`host ${hostId}: status ${await row.getAttribute('data-status')}, suspended ${await row.getAttribute('data-suspended')}`);
    await page.screenshot({ path: join(shots, 'console-owner-hosts.png'), fullPage: true });

    await openTab(page, 'earnings');
    const total = Number(await page.getAttribute('#earnings-chart svg', 'data-total-micros'));
    const bars = await page.locator('#earnings-chart svg rect.bar').count();
    console.log(`earnings chart total: ${total} micros in ${bars} bar(s)`);
    check(total === Number(env('ISOS_EXPECT_EARNINGS_MICROS')),
      `the earnings chart shows ${total} micros, the ledger says ${env('ISOS_EXPECT_EARNINGS_MICROS')}`);
    check(total > 0 && bars > 0, 'the chart draws the earnings');
    await page.screenshot({ path: join(shots, 'console-owner-earnings.png'), fullPage: true });

    await openTab(page, 'hosts');
    await (await hostRow(page, hostId)).locator('button.edit-policy').click();
    await page.waitForSelector('#policy-form');
    // a policy the agent would refuse is refused by the server, with its reason shown on the page
    await page.evaluate(() => { document.querySelector('#policy-form').noValidate = true; });
    await page.fill('#policy-cpu', '150');
    await page.click('#policy-save');
    await page.waitForFunction(() => document.querySelector('#policy-message').textContent.includes('maxCpuShare'));
    console.log(`refused: ${await page.textContent('#policy-message')}`);
    await page.fill('#policy-cpu', '80');
    await page.fill('#policy-storage', '256');
    await page.fill('#policy-bandwidth', '512');
    await page.check('input[name=category][value=compute]');
    await page.check('input[name=category][value=storage]');
    await page.uncheck('input[name=category][value=streaming]');
    await page.fill('#policy-price', '0.25');
    await page.click('#policy-save');
    await page.waitForFunction(() => document.querySelector('#host-message').textContent.includes('saved'));
    console.log(await page.textContent('#host-message'));
    const applied = await waitForHost(page, hostId, 'the agent reports the new policy', 60,
      a => a.applied === 'true' && a.policy.includes('CPU ≤ 80 %') && a.policy.includes('compute, storage'));
    console.log(`policy applied: revision ${applied.revision}: ${applied.policy}`);
    await page.screenshot({ path: join(shots, 'console-owner-policy.png'), fullPage: true });
  },

  async pause(page) {
    const hostId = env('ISOS_HOST_ID');
    await logIn(page, env('ISOS_OWNER_TOKEN'), 'hosts');
    const button = (await hostRow(page, hostId)).locator('button.pause');
    check(await button.getAttribute('data-action') === 'pause', 'the host offers Pause');
    await button.click();
    const a = await waitForHost(page, hostId, 'the agent reports ISOS work suspended', 60,
      a => a.paused === 'true' && a.suspended === 'true');
    console.log(`paused: revision ${a.revision}, suspended ${a.suspended}`);
    await page.screenshot({ path: join(shots, 'console-owner-paused.png'), fullPage: true });
  },

  async resume(page) {
    const hostId = env('ISOS_HOST_ID');
    await logIn(page, env('ISOS_OWNER_TOKEN'), 'hosts');
    const button = (await hostRow(page, hostId)).locator('button.pause');
    check(await button.getAttribute('data-action') === 'resume', 'the host offers Resume');
    await button.click();
    const a = await waitForHost(page, hostId, 'the agent reports ISOS work running again', 60,
      a => a.paused === 'false' && a.suspended === 'false');
    console.log(`resumed: revision ${a.revision}, suspended ${a.suspended}`);
  },

  async buyer(page) {
    await logIn(page, env('ISOS_BUYER_TOKEN'), 'leases');
    const kind = await page.getAttribute('#who', 'data-kind');
    check(kind === 'buyer', `logged in as a buyer, not ${kind}`);
    for (const id of env('ISOS_EXPECT_LEASES').split(',')) {
      const row = page.locator(`#leases tr[data-lease-id="${id}"]`);
      check(await row.count() === 1, `the leases table lists ${id}`);
      console.log(`lease ${id}: ${await row.getAttribute('data-state')}`);
    }
    await page.screenshot({ path: join(shots, 'console-buyer-leases.png'), fullPage: true });
    await openTab(page, 'jobs');
    await openTab(page, 'storage');
    check(await page.locator('#storage-leases, #streaming-leases').count() === 2, 'backups and streams are shown');
    await openTab(page, 'spend');
    const total = Number(await page.getAttribute('#spend-chart svg', 'data-total-micros'));
    console.log(`spend chart total: ${total} micros`);
    check(total === Number(env('ISOS_EXPECT_SPEND_MICROS')),
      `the spend chart shows ${total} micros, the ledger says ${env('ISOS_EXPECT_SPEND_MICROS')}`);
    await page.screenshot({ path: join(shots, 'console-buyer-spend.png'), fullPage: true });
    await openTab(page, 'ledger');
    const entries = await page.locator('#ledger tbody tr').count();
    console.log(`ledger rows: ${entries}`);
    check(entries > 0, 'the ledger lists entries');
  },
};

if (!phases[phase]) {
  console.error(`usage: node console.mjs ${Object.keys(phases).join('|')}`);
  process.exit(2);
}
const profile = mkdtempSync(join(tmpdir(), 'isos-chromium-'));
let context;
let failed = false;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      // real TLS: only the ISOS server's own certificate (its key) is accepted besides the usual roots
      `--ignore-certificate-errors-spki-list=${env('ISOS_SPKI')}`],
    viewport: { width: 1280, height: 900 },
  });
  const page = context.pages()[0] || await context.newPage();
  const problems = [];
  // an answer of 4xx that a phase asks for on purpose is logged by Chromium as a failed load: not a page error
  page.on('console', m => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(m.text());
  });
  page.on('pageerror', e => problems.push(String(e)));
  await phases[phase](page);
  check(problems.length === 0, 'no script errors or CSP violations on the page: ' + problems.join(' | '));
  console.log(`phase ${phase}: ok`);
} catch (e) {
  failed = true;
  console.error(`phase ${phase}: ${e.stack || e}`);
} finally {
  if (context) {
    await context.close();
  }
  rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
